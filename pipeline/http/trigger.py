"""Start `optout_intraday` when a log segment closes, so a click is enforced in about a minute
instead of at the next quarter hour.

Where the Airflow API is configured (OPTOUT_AIRFLOW_API_URL, and OPTOUT_AIRFLOW_CREDENTIALS
`user:password` unless the API hands out tokens without them, as `make airflow`'s development
set-up does), the server's segment closer asks for a run of the DAG after segments have closed,
at most once every TRIGGER_EVERY seconds: the closes in between are carried by that one run. A
trigger that fails (Airflow down, refused credentials) is logged and tried again on the next
tick; nothing is lost either way, since the DAG's own 15-minute schedule picks up every closed
segment. A failure is a warning when it first happens, when its reason changes, and then once
every WARN_EVERY seconds while it lasts (the tries in between are logged at debug level), so an
Airflow that is down for a day fills no log; the first run started after it says how many tries
failed. The request never runs on a click's path: the closer calls it from its own thread."""
from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.core import safejson

DAG_ID = "optout_intraday"
TRIGGER_EVERY = 30.0  # seconds between two triggers at most
TIMEOUT = 5.0  # seconds an API request may take
WARN_EVERY = 600.0  # seconds between two warnings of the same lasting failure
log = logging.getLogger(__name__)


class TriggerFailed(RuntimeError):
    """The API did not start a run; the message says why (never the credentials)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the API answered


@dataclass
class DagTrigger:
    """Asks the Airflow REST API (v2) for a run of `optout_intraday`."""

    api_url: str
    credentials: str = ""  # user:password, or empty for an API that gives tokens without
    monotonic: Callable[[], float] = time.monotonic
    pending: int = 0  # segments closed since the last run asked for
    last: float | None = None  # when the last run was asked for (monotonic seconds)
    failures: int = 0  # tries failed in a row
    _token: str | None = field(default=None, repr=False)
    _warned: tuple[float, str] | None = field(default=None, repr=False)  # when, and what, the last warning said

    def closed(self, count: int) -> None:
        """`count` segments have closed: a run is due."""
        self.pending += count

    def due(self) -> bool:
        return self.pending > 0 and (self.last is None or self.monotonic() - self.last >= TRIGGER_EVERY)

    def tick(self) -> str | None:
        """Ask for a run when one is due: the run id, or None when none was due or it failed."""
        if not self.due():
            return None
        self.last = self.monotonic()
        try:
            run_id = self.trigger()
        except TriggerFailed as exc:
            self._failed(str(exc))
            return None
        if self.failures:
            log.info("started %s run %s for %d closed segment(s), after %d failed tries", DAG_ID, run_id, self.pending,
                     self.failures)
        else:
            log.info("started %s run %s for %d closed segment(s)", DAG_ID, run_id, self.pending)
        self.pending, self.failures, self._warned = 0, 0, None
        return run_id

    def _failed(self, why: str) -> None:
        self.failures += 1
        now = self.monotonic()
        repeated = self._warned is not None and self._warned[1] == why and now - self._warned[0] < WARN_EVERY
        tries = f" ({self.failures} tries in a row)" if self.failures > 1 else ""
        (log.debug if repeated else log.warning)(
            "could not start %s after %d closed segment(s): %s%s; the next tick tries again, "
            "and its schedule picks them up in any case", DAG_ID, self.pending, why, tries)
        if not repeated:
            self._warned = (now, why)

    def trigger(self) -> str:
        """One run of the DAG, its logical date left to Airflow (the run's own time)."""
        kept = self._token is not None
        try:
            body = self._post_run()
        except TriggerFailed as exc:
            if not (kept and exc.status == 401):
                raise
            self._token = None  # a kept token may have expired: one fresh token, one more try
            body = self._post_run()
        return str(body.get("dag_run_id", ""))

    def _post_run(self) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        return self._request("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None}, headers)

    def _bearer(self) -> str:
        if self._token is None:
            if self.credentials:
                user, _, password = self.credentials.partition(":")
                answer = self._request("POST", "/auth/token", {"username": user, "password": password}, {})
            else:
                answer = self._request("GET", "/auth/token", None, {})
            token = answer.get("access_token")
            if not isinstance(token, str) or not token:
                raise TriggerFailed("the API's /auth/token answer holds no access_token")
            self._token = token
        return self._token

    def _request(self, method: str, path: str, payload: object, headers: dict[str, str]) -> dict[str, object]:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.api_url.rstrip("/") + path, data=data, method=method,
                                         headers={**headers, "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 (an http(s) URL from settings)
                raw = answer.read(1 << 20)
        except urllib.error.HTTPError as exc:
            raise TriggerFailed(f"{method} {path}: HTTP {exc.code}", exc.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:  # refused, reset, a broken answer
            raise TriggerFailed(f"{method} {path}: {getattr(exc, 'reason', exc)}") from None
        try:
            body = safejson.loads(raw or b"{}")  # an API answer is outside input: depth, size and numbers bounded
        except ValueError:
            raise TriggerFailed(f"{method} {path}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise TriggerFailed(f"{method} {path}: the answer is not a JSON object")
        return body
