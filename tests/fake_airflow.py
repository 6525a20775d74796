"""A stand-in for the Airflow REST API, on a local port: hands out a token at /auth/token (GET,
or POST with the right user and password), records each `POST /api/v2/dags/<id>/dagRuns` with
its headers and body, and answers with the status a test sets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeAirflow:
    url: str = ""
    user: str = "admin"
    password: str = "secret"
    token_without_password: bool = True
    run_status: int = 200  # what POST …/dagRuns answers
    expire_once: bool = False  # answer the next dagRuns POST with 401 (an expired token)
    delay: float = 0.0  # seconds every answer waits first (an API that hangs)
    token_answer: bytes | None = None  # the raw body /auth/token answers with instead (a hostile API)
    tokens: int = 0
    runs: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@contextmanager
def fake_airflow(**options: Any) -> Iterator[FakeAirflow]:
    state = FakeAirflow(**options)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            time.sleep(state.delay)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _token(self) -> None:
            state.tokens += 1
            if state.token_answer is not None:
                self.send_response(201)
                self.send_header("Content-Length", str(len(state.token_answer)))
                self.end_headers()
                self.wfile.write(state.token_answer)
                return
            self._answer(201, {"access_token": f"token-{state.tokens}"})

        def do_GET(self) -> None:
            if self.path == "/auth/token" and state.token_without_password:
                return self._token()
            state.refused.append(f"GET {self.path}")
            self._answer(401, {"detail": "no"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path == "/auth/token":
                if body == {"username": state.user, "password": state.password}:
                    return self._token()
                state.refused.append("POST /auth/token")
                return self._answer(401, {"detail": "bad credentials"})
            if self.path.startswith("/api/v2/dags/") and self.path.endswith("/dagRuns"):
                if not (self.headers.get("Authorization") or "").startswith("Bearer token-"):
                    state.refused.append(f"POST {self.path} without a token")
                    return self._answer(401, {"detail": "no token"})
                if state.expire_once:
                    state.expire_once = False
                    return self._answer(401, {"detail": "token expired"})
                state.runs.append({"path": self.path, "body": body, "authorization": self.headers["Authorization"]})
                if state.run_status != 200:
                    return self._answer(state.run_status, {"detail": "refused"})
                return self._answer(200, {"dag_run_id": f"manual__{len(state.runs)}"})
            state.refused.append(f"POST {self.path}")
            self._answer(404, {"detail": "not found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
