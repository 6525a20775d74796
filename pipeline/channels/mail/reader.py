"""Reading mail files: one `.eml`, an `.mbox` (mboxo/mboxrd), or a Maildir folder.

Splitting is done on bytes, before any parsing, so one broken message never costs the
others: each message is parsed on its own, and a failure becomes one `RawMessage` with an
error (the channel makes it a `rejected`/`unparseable` record).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from pipeline.core.errors import QuarantineError

# An mbox message starts at a "From " line at the start of the file or after a line break.
_FROM_LINE = re.compile(rb"(?:\A|(?<=\n))From [^\n]*\n")
_ESCAPED_FROM = re.compile(rb"(?m)^>(>*From )")
# compat32, not `default`: the default policy builds a parsed header object on every access
# (the parser itself asks for Content-Type and boundaries), which made parsing ten times slower
# on real mail; headers are decoded where they are read (`pipeline.channels.mail.headers.header`).


class ReadMessage(Message):
    """A message as read from a mail file (each of its parts too). Its content type, which the
    rules ask for at every turn (a third of the Content-Type parsing of a message), is worked
    out once, and again only after a change to the fields."""

    _optout_type: str | None = None

    def get_content_type(self) -> str:
        found = self._optout_type
        if found is None:
            found = self._optout_type = super().get_content_type()
        return found

    def _changed(self) -> None:
        self.__dict__.pop("_optout_type", None)

    def set_default_type(self, ctype: str) -> None:
        self._changed()
        super().set_default_type(ctype)

    def set_raw(self, name: str, value: Any) -> None:
        self._changed()
        super().set_raw(name, value)

    def __setitem__(self, name: str, val: Any) -> None:
        self._changed()
        super().__setitem__(name, val)

    def __delitem__(self, name: str) -> None:
        self._changed()
        super().__delitem__(name)

    def replace_header(self, _name: str, _value: Any) -> None:
        self._changed()
        super().replace_header(_name, _value)


_PARSER = BytesParser(ReadMessage, policy=policy.compat32)
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawMessage:
    """One message's bytes, where it was found, and the parsed message or why it failed."""

    data: bytes
    locator: str  # "message 3 (byte 1234)"
    message: Message | None
    error: str = ""


def parse_bytes(data: bytes) -> tuple[Message | None, str]:
    """The parsed message, or None and why it cannot be used."""
    if not data.strip():
        return None, "empty message"
    try:
        msg = simple_message(data)
        if msg is None:
            msg = _PARSER.parsebytes(data)
    except Exception as exc:  # the parser rarely raises; when it does, the message is unusable
        return None, f"cannot parse: {type(exc).__name__}: {exc}"
    if not msg.keys():
        return None, "no header fields"
    return msg, ""


# A field's first line as the parser reads one: a name of printable ASCII but ":", and its colon.
_FIELD = re.compile(r"[\041-\071\073-\176]+:")
_CONTAINERS = frozenset({"multipart", "message"})


def simple_message(data: bytes) -> Message | None:
    """The message exactly as `_PARSER` parses it, built without the parser for the common
    case, or None: LF line ends only, every line up to the first blank one a field (`Name:`)
    or a field's continuation, and a content type that is not multipart or message/*. The
    parser reads such a message line by line in Python, a third of reading a mailbox; here
    the fields are split off and the rest is the payload, as the parser leaves it
    (tests/unit/channels/mail/test_simple_message.py holds the two equal)."""
    end = data.find(b"\n\n")
    if end <= 0 or b"\r" in data:
        return None
    text = data.decode("ascii", "surrogateescape")  # as the parser reads bytes
    fields: list[list[str]] = []
    for line in text[:end].split("\n"):
        if line[:1] in (" ", "\t"):
            if not fields:
                return None
            fields[-1].append(line + "\n")
        elif _FIELD.match(line):
            fields.append([line + "\n"])
        else:
            return None
    msg = ReadMessage(policy=policy.compat32)
    for lines in fields:
        msg.set_raw(*policy.compat32.header_source_parse(lines))
    if msg.get_content_maintype() in _CONTAINERS:
        return None
    msg.set_payload(text[end + 2 :])
    return msg


def _raw(data: bytes, locator: str) -> RawMessage:
    msg, error = parse_bytes(data)
    return RawMessage(data, locator, msg, error)


class NotMbox(ValueError):
    """The bytes are not an mbox; the message says why in one line."""


def split_mbox(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(byte offset, message bytes) of each message in an mbox, "From " lines removed."""
    starts = [m.start() for m in _FROM_LINE.finditer(data)]
    if not starts or data[: starts[0]].strip():
        raise NotMbox('not an mbox file: it does not start with a "From " line')
    return _chunks(data, starts)


def _chunks(data: bytes, starts: list[int]) -> Iterator[tuple[int, bytes]]:
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(data)
        chunk = data[start:end]
        body = chunk[chunk.index(b"\n") + 1 :]
        yield start, _ESCAPED_FROM.sub(rb"\1", body)


def read_messages(path: Path) -> Iterator[RawMessage]:
    """Every message in the file (or Maildir folder) at `path`."""
    if path.is_dir():
        yield from _maildir(path)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuarantineError(f"{path}: cannot read: {exc.strerror}") from None
    # A BOM (editors add one) would hide the first header or the first "From " line.
    skipped = len(BOM) if data.startswith(BOM) else 0
    data = data[skipped:]
    if not path.name.lower().endswith(".mbox"):
        yield _raw(data, "message 1")
        return
    if b"\r" in data and b"\n" not in data:
        data = data.replace(b"\r", b"\n")  # an mbox written with CR-only line ends
    try:
        messages = split_mbox(data)
    except NotMbox as exc:
        raise QuarantineError(f"{path}: {exc}") from None
    for n, (offset, chunk) in enumerate(messages, start=1):
        yield _raw(chunk, f"message {n} (byte {offset + skipped})")


def _maildir(folder: Path) -> Iterator[RawMessage]:
    for sub in ("cur", "new"):
        for path in sorted((folder / sub).glob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield _raw(path.read_bytes(), f"{sub}/{path.name}")
