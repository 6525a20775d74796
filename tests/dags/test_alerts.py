"""The nightly failure alert reads its recipients when a run fails, not when the DAG file is
parsed: settings changed after parsing are the ones used, and settings that cannot be loaded
do not stop the DAG files from parsing."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.core.config import SettingsError, load_settings
from tests.dags.conftest import load_dags

pytestmark = pytest.mark.dags


class Notifier:
    """Stands in for the SMTP notifier: records what it was made with and called on."""

    made: list[dict[str, Any]] = []
    sent: list[Any] = []

    def __init__(self, **kwargs: Any) -> None:
        Notifier.made.append(kwargs)

    def __call__(self, context: Any) -> None:
        Notifier.sent.append(context)


@pytest.fixture
def notifier(monkeypatch: pytest.MonkeyPatch) -> type[Notifier]:
    monkeypatch.setattr("airflow.providers.smtp.notifications.smtp.SmtpNotifier", Notifier)
    Notifier.made, Notifier.sent = [], []
    return Notifier


def watch_callbacks(bag: Any) -> list[Any]:
    callback = bag.dags["optout_nightly"].get_task("watch").on_failure_callback
    return list(callback) if isinstance(callback, list | tuple) else [callback]


def fail(callbacks: list[Any], context: dict[str, Any]) -> None:
    for callback in callbacks:
        callback(context)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPTOUT_ALERT_TO", "not an address"),
        ("OPTOUT_ALERT_FROM", "@"),
        ("OPTOUT_DATABASE_URL", "nonsense"),
        ("OPTOUT_MAX_LIST_AGE_HOURS", "-1"),
        ("OPTOUT_TOKEN_KEYS", "no-secret"),
    ],
)
def test_dag_files_parse_when_the_settings_cannot_be_loaded(
    airflow_db: Path, night_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()
    bag = load_dags()  # asserts there is no import error
    assert {"optout_nightly", "campaign_send_check"} <= set(bag.dags)


def test_recipients_are_the_ones_set_when_the_run_fails(
    airflow_db: Path, night_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, notifier: type[Notifier]
) -> None:
    callbacks = watch_callbacks(load_dags())  # parsed with nobody to alert
    context = {"run_id": "scheduled__2026-10-09"}

    monkeypatch.setenv("OPTOUT_ALERT_TO", "privacy-ops@example.com, dpo@example.com")
    monkeypatch.setenv("OPTOUT_ALERT_FROM", "nightly@example.com")
    fail(callbacks, context)
    assert [(m["to"], m["from_email"]) for m in notifier.made] == [(["privacy-ops@example.com", "dpo@example.com"], "nightly@example.com")]
    assert notifier.sent == [context]
    assert "failed" in notifier.made[0]["subject"]

    monkeypatch.setenv("OPTOUT_ALERT_TO", "oncall@example.com")
    fail(callbacks, context)
    assert [m["to"] for m in notifier.made] == [["privacy-ops@example.com", "dpo@example.com"], ["oncall@example.com"]]


def test_nobody_named_when_the_run_fails_means_no_e_mail(
    airflow_db: Path, night_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, notifier: type[Notifier]
) -> None:
    monkeypatch.setenv("OPTOUT_ALERT_TO", "privacy-ops@example.com")
    callbacks = watch_callbacks(load_dags())  # parsed while someone was named
    monkeypatch.delenv("OPTOUT_ALERT_TO")
    fail(callbacks, {"run_id": "scheduled__2026-10-09"})
    assert notifier.made == [] and notifier.sent == []
