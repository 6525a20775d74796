"""The console link in the Airflow UI: Airflow's own plugins manager loads the `optout` plugin
from the project's `plugins/` folder (as `make airflow` and the image do), and it has a
"Suppression console" navigation link exactly when OPTOUT_CONSOLE_URL is set."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pipeline.http.unsubscribe_page import NIGHTLY_AT
from tests.dags.night import ROOT

pytestmark = pytest.mark.dags


@pytest.fixture
def load_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Load Airflow's plugins afresh from plugins/, with the environment the test set."""
    from airflow import plugins_manager, settings

    monkeypatch.setattr(settings, "PLUGINS_FOLDER", str(ROOT / "plugins"))

    def load() -> dict[str, Any]:
        plugins_manager._get_plugins.cache_clear()
        plugins_manager._get_ui_plugins.cache_clear()
        info = {p["name"]: p for p in plugins_manager.get_plugin_info(["external_views", "source"])}
        assert plugins_manager._get_plugins()[1] == {}  # no import errors, no plugin loaded twice
        assert "optout" in info, sorted(info)
        return info["optout"]

    yield load
    plugins_manager._get_plugins.cache_clear()
    plugins_manager._get_ui_plugins.cache_clear()


def test_the_console_url_adds_a_navigation_link(load_plugins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTOUT_CONSOLE_URL", "https://optout.internal.example/console/")
    plugin = load_plugins()
    assert plugin["external_views"] == [
        {"name": "Suppression console", "href": "https://optout.internal.example/console/", "destination": "nav", "category": "browse"}
    ]
    assert str(plugin["source"]).endswith("optout_console.py")


def test_without_a_console_url_there_is_no_link(load_plugins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPTOUT_CONSOLE_URL", raising=False)
    assert load_plugins()["external_views"] == []
    monkeypatch.setenv("OPTOUT_CONSOLE_URL", "")
    assert load_plugins()["external_views"] == []


def test_a_bad_setting_leaves_the_link_out_and_airflow_running(load_plugins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTOUT_CONSOLE_URL", "javascript:alert(1)")
    assert load_plugins()["external_views"] == []


def test_the_unsubscribe_page_promises_the_nightly_schedule(dagbag: Any) -> None:
    """The page says when the next nightly run starts: it must be the DAG's own schedule."""
    expression = dagbag.dags["optout_nightly"].timetable.expression
    assert expression == f"{NIGHTLY_AT.minute} {NIGHTLY_AT.hour} * * *"
