"""`dag.test()` runs of optout_intraday: only the fast channels (the click log and the ESP
webhooks) are ingested, through the same gates; the list is published at once; the nightly run
afterwards skips what the intraday run took and ingests the rest."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.core.config import DEV_TOKEN_KEYS, parse_token_keys
from pipeline.intake.tokens import mint
from pipeline.store.db import make_engine
from pipeline.store.schema import ingested_files, pipeline_runs, suppressions
from tests.dags.night import write
from tests.dags.test_nightly_run import load_dag, states

pytestmark = pytest.mark.dags
MORNING = datetime(2026, 10, 9, 10, 15, tzinfo=UTC)


def land_fast(landing: Path) -> None:
    token = mint(parse_token_keys(DEV_TOKEN_KEYS), "clicker@example.com", "oct", datetime(2026, 10, 1, tzinfo=UTC))
    click = {"event_id": "e-1", "occurred_at": "2026-10-09T09:01:00Z", "token": token, "method": "POST",
             "one_click": True, "ip": "192.0.2.7", "user_agent": "mail client"}
    write(landing, "unsubscribe_link", "2026-10-09", "clicks-web-1-20261009T090000Z-000001.jsonl", json.dumps(click) + "\n")
    event = [{"email": "spam.reporter@example.org", "event": "spamreport", "sg_event_id": "sg-77", "timestamp": 1791536400}]
    write(landing, "esp_events", "2026-10-09", "sendgrid-web-1-20261009T090500Z-000001.jsonl", json.dumps(event) + "\n")


def test_the_fast_channels_within_minutes_then_the_night(airflow_db: Path, night_env: dict[str, Path]) -> None:
    land_fast(night_env["landing"])
    run = load_dag("optout_intraday").test(logical_date=MORNING)
    assert run.state == "success", states(run)
    engine = make_engine(f"sqlite:///{night_env['store']}")
    with engine.connect() as conn:
        channels = conn.execute(sa.select(ingested_files.c.channel).distinct()).scalars().all()
        keys = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
        runs = conn.execute(sa.select(pipeline_runs.c.channels, pipeline_runs.c.status)).all()
    assert sorted(channels) == ["esp_events", "unsubscribe_link"]  # the phone calls and letters wait for the night
    assert keys == {"clicker@example.com", "spam.reporter@example.org"}
    assert runs == [("esp_events,unsubscribe_link", "success")]
    quality = json.loads((night_env["output"] / "2026-10-09" / "data_quality_intraday.json").read_text())
    assert quality["channels"] == ["esp_events", "unsubscribe_link"] and set(quality["results"]) >= {"esp_events", "unsubscribe_link"}

    night = load_dag("optout_nightly").test(logical_date=datetime(2026, 10, 10, 2, tzinfo=UTC))
    assert night.state == "success", states(night)
    with engine.connect() as conn:
        taken_twice = conn.execute(sa.select(sa.func.count()).select_from(ingested_files).group_by(ingested_files.c.sha256)
                                   .having(sa.func.count() > 1)).all()
        keys = set(conn.execute(sa.select(suppressions.c.match_key)).scalars())
    engine.dispose()
    assert taken_twice == [] and {"clicker@example.com", "ann@example.com", "eve@example.com"} <= keys
