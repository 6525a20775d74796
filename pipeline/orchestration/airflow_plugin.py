"""The Airflow UI's link to the console: an Airflow plugin whose one external view is a
"Suppression console" entry in the navigation, pointing at OPTOUT_CONSOLE_URL.

The settings are read when Airflow loads its plugins (`on_load`, once per process: the
api-server's), not when this module is imported, so a test or a process can load it with its
own environment; no URL, no link. A setting Airflow cannot use must not take the UI down:
then the link is left out and the reason logged. The link opens the console in its own tab
(no `url_route`): the console refuses to be framed (`frame-ancestors 'none'`)."""
from __future__ import annotations

import logging
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from pipeline.core.config import Settings, SettingsError, load_settings

LINK_NAME = "Suppression console"
log = logging.getLogger(__name__)


def console_views(settings: Settings) -> list[dict[str, Any]]:
    """The external views for these settings: the console link when its URL is set, else none."""
    if not settings.console_url:
        return []
    return [{"name": LINK_NAME, "href": settings.console_url, "destination": "nav", "category": "browse"}]


class OptoutPlugin(AirflowPlugin):
    name = "optout"
    external_views: list[Any] = []

    @classmethod
    def on_load(cls, *args: Any, **kwargs: Any) -> None:
        try:
            cls.external_views = console_views(load_settings())
        except SettingsError as exc:
            log.warning("optout: no console link in the Airflow UI: %s", exc)
            cls.external_views = []
