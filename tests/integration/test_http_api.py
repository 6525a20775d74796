"""The JSON API (SPEC §8): lookups and batch checks, and nothing at all without an API key."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.http.api import router
from pipeline.ledger.manual import add

pytestmark = pytest.mark.integration
KEY = "test-api-key"


@pytest.fixture
def client(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> TestClient:
    add(engine, settings, clock, "John.Doe@gmail.com", "postal_mail", "L1")
    app = FastAPI()
    app.state.settings = replace(settings, api_keys=(("crm", KEY), ("other", "other-key")), output=tmp_path / "output")
    app.state.engine = engine
    app.state.clock = clock
    app.include_router(router)
    return TestClient(app)


AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"X-API-Key": ""}, {"Authorization": KEY}])
def test_unauthenticated_calls_learn_nothing(client: TestClient, headers: dict[str, str]) -> None:
    for response in (
        client.get("/api/v1/suppressions/john.doe@gmail.com", headers=headers),
        client.get("/api/v1/suppressions/not-an-address", headers=headers),
        client.post("/api/v1/check", json={"addresses": ["john.doe@gmail.com"]}, headers=headers),
        client.post("/api/v1/check", json={"addresses": ["a@b.com"] * 10_001}, headers=headers),
        client.post("/api/v1/check", content=b"not json", headers=headers),
    ):
        assert response.status_code == 401
        assert response.json() == {"detail": "unauthorized"}


def test_lookup(client: TestClient) -> None:
    hit = client.get("/api/v1/suppressions/J.O.H.N.DOE+x@googlemail.com", headers=AUTH).json()
    assert hit["suppressed"] and hit["scope"] == "marketing" and hit["channel"] == "postal_mail"
    assert hit["list_version"] == 1 and hit["since"].startswith("2026-10-11")
    miss = client.get("/api/v1/suppressions/ann@example.com", headers={"X-API-Key": "other-key"}).json()
    assert not miss["suppressed"] and miss["list_version"] == 1
    assert client.get("/api/v1/suppressions/junk", headers=AUTH).status_code == 422


def test_batch_check(client: TestClient) -> None:
    body = {"addresses": ["johndoe@gmail.com", "ann@example.com", "junk"]}
    answer = client.post("/api/v1/check", json=body, headers=AUTH).json()
    assert (answer["total"], answer["suppressed"], answer["invalid"]) == (3, 1, 1)
    assert [r["suppressed"] for r in answer["results"]] == [True, False, False]
    service = client.post("/api/v1/check", json={**body, "kind": "service"}, headers=AUTH).json()
    assert service["suppressed"] == 0
    too_many = client.post("/api/v1/check", json={"addresses": ["a@b.com"] * 10_001}, headers=AUTH)
    assert too_many.status_code == 422


def test_create_app_serves_the_api(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    from pipeline.http.app import create_app

    add(engine, settings, clock, "John.Doe@gmail.com", "postal_mail", "L1")
    app = TestClient(create_app(replace(settings, api_keys=(("crm", KEY),), output=tmp_path / "output"), clock))
    assert app.get("/api/v1/suppressions/johndoe@gmail.com").status_code == 401
    answer = app.get("/api/v1/suppressions/johndoe@gmail.com", headers=AUTH).json()
    assert answer["suppressed"] and answer["list_version"] == 1
