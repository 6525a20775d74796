"""`optout check` (SPEC §7): what a marketer sees in OUT, --removed, the receipt and send_checks."""
from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from pipeline.check import blockreader
from pipeline.check.loaded_list import load_list
from pipeline.check.receipts import file_sha256, verify_receipt
from pipeline.check.run import run_check
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError, StaleListError
from pipeline.ledger.manual import add
from pipeline.store.db import read_tx
from pipeline.store.schema import send_checks, suppressions

pytestmark = pytest.mark.integration

RECIPIENTS = (
    'id,Email,note\n'
    '1,johndoe+x@googlemail.com,a\n'
    '2,"Bob <BOB@example.com>","x, y"\n'
    '3,notanemail,z\n'
    '\n'
    '4,alice@example.com,"multi\nline"\n'
    '5,zoë@ëxample.nl,q\n'
    '6,carol@example.com,00123\n'
)


@pytest.fixture
def published(engine: sa.Engine, settings: Settings, clock: FixedClock) -> None:
    add(engine, settings, clock, "John.Doe@gmail.com", "postal_mail", "L1")
    add(engine, settings, clock, "bob@example.com", "postal_mail", "L2")
    add(engine, settings, clock, "Zoë@ëxample.nl", "manual", "L3")


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh) if r]


