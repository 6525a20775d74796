"""`optout serve` asking Airflow for an `optout_intraday` run when segments close: the token,
the request, at most one every TRIGGER_EVERY seconds, failures retried and never raised."""

from __future__ import annotations

import pytest

from pipeline.http.trigger import DAG_ID, TRIGGER_EVERY, WARN_EVERY, DagTrigger, TriggerFailed
from tests.fake_airflow import fake_airflow

pytestmark = pytest.mark.unit


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_closed_segment_starts_one_run_with_a_token() -> None:
    with fake_airflow() as api:
        trigger = DagTrigger(api.url)
        assert trigger.tick() is None and api.runs == []  # nothing closed: nothing asked
        trigger.closed(2)
        assert trigger.tick() == "manual__1"
    (run,) = api.runs
    assert run["path"] == f"/api/v2/dags/{DAG_ID}/dagRuns" and run["body"] == {"logical_date": None}
    assert run["authorization"] == "Bearer token-1" and trigger.pending == 0


def test_credentials_are_posted_for_the_token() -> None:
    with fake_airflow(token_without_password=False) as api:
        trigger = DagTrigger(api.url, "admin:secret")
        trigger.closed(1)
        assert trigger.tick() == "manual__1"
        wrong = DagTrigger(api.url, "admin:guess")
        wrong.closed(1)
        assert wrong.tick() is None and wrong.pending == 1
    assert api.refused == ["POST /auth/token"] and len(api.runs) == 1


def test_closes_in_between_wait_for_the_interval_then_one_run_carries_them() -> None:
    ticks = Ticks()
    with fake_airflow() as api:
        trigger = DagTrigger(api.url, monotonic=ticks)
        trigger.closed(1)
        assert trigger.tick() == "manual__1"
        trigger.closed(1)
        ticks.now += TRIGGER_EVERY - 1
        assert trigger.tick() is None and trigger.pending == 1
        trigger.closed(3)
        ticks.now += 1
        assert trigger.tick() == "manual__2" and trigger.pending == 0
    assert len(api.runs) == 2 and api.tokens == 1  # the token is kept between runs


def test_a_refused_run_is_kept_and_asked_for_again() -> None:
    ticks = Ticks()
    with fake_airflow(run_status=503) as api:
        trigger = DagTrigger(api.url, monotonic=ticks)
        trigger.closed(1)
        assert trigger.tick() is None and trigger.pending == 1
        api.run_status = 200
        ticks.now += TRIGGER_EVERY
        assert trigger.tick() == "manual__2" and trigger.pending == 0


def test_an_expired_token_is_renewed_once() -> None:
    ticks = Ticks()
    with fake_airflow() as api:
        trigger = DagTrigger(api.url, monotonic=ticks)
        trigger.closed(1)
        assert trigger.tick() == "manual__1"
        api.expire_once = True
        trigger.closed(1)
        ticks.now += TRIGGER_EVERY
        assert trigger.tick() == "manual__2"
    assert api.tokens == 2 and api.runs[-1]["authorization"] == "Bearer token-2"


def test_a_fresh_token_refused_is_not_asked_for_again_at_once() -> None:
    with fake_airflow(expire_once=True) as api:
        trigger = DagTrigger(api.url)
        trigger.closed(1)
        assert trigger.tick() is None and trigger.pending == 1
    assert api.tokens == 1


def test_an_unreachable_api_is_an_error_that_names_no_secret() -> None:
    with fake_airflow() as api:
        url = api.url
    trigger = DagTrigger(url, "admin:hunter2")
    with pytest.raises(TriggerFailed) as failed:
        trigger.trigger()
    assert "/auth/token" in str(failed.value) and "hunter2" not in str(failed.value)
    trigger.closed(1)
    assert trigger.tick() is None and trigger.pending == 1  # logged, never raised into the server


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b'["access_token"]', "not a JSON object"),
        (b'{"access_token": 7}', "no access_token"),
        (b'{"access_token": ""}', "no access_token"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b'{"access_token": "' + b"x" * (2 << 20) + b'"}', "not JSON"),  # cut at 1 MiB: never read whole
    ],
    ids=["html", "a list", "a number", "empty", "deep", "huge"],
)
def test_a_hostile_token_answer_is_a_failure_that_is_retried(answer: bytes, why: str) -> None:
    with fake_airflow(token_answer=answer) as api:
        trigger = DagTrigger(api.url)
        with pytest.raises(TriggerFailed, match=why):
            trigger.trigger()
        trigger.closed(1)
        assert trigger.tick() is None and trigger.pending == 1
    assert api.runs == []


def test_an_api_that_answers_garbage_is_a_failure() -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def garbage() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"access")  # cut short
            conn.close()

    thread = threading.Thread(target=garbage, daemon=True)
    thread.start()
    trigger = DagTrigger(f"http://127.0.0.1:{server.getsockname()[1]}")
    with pytest.raises(TriggerFailed, match="/auth/token"):
        trigger.trigger()
    trigger.closed(1)
    assert trigger.tick() is None and trigger.pending == 1
    server.close()


def test_a_lasting_failure_warns_when_it_starts_changes_and_every_ten_minutes(caplog: pytest.LogCaptureFixture) -> None:
    ticks = Ticks()
    caplog.set_level("DEBUG", logger="pipeline.http.trigger")
    with fake_airflow(run_status=503) as api:
        trigger = DagTrigger(api.url, monotonic=ticks)
        trigger.closed(1)
        for _ in range(int(WARN_EVERY // TRIGGER_EVERY) + 1):  # ten minutes and one more tick of Airflow refusing
            assert trigger.tick() is None
            ticks.now += TRIGGER_EVERY
        api.run_status = 500  # another reason: said at once
        assert trigger.tick() is None
        warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warned) == 3 and "HTTP 503" in warned[0] and "(21 tries in a row)" in warned[1]
        assert "HTTP 500" in warned[2] and sum(r.levelname == "DEBUG" for r in caplog.records) == 19
        api.run_status = 200
        ticks.now += TRIGGER_EVERY
        assert trigger.tick() is not None and trigger.failures == 0
    assert "after 22 failed tries" in caplog.records[-1].getMessage()
