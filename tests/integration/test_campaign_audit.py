"""`optout audit campaign`: a check replayed against the events and its own files."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.audit.campaign import audit_campaign
from pipeline.audit.erase import erase
from pipeline.check.receipts import file_sha256
from pipeline.check.run import run_check
from pipeline.core.errors import NotFoundError, OptoutError
from pipeline.store.db import read_tx
from pipeline.store.schema import send_checks
from tests.integration.audit_helpers import at, land_letters, recipients_csv, run_at

pytestmark = pytest.mark.integration

RECIPIENTS = ["Alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]


@pytest.fixture
def checked(engine, settings, landing, clock, tmp_path):
    """Alice is on list v1; Bob asked before the check but only reached v2; Carol asked after it."""
    land_letters(landing, "2026-10-09", "a.csv", [("A", "2026-10-09T09:00:00Z", "alice@example.com", "")])
    run_at(engine, settings, clock, "2026-10-09", "2026-10-10T02:00:00")
    land_letters(landing, "2026-10-11", "b.csv", [("B", "2026-10-10T10:00:00Z", "bob@example.com", "")])
    clock.at = at("2026-10-11T12:00:00")
    result = run_check(
        engine,
        settings,
        clock,
        recipients_csv(tmp_path / "fall.csv", RECIPIENTS),
        tmp_path / "fall.out.csv",
        campaign="fall-promo",
    )
    run_at(engine, settings, clock, "2026-10-11", "2026-10-12T02:00:00")
    land_letters(landing, "2026-10-12", "c.csv", [("C", "2026-10-12T09:00:00Z", "carol@example.com", "")])
    run_at(engine, settings, clock, "2026-10-12", "2026-10-13T02:00:00")
    return result


def audit(engine, settings, ident):
    with read_tx(engine) as conn:
        return audit_campaign(conn, settings.hash_key, ident)


def addresses(recipients):
    return [r.address for r in recipients]


def test_a_check_before_a_late_opt_out(engine, settings, checked):
    result = audit(engine, settings, str(checked.check_id))
    assert result.ok and result.problems == []
    assert (result.list_version, result.newest_version_at_check, result.used_newest) == (1, 1, True)
    assert result.replay_matches_digest and result.input_verified and result.output_verified
    assert addresses(result.suppressed_at_check) == ["Alice@example.com"]
    assert result.sent_while_suppressed == []
    assert addresses(result.missing_from_list) == ["bob@example.com"]
    assert addresses(result.opted_out_after_check) == ["carol@example.com"]
    assert result.opted_out_after_check[0].requested_at == "2026-10-12T09:00:00+00:00"
    assert audit(engine, settings, "fall-promo").check_id == checked.check_id


def test_an_erased_recipient_is_still_found_by_keyed_hash(engine, settings, clock, checked):
    erase(engine, settings, clock, "alice@example.com", "GDPR-1")
    result = audit(engine, settings, str(checked.check_id))
    assert addresses(result.suppressed_at_check) == ["Alice@example.com"] and result.ok


def test_a_kept_row_that_was_suppressed_is_reported(engine, settings, checked, tmp_path):
    out = tmp_path / "fall.out.csv"
    out.write_text(out.read_text() + "alice@example.com,sneaked\n")
    result = audit(engine, settings, str(checked.check_id))
    assert not result.output_verified and not result.ok and "changed since the check" in result.problems[0]
    with engine.begin() as conn:  # as if the checker itself had kept her
        conn.execute(send_checks.update().values(output_sha256=file_sha256(out)))
    result = audit(engine, settings, str(checked.check_id))
    assert addresses(result.sent_while_suppressed) == ["alice@example.com"] and not result.ok


def test_a_check_against_an_older_version_is_not_newest(engine, settings, clock, checked, tmp_path):
    clock.at = at("2026-10-13T08:00:00")
    later = run_check(
        engine, settings, clock, tmp_path / "fall.csv", tmp_path / "later.out.csv", campaign="later"
    )
    with engine.begin() as conn:
        v1 = conn.execute(sa.text("SELECT digest FROM list_versions WHERE version = 1")).scalar_one()
        conn.execute(
            send_checks.update()
            .where(send_checks.c.id == later.check_id)
            .values(list_version=1, list_digest=v1)
        )
    result = audit(engine, settings, "later")
    assert (result.list_version, result.newest_version_at_check, result.used_newest) == (1, 3, False)
    assert addresses(result.missing_from_list) == ["bob@example.com", "carol@example.com"]


def test_a_moved_input_file_cannot_be_re_checked(engine, settings, checked, tmp_path):
    (tmp_path / "fall.csv").unlink()
    result = audit(engine, settings, str(checked.check_id))
    assert not result.ok and not result.input_verified and "is gone" in result.problems[0]


@pytest.mark.parametrize(("ident", "error"), [("999", NotFoundError), ("no-such-campaign", NotFoundError)])
def test_unknown_checks(engine, settings, checked, ident, error):
    with pytest.raises(error):
        audit(engine, settings, ident)


def test_a_campaign_with_two_checks_needs_a_check_id(engine, settings, clock, checked, tmp_path):
    clock.at = at("2026-10-13T08:00:00")
    run_check(
        engine, settings, clock, tmp_path / "fall.csv", tmp_path / "again.out.csv", campaign="fall-promo"
    )
    with pytest.raises(OptoutError, match="give one check id"):
        audit(engine, settings, "fall-promo")
