"""The small-file check (pipeline/check/small.py) against the big path it stands in for: over
generated small CSV files, hostile ones included, a check writes byte for byte the same OUT and
removed rows, the same counts, receipt and `send_checks` row, or refuses with the same message,
whether the small path takes the file or the loaded list and block reader read it."""
from __future__ import annotations

import codecs
import gzip
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipeline.check import small
from pipeline.check.run import run_check
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.intake.records import Action, IntakeRecord, OptoutRequest, Outcome, Scope
from pipeline.ledger import manual
from pipeline.ledger.ingest import store_records
from pipeline.ledger.publish import publish
from pipeline.store.db import make_engine, migrate, write_tx
from pipeline.store.schema import list_snapshots, send_checks, suppressions

pytestmark = pytest.mark.integration

CLOCK = FixedClock(datetime(2026, 10, 11, 2, 0, tzinfo=UTC))
SUPPRESSED = ["ann@example.com", "bob@gmail.com", "=eve@example.com", "-x@example.com"]
ADDRESSES = [
    "Ann@Example.com", " ann@example.com ", "b.o.b@googlemail.com", "carl+news@example.org", "dora@example.net",
    "=eve@example.com", "-x@example.com", "kept@example.com", "Kept <kept@example.com>", "zoë@exämple.com",
    "nope", "", " ", "a@b", "x@localhost", "@example.com", "ann@@example.com", "=HYPERLINK(\"x\")", "+1 555",
]
TEXTS = ["Ann", "O'Neil, Jr.", 'say "hi"', "a;b|c\td", "=1+1", "@home", "ümlaut", "€", ""]
BREAKS = ["line\nbreak", "cr\rhere", "crlf\r\nin a value"]


def request(engine: sa.Engine, settings: Settings, address: str, scope: Scope) -> None:
    record = IntakeRecord("manual", f"test:{uuid.uuid4()}", CLOCK.now(), Outcome.ACCEPTED, "optout", {"address": address},
                          "test", (OptoutRequest(address, address, scope, Action.SUPPRESS),),
                          "entered by the test")
    with write_tx(engine) as conn:
        store_records(conn, settings, [record], None, None, CLOCK.now())
    publish(engine, CLOCK)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sa.Engine, Settings]]:
    """A list with entries of both scopes, two channels on one key, a first request with
    microseconds, keys that look like formulas, and an erased entry (its key hash only)."""
    root = tmp_path_factory.mktemp("small")
    settings = Settings(database_url=f"sqlite:///{root / 'optout.db'}", landing=root)
    engine = make_engine(settings.database_url)
    migrate(engine)
    for i, address in enumerate(SUPPRESSED):
        manual.add(engine, settings, CLOCK, address, "postal_mail", f"L{i}",
                   requested_at=datetime(2026, 10, 1, 9, 30, 0, 123456 * (i % 2), tzinfo=UTC))
    manual.add(engine, settings, CLOCK, "ann@example.com", "manual", "T1")
    request(engine, settings, "carl@example.org", Scope.ALL)
    request(engine, settings, "dora@example.net", Scope.ALL)
    with write_tx(engine) as conn:  # dora is erased: only the keyed hash of her key suppresses her
        conn.execute(suppressions.update().where(suppressions.c.match_key == "dora@example.net").values(match_key=None))
        conn.execute(list_snapshots.delete())
    yield engine, settings
    engine.dispose()


@contextmanager
def small_path(on: bool) -> Iterator[None]:
    saved = small.SMALL_BYTES
    small.SMALL_BYTES = saved if on else -1
    try:
        yield
    finally:
        small.SMALL_BYTES = saved


