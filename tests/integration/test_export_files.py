"""`optout export`: the clear CSV shows no cell a spreadsheet would evaluate; the hashed one
carries every entry, erased ones included, under the export key."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import pytest

from pipeline.audit.erase import erase
from pipeline.audit.export import FORMULA_PREFIXES, export_hash, export_key_id, export_list
from tests.integration.audit_helpers import land_letters, run_at

pytestmark = pytest.mark.integration

NASTY = ["=1+2@example.com", "+sum@example.com", "-cmd@example.com", "plain@example.com", "gone@example.com"]


@pytest.fixture
def store(engine, settings, landing, clock):
    land_letters(
        landing,
        "2026-10-09",
        "a.csv",
        [(f"L{i}", "2026-10-09T09:00:00Z", a, "") for i, a in enumerate(NASTY)],
    )
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    erase(engine, settings, clock, "gone@example.com", "GDPR-5")


def test_clear_csv_has_no_formula_cells_and_omits_erased_entries(engine, settings, clock, store, tmp_path):
    manifest = export_list(engine, settings, clock, tmp_path)
    text = (tmp_path / "suppression_list.csv").read_text(encoding="utf-8")
    cells = [cell for row in csv.reader(text.splitlines()) for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_PREFIXES)]
    assert "'=1+2@example.com" in cells and "'+sum@example.com" in cells and "'-cmd@example.com" in cells
    assert "gone@" not in text
    assert (manifest.rows, manifest.erased, manifest.erased_omitted, manifest.entries) == (4, 1, 1, 5)
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written["list_version"] == manifest.list_version and written["sha256"] == manifest.sha256


def test_hashed_export_includes_erased_entries(engine, settings, clock, store, tmp_path):
    manifest = export_list(engine, settings, clock, tmp_path, hashed=True)
    rows = list(csv.DictReader((tmp_path / "suppression_list.hashed.csv").read_text().splitlines()))
    hashes = {r["match_key_hmac_sha256"] for r in rows}
    # "=1+2" keys as "=1" (tag dropped); "+sum" keeps its leading "+" (SPEC §4.2)
    keys = ["=1@example.com", "+sum@example.com", "-cmd@example.com", "plain@example.com", "gone@example.com"]
    assert hashes == {export_hash(settings.export_key, k) for k in keys}
    assert (manifest.rows, manifest.erased_omitted, manifest.key_id) == (
        5,
        0,
        export_key_id(settings.export_key),
    )
    assert not (tmp_path / "suppression_list.csv").exists()


def test_a_new_export_key_cannot_rehash_erased_entries(engine, settings, clock, store, tmp_path):
    manifest = export_list(engine, replace(settings, export_key="rotated"), clock, tmp_path, hashed=True)
    assert (manifest.rows, manifest.erased_omitted) == (4, 1) and "cannot be re-hashed" in manifest.warnings[
        0
    ]