@pytest.mark.usefixtures("published")
def test_check_keeps_columns_order_and_bytes(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    out, rem = tmp_path / "out.csv", tmp_path / "removed.csv"
    result = run_check(engine, settings, clock, src, out, removed=rem, campaign="C1")
    assert (result.input_rows, result.kept, result.suppressed, result.invalid) == (6, 2, 3, 1)
    assert out.read_bytes().decode("utf-8") == 'id,Email,note\n4,alice@example.com,"multi\nline"\n6,carol@example.com,00123\n'
    removed = rows(rem)
    assert removed[0] == ["id", "Email", "note", "reason", "channel", "since", "match_key", "scope", "first_requested_at", "detail"]
    assert [(r[0], r[3], r[4], r[6], r[7]) for r in removed[1:]] == [
        ("1", "suppressed", "postal_mail", "johndoe@gmail.com", "marketing"),
        ("2", "suppressed", "postal_mail", "bob@example.com", "marketing"),
        ("3", "invalid_address", "", "", ""),
        ("5", "suppressed", "manual", "zoë@xn--xample-ova.nl", "marketing"),
    ]
    assert removed[1][5].startswith("2026-10-11T02:00") and removed[1][8].startswith("2026-10-11T02:00")
    assert removed[3][9] == "An email address must have an @-sign." and removed[1][9] == ""


@pytest.mark.usefixtures("published")
def test_receipt_and_send_checks_row(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run_check(engine, settings, clock, src, out, campaign="C1")
    valid, body = verify_receipt(Path(result.receipt), settings.receipt_key)
    assert valid
    assert body["campaign"] == "C1" and body["list_version"] == result.list_version
    assert body["input_sha256"] == file_sha256(src) and body["output_sha256"] == file_sha256(out)
    assert (body["rows_in"], body["kept"], body["suppressed"], body["invalid"]) == (6, 2, 3, 1)
    assert len(body["list_digest"]) == 64 and body["checked_at"].startswith("2026-10-11")
    with engine.connect() as conn:
        row = conn.execute(sa.select(send_checks)).one()
    assert (row.campaign, row.rows_in, row.kept, row.output_sha256) == ("C1", 6, 2, file_sha256(out))


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize("edit", [("kept", 3), ("campaign", "C2"), ("output_sha256", "0" * 64)])
def test_edited_receipt_fails_verification(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path,
                                           edit: tuple[str, object]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    receipt = Path(run_check(engine, settings, clock, src, tmp_path / "out.csv", campaign="C1").receipt)
    data = json.loads(receipt.read_text(encoding="utf-8"))
    data[edit[0]] = edit[1]
    receipt.write_text(json.dumps(data), encoding="utf-8")
    assert verify_receipt(receipt, settings.receipt_key)[0] is False


@pytest.mark.usefixtures("published")
def test_service_send_honours_only_scope_all(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    result = run_check(engine, settings, clock, src, tmp_path / "out.csv", kind="service")
    assert (result.kept, result.suppressed, result.invalid) == (5, 0, 1)


@pytest.mark.usefixtures("published")
def test_stale_list_is_refused(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    later = FixedClock(clock.at + timedelta(hours=40))
    with pytest.raises(StaleListError) as err:
        run_check(engine, settings, later, src, tmp_path / "out.csv", max_age_hours=36)
    assert err.value.exit_code == 3 and err.value.field == "max_age_hours"
    assert "published 40.0 hours ago, more than the maximum age of 36 hours" in str(err.value)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.usefixtures("published")
def test_erased_entries_still_suppress(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    with engine.begin() as conn:  # what erasure leaves: the keyed hash, no clear key
        conn.execute(suppressions.update().where(suppressions.c.match_key == "bob@example.com").values(match_key=None, address=None))
    with read_tx(engine) as conn:
        lst = load_list(conn, "marketing", settings.hash_key)
    assert len(lst.erased) == 1 and lst.lookup("bob@example.com") is not None
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    result = run_check(engine, settings, clock, src, tmp_path / "out.csv")
    assert (result.kept, result.suppressed) == (2, 3)


@pytest.mark.usefixtures("published")
def test_cp1252_ragged_and_parquet_inputs(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    cp = tmp_path / "cp.csv"
    cp.write_bytes("email,name\r\nbob@example.com,Beyonc\u00e9\r\nann@example.com,Ren\u00e9e\r\n".encode("cp1252"))
    result = run_check(engine, settings, clock, cp, tmp_path / "cp_out.csv")
    assert (result.kept, result.suppressed) == (1, 1)
    assert (tmp_path / "cp_out.csv").read_bytes().decode("utf-8") == "email,name\r\nann@example.com,Ren\u00e9e\r\n"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("email,name\nbob@example.com\nann@example.com,Ann,extra\n", encoding="utf-8")
    result = run_check(engine, settings, clock, ragged, tmp_path / "ragged_out.csv")
    assert (result.input_rows, result.kept, result.suppressed) == (2, 1, 1)
    pq_in = tmp_path / "in.parquet"
    pq.write_table(pa.table({"n": [1, 2, 3], "recipient": ["bob@example.com", "ann@example.com", None]}), pq_in)
    result = run_check(engine, settings, clock, pq_in, tmp_path / "out.parquet", removed=tmp_path / "rem.parquet")
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [{"n": 2, "recipient": "ann@example.com"}]
    assert pq.read_table(tmp_path / "rem.parquet").column("reason").to_pylist() == ["suppressed", "invalid_address"]


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize(("kind", "out", "removed", "field", "problem"), [
    ("promo", "out.csv", None, "kind", "the kind of mail must be marketing or service, not 'promo'"),
    ("marketing", "in.csv", None, "output", "the output file .* is the input file"),
    ("marketing", "out.csv", "in.csv", "removed", "the removed-rows file .* is the input file"),
    ("marketing", "out.csv", "out.csv", "removed", "the removed-rows file .* is the output file"),
    ("marketing", "nowhere/out.csv", None, "output", "folder .* does not exist"),
])
def test_bad_settings_name_their_field(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path,
                                       kind: str, out: str, removed: str | None, field: str, problem: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    with pytest.raises(OptoutError, match=problem) as refused:
        run_check(engine, settings, clock, src, tmp_path / out, kind=kind, removed=tmp_path / removed if removed else None)
    assert refused.value.field == field and "--" not in str(refused.value)
    assert src.read_text(encoding="utf-8") == RECIPIENTS


@pytest.mark.usefixtures("published")
def test_missing_address_column_is_bad_input(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(OptoutError, match="no address column") as refused:
        run_check(engine, settings, clock, src, tmp_path / "out.csv")
    assert refused.value.field == "column" and "--" not in str(refused.value)


@pytest.mark.usefixtures("published")
def test_in_database_gives_the_same_answer(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    with engine.begin() as conn:
        conn.execute(suppressions.update().where(suppressions.c.match_key == "bob@example.com").values(match_key=None, address=None))
    src = tmp_path / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    memory = run_check(engine, settings, clock, src, tmp_path / "a.csv", removed=tmp_path / "ra.csv")
    database = run_check(engine, settings, clock, src, tmp_path / "b.csv", removed=tmp_path / "rb.csv", in_database=True)
    assert (memory.kept, memory.suppressed, memory.invalid) == (database.kept, database.suppressed, database.invalid) == (2, 3, 1)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "ra.csv").read_bytes() == (tmp_path / "rb.csv").read_bytes()


@pytest.mark.usefixtures("published")
def test_bom_named_column_and_header_only(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "bom.csv"
    src.write_bytes("\ufeffname,Contact\nBob,bob@example.com\nAnn,ann@example.com".encode())
    out = tmp_path / "out.csv"
    result = run_check(engine, settings, clock, src, out, column="contact")
    assert (result.input_rows, result.kept, result.suppressed) == (2, 1, 1)
    assert out.read_bytes() == b"name,Contact\nAnn,ann@example.com\n"
    assert json.loads(Path(result.receipt).read_text(encoding="utf-8"))["input_sha256"] == file_sha256(src)
    empty = tmp_path / "header_only.csv"
    empty.write_text("email\n", encoding="utf-8")
    with pytest.raises(OptoutError, match="no recipient rows"):  # SPEC §7: a non-empty file that yields no rows
        run_check(engine, settings, clock, empty, tmp_path / "empty_out.csv")
    assert not (tmp_path / "empty_out.csv").exists()


@pytest.mark.usefixtures("published")
def test_stray_quote_falls_back_to_the_row_reader(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    src = tmp_path / "stray.csv"
    src.write_text('email,item\nbob@example.com,5" screen\nann@example.com,cable\n', encoding="utf-8")
    result = run_check(engine, settings, clock, src, tmp_path / "out.csv")
    assert (result.input_rows, result.kept, result.suppressed) == (2, 1, 1)
    assert rows(tmp_path / "out.csv") == [["email", "item"], ["ann@example.com", "cable"]]


@pytest.mark.usefixtures("published")
def test_out_appears_only_whole(engine: sa.Engine, settings: Settings, clock: FixedClock, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that fails half-way leaves no send list (not even a partial one); one that
    succeeds leaves OUT and --removed, and nothing staged beside them."""
    folder = tmp_path / "send"
    folder.mkdir()
    src = folder / "in.csv"
    src.write_text(RECIPIENTS, encoding="utf-8")
    out, rem = folder / "out.csv", folder / "removed.csv"
    seen = iter([(1, 1, 1), (1, 2, 2)])
    monkeypatch.setattr(blockreader, "file_identity", lambda fh: next(seen))  # the input "changes" during the check
    with pytest.raises(OptoutError, match="changed while it was being checked"):
        run_check(engine, settings, clock, src, out, removed=rem)
    assert sorted(p.name for p in folder.iterdir()) == ["in.csv"]
    monkeypatch.undo()
    result = run_check(engine, settings, clock, src, out, removed=rem)
    assert sorted(p.name for p in folder.iterdir()) == ["in.csv", "out.csv", "out.csv.receipt.json", "removed.csv"]
    assert verify_receipt(Path(result.receipt), settings.receipt_key)[0] and result.kept == 2