def checked(engine: sa.Engine, settings: Settings, src: Path, folder: Path, kind: str, on: bool) -> Any:
    """What a user sees of one check: OUT, removed rows, counts, receipt and row (ids and OUT's
    own path apart), or the refusal."""
    folder.mkdir()
    out, removed = folder / "out.csv", folder / "removed.csv"
    try:
        with small_path(on):
            result = run_check(engine, settings, CLOCK, src, out, kind=kind, removed=removed, checked_by="test")
    except OptoutError as exc:
        return type(exc).__name__, str(exc), exc.exit_code, sorted(p.name for p in folder.iterdir())
    receipt = json.loads(Path(result.receipt).read_text(encoding="utf-8"))
    for name in ("check_id", "output", "signature"):
        receipt.pop(name, None)
    with engine.connect() as conn:
        row = dict(conn.execute(sa.select(send_checks).where(send_checks.c.id == result.check_id)).one()._mapping)
    for name in ("id", "output_path", "removed_path", "receipt_path"):
        row.pop(name)
    counts = {k: v for k, v in result.as_dict().items() if k not in ("check_id", "receipt")}
    return out.read_bytes(), removed.read_bytes(), counts, receipt, row


def assert_same(store: tuple[sa.Engine, Settings], content: bytes, kind: str = "marketing", name: str = "in.csv") -> Any:
    engine, settings = store
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / name
        src.write_bytes(content)
        big = checked(engine, settings, src, Path(tmp) / "big", kind, on=False)
        fast = checked(engine, settings, src, Path(tmp) / "small", kind, on=True)
        taken = small.read_small(src, None) is not None
    assert fast == big, content
    return taken, big


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@st.composite
def csv_files(draw: st.DrawFn, hostile: bool = True) -> bytes:
    """Small CSV files as exports write them, and (`hostile`) broken in the ways exports break them."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    eol = draw(st.sampled_from(["\n", "\n", "\r\n", "\r\n", "\r"][: 5 if hostile else 4]))
    names = draw(st.sampled_from([["email"], ["id", "Email Address"], ["name", "email", "note"], ["E-mail", "x"]] * 3
                                 + [["mail", "name"], ["email", "Email"]] * hostile))  # no address column; two
    quote_all = draw(st.booleans())

    def field(value: str) -> str:
        plain = not any(c in value for c in (delimiter, '"', "\r", "\n"))
        if quote_all or not plain and draw(st.integers(0, 9)) or draw(st.integers(0, 4)) == 0:
            return quoted(value)
        return value  # a value with a delimiter or a quote now and then unquoted: ragged or a stray quote

    def cell() -> str:
        if hostile and draw(st.integers(0, 40)) == 0:
            return draw(st.sampled_from(BREAKS))  # a line end inside a value
        if draw(st.integers(0, 5)) == 0:
            return draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8))
        return draw(st.sampled_from(ADDRESSES if draw(st.booleans()) else TEXTS))

    lines = [delimiter.join(field(n) for n in names)]
    for _ in range(draw(st.integers(0, 8))):
        width = len(names) if not hostile or draw(st.integers(0, 30)) else draw(st.integers(1, 4))  # now and then a ragged row
        lines.append(delimiter.join(field(cell()) for _ in range(width)))
        if draw(st.integers(0, 6)) == 0:
            lines.append("")  # a blank line
    text = eol.join(lines) + draw(st.sampled_from([eol, "", eol + eol]))
    if draw(st.integers(0, 5)) == 0:
        text = "\n" * draw(st.integers(1, 2)) + text
    if hostile and draw(st.integers(0, 5)) == 0:  # mixed line ends
        text = text.replace(eol, draw(st.sampled_from(["\n", "\r\n", "\r"])), draw(st.integers(1, 2)))
    encoding = draw(st.sampled_from(["utf-8"] * 8 + ["utf-8-sig"] * 2 + ["cp1252", "utf-16", "gzip"] * hostile))
    if encoding == "gzip":
        data = gzip.compress(text.encode("utf-8"))
    else:
        data = text.encode(encoding if encoding != "cp1252" else "cp1252", errors="replace") if encoding != "utf-8-sig" \
            else codecs.BOM_UTF8 + text.encode("utf-8")
    if hostile and draw(st.integers(0, 11)) == 0:  # a stray byte: a control character, a broken UTF-8 sequence, a NUL
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\x01", b"\xff", b"\xc3", b"\x0c", b"\x85", b'"'])) + data[at:]
    return data


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=st.booleans().flatmap(lambda hostile: csv_files(hostile)), kind=st.sampled_from(["marketing", "service"]))
def test_small_path_writes_what_the_big_path_writes(store: tuple[sa.Engine, Settings], content: bytes, kind: str) -> None:
    assert_same(store, content, kind)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300))
def test_any_bytes_get_the_same_answer(store: tuple[sa.Engine, Settings], content: bytes) -> None:
    assert_same(store, b"email,name\n" + content)


@pytest.mark.parametrize(("content", "taken"), [
    (b"email,name\nann@example.com,A\nkept@example.com,B\n", True),
    (b"email,name\r\nann@example.com,A\r\nkept@example.com,B", True),  # CRLF, no line end at the end
    (b"\xef\xbb\xbf\n\nEmail;Name\n\nkept@example.com;\"O'Neil; Jr.\"\n\n=eve@example.com;\"say \"\"hi\"\"\"\n", True),
    (b'"email","name"\n"dora@example.net","=1+1"\n"carl@example.org","x"\n"nope",""\n', True),  # erased, service
    (b"email\n" + b"a" * 60_000 + b"@example.com\nann@example.com\n", True),  # a huge field
    (b"email,name\nkept@example.com,A\n\n\nann@example.com,B\nlast@example.com,C", True),
    (b"email,name\rann@example.com,A\rkept@example.com,B\r", False),  # bare CR: through a copy
    (b"email,name\nann@example.com,A,extra\n", False),  # ragged: the row-by-row reader
    (b'email,name\nann@example.com,"A\nB"\n', False),  # a line end inside quotes
    (b'email,name\nann@example.com,A"B\n', False),  # a stray quote
    (b"email,name\nzo\xeb@example.com,A\n", False),  # Windows-1252
    (gzip.compress(b"email\nann@example.com\n"), False),
    ("email\nann@example.com\n".encode("utf-16"), False),
    (b"", False), (b"email,name\n", False), (b"name\nann@example.com\n", False),  # refused, with the big path's words
    (b"email,n\r\n" + b"".join(b'"p%d@example.com","O\'Neil, %d"\r\n\r\n' % (i, i) for i in range(6000)), True),  # 200 KB
    (b"email\n" + b"x@example.com\n" * 20_000, False),  # more than SMALL_BYTES
    (b'email,name\n\xef\xbb\xbfkept@example.com,"A"\n\xef\xbb\xbfann@example.com,B\n', True),  # a mark on a row: invalid
])
@pytest.mark.parametrize("kind", ["marketing", "service"])
def test_which_files_the_small_path_takes(store: tuple[sa.Engine, Settings], content: bytes, taken: bool, kind: str) -> None:
    assert assert_same(store, content, kind)[0] is taken


@pytest.mark.parametrize("name", ["list.parquet", "LIST.PQ"])
def test_a_file_named_as_parquet_is_read_as_parquet(store: tuple[sa.Engine, Settings], name: str) -> None:
    """CSV text named .parquet is refused as a Parquet file by both paths (the name decides the reader)."""
    taken, big = assert_same(store, b"email,name\nann@example.com,A\nkept@example.com,B\n", name=name)
    assert not taken and big[0] == "OptoutError" and "not a readable Parquet file" in big[1]


def test_the_small_path_answers_from_the_list(store: tuple[sa.Engine, Settings]) -> None:
    content = b"email,n\nAnn@Example.com,1\nb.o.b@googlemail.com,2\ndora@example.net,3\ncarl+x@example.org,4\nkept@example.com,5\nnope,6\n"
    for kind, kept in (("marketing", b"email,n\nkept@example.com,5\n"),
                       ("service", b"email,n\nAnn@Example.com,1\nb.o.b@googlemail.com,2\nkept@example.com,5\n")):
        taken, (out, removed, counts, _, _) = assert_same(store, content, kind)
        assert taken and out == kept
        assert counts["invalid"] == 1 and counts["kept"] == kept.count(b"\n") - 1
    assert b"dora@example.net,3,suppressed," in removed and b",all," in removed
