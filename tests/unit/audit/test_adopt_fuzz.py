"""A fuzzer of `optout import`'s reading half (`pipeline.audit.adopt.adopt_file`): random bytes
and random CSV text (line ends, delimiters, quotes, encodings, gzip) either give a one-line
OptoutError naming the file, or a report whose counts add up and whose line numbers lie in the
file; never another exception."""

from __future__ import annotations

import codecs
import gzip
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.audit.adopt import ImportReport, adopt_file
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.store.db import make_engine, migrate

pytestmark = pytest.mark.unit
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 10, 11, 9, 0, tzinfo=UTC)
HEADERS = ["email", "Email Address", "E-mail", "when", "name", "", "em\nail", "wh\ren", "a\u2028b", "EMAIL", '"', "\ufeffemail"]
CELL = st.one_of(
    st.sampled_from(["ann@example.com", "Bob@Example.org", "x", "", "=1+2", "2024-01-02T03:04:05Z", "2099-01-01",
                     "1700000000", "0000-01-01", "+25:00"]),
    st.text(alphabet=st.sampled_from(list("ab@.,;|\t\"'\r\n =\x00é") + ["\ufeff", "\u2028", "\udcff"]), max_size=10),
)
ENDS = st.sampled_from(["\n", "\r\n", "\r", ""])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


@dataclass
class Store:
    root: Path
    settings: Settings
    names: Iterator[int]

    def adopt(
        self, data: bytes, suffix: str, column: str | None = None, when: str | None = None,
    ) -> tuple[Path, ImportReport | OptoutError]:
        path = self.root / f"list-{next(self.names)}{suffix}"
        path.write_bytes(data)
        engine = make_engine(self.settings.database_url)
        try:
            return path, adopt_file(engine, self.settings, FixedClock(NOW), path, "fuzz", column, when)
        except OptoutError as exc:
            return path, exc
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("adopt-fuzz")
    url = f"sqlite:///{root / 'optout.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return Store(root, Settings(database_url=url, landing=root / "landing"), itertools.count())


def _content(data: bytes) -> bytes:
    """The text the file holds: gunzipped, UTF-16 decoded, as far as they go."""
    if data.startswith(b"\x1f\x8b"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    return data


def check(path: Path, data: bytes, outcome: ImportReport | OptoutError) -> None:
    if isinstance(outcome, OptoutError):
        message = str(outcome)
        assert str(path) in message, message
        assert len(message.splitlines()) == 1, message
        return
    if outcome.already:
        return
    assert outcome.rows == outcome.imported + len(outcome.invalid) + len(outcome.duplicates)
    text = _content(data)
    last = text.count(b"\n") + text.count(b"\r") + 1  # an upper bound: CRLF counts twice
    lines = [n for n, _ in outcome.invalid] + outcome.duplicates + [n for n, _ in outcome.bad_dates]
    assert all(2 <= n <= last for n in lines), (lines, last)
    assert len(set(n for n, _ in outcome.invalid) | set(outcome.duplicates)) == len(outcome.invalid) + len(outcome.duplicates)


@FUZZ
@given(data=st.binary(max_size=300), prefix=st.sampled_from([b"", b"email\n", codecs.BOM_UTF8 + b"Email,when\r\n",
                                                              codecs.BOM_UTF16_LE, b"PAR1", b"PK\x03\x04"]),
       zipped=st.booleans())
def test_random_bytes(store: Store, data: bytes, prefix: bytes, zipped: bool) -> None:
    raw = prefix + data
    if zipped:
        raw = gzip.compress(raw, mtime=0)
    path, outcome = store.adopt(raw, ".csv.gz" if zipped else ".csv")
    check(path, raw, outcome)


@st.composite
def csv_text(draw: st.DrawFn) -> tuple[bytes, str | None, str | None]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=4))
    rows = draw(st.lists(st.lists(CELL, max_size=5), max_size=8))

    def cell(value: str) -> str:
        if draw(st.booleans()) or any(c in value for c in (delimiter, '"', "\r", "\n")) and draw(st.booleans()):
            return '"' + value.replace('"', '""') + '"'
        return value

    text = "".join(delimiter.join(cell(c) for c in row) + draw(ENDS) for row in [header, *rows])
    encoding = draw(ENCODINGS)
    data = text.encode(encoding, errors="replace" if encoding in ("latin-1", "cp1252") else "surrogatepass")
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
    column = draw(st.sampled_from([None, None, "email", "name", "Contact"]))
    when = draw(st.sampled_from([None, "when"]))
    return data, column, when


@FUZZ
@given(case=csv_text())
def test_random_csv(store: Store, case: tuple[bytes, str | None, str | None]) -> None:
    data, column, when = case
    path, outcome = store.adopt(data, ".csv.gz" if data.startswith(b"\x1f\x8b") else ".csv", column, when)
    check(path, data, outcome)
    if not isinstance(outcome, OptoutError) and not outcome.already and when is not None:
        assert len(outcome.bad_dates) <= outcome.imported


@pytest.mark.parametrize(("chunks", "across"), [(0, False), (1, False), (1, True), (3, True)])
def test_not_utf8_names_its_line_across_chunks(store: Store, chunks: int, across: bool) -> None:
    """The line of the first byte that is not UTF-8, however far in: a character cut by a 1 MiB
    read is no error (`across`: an `é` lies across the end of chunk number `chunks`)."""
    end = chunks << 20
    n = max(end - 1000, 0) // 20  # rows of 20 bytes, then 2,000 bytes of é across the chunk end
    head = b"email,n\n" + b"".join(b"u%06d@example.com\n" % i for i in range(n)) + b"x@example.com,"
    head += b"a" * ((end - 1 - len(head) + (0 if across else 1)) % 2)
    data = head + b"\xc3\xa9" * 1000 + b"\nann@example.com,Jos\xe9\nbob@example.org,x\n"
    if chunks:
        assert data[end - 1] == (0xC3 if across else 0xA9)
    path, outcome = store.adopt(data, ".csv")
    assert isinstance(outcome, OptoutError)
    assert f"{path} line {n + 3}: not UTF-8 text" in str(outcome), str(outcome)
