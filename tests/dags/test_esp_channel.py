"""The nightly DAG picks esp_events up by its registration alone: it is one of the channels
the ingest task is mapped over, and its suite is the one every channel gets."""

from __future__ import annotations

import json

import pytest

from pipeline.channels import REGISTRY
from pipeline.orchestration import suites, tasks

pytestmark = pytest.mark.unit


def test_esp_events_is_mapped_by_registration() -> None:
    assert "esp_events" in REGISTRY
    assert "esp_events" in tasks.channel_names()


def test_esp_events_suite_is_the_template() -> None:
    written = json.loads((suites.SUITES / "esp_events.json").read_text(encoding="utf-8"))
    assert written == suites.channel_suite("esp_events")
    reasons = next(e for e in written["expectations"] if e.get("kwargs", {}).get("column") == "reason" and "value_set" in e["kwargs"])[
        "kwargs"
    ]["value_set"]
    assert "resubscribe" in reasons
