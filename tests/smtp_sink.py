"""A minimal SMTP server on loopback for alert tests: enough of RFC 5321 for smtplib
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT); it keeps every message it is sent."""
from __future__ import annotations

import asyncio
import email
import threading
from dataclasses import dataclass, field
from email.message import Message


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    def start(self) -> SmtpSink:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("SMTP sink did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._session, self.host, self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        reply("220 sink ESMTP")
        sender, recipients = "", []
        while line := (await reader.readline()).decode("utf-8", "replace").rstrip("\r\n"):
            verb = line[:4].upper()
            if verb == "EHLO":
                reply("250-sink")
                reply("250 8BITMIME")
            elif verb in ("HELO", "NOOP", "RSET"):
                reply("250 ok")
            elif verb == "MAIL":
                sender, recipients = line.partition(":")[2].strip(" <>"), []
                reply("250 ok")
            elif verb == "RCPT":
                recipients.append(line.partition(":")[2].strip(" <>"))
                reply("250 ok")
            elif verb == "DATA":
                reply("354 end with .")
                await writer.drain()
                self._keep(await _read_data(reader), sender, recipients)
                reply("250 queued")
            elif verb == "QUIT":
                reply("221 bye")
                await writer.drain()
                break
            else:
                reply("502 not implemented")
            await writer.drain()
        writer.close()

    def _keep(self, data: bytes, sender: str, recipients: list[str]) -> None:
        self.messages.append(email.message_from_bytes(data))
        self.envelopes.append((sender, list(recipients)))


async def _read_data(reader: asyncio.StreamReader) -> bytes:
    lines = []
    while (line := await reader.readline()) not in (b".\r\n", b".\n", b""):
        lines.append(line[1:] if line.startswith(b"..") else line)
    return b"".join(lines)
