"""The block-parallel CSV check (pipeline/check/blocks.py): many blocks judged in worker
processes (or threads where a process cannot fork) give exactly the bytes one block judged in
this process gives, and the same rows and answers as the row-by-row reader."""

from __future__ import annotations

import csv
import random
import threading
from pathlib import Path

import pytest

from pipeline.check import blockreader
from pipeline.check import blocks as check_blocks
from pipeline.check.blockreader import BLOCKS
from pipeline.check.io import Tally
from pipeline.check.loaded_list import SuppressedSet
from pipeline.check.reader import Job
from pipeline.check.rows import ROWS
from pipeline.check.run import filter_file
from pipeline.core.errors import OptoutError
from tests.integration.lists import marketing_list

pytestmark = pytest.mark.integration

SUPPRESSED = ["ann@example.com", "bo.b@gmail.com", "zoë@ëxample.nl", "carl@example.org"]


@pytest.fixture
def lst(engine, settings, clock) -> SuppressedSet:
    return marketing_list(engine, settings, clock, SUPPRESSED)


def address(rng: random.Random, i: int) -> str:
    return rng.choice([
        f"user{i}@example.com", f"User{i}+x@Example.com", "ANN@example.com", "bob@googlemail.com", "Bo.B+news@gmail.com",
        f"  person{i}@example.net ", f"Carl Name <carl+{i}@example.org>", "Zoë@ëxample.nl", "zoe@xn--xample-ova.nl",
        "not an address", "", "a..b@example.com", f"用户{i}@例子.广告",
    ])


def recipients(path: Path, rows: int, eol: str = "\n", encoding: str = "utf-8", last_eol: bool = False) -> Path:
    rng = random.Random(rows)
    with path.open("w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh, lineterminator=eol)
        out.writerow(["id", "note", "email", "city"])
        for i in range(rows):
            note = rng.choice(["plain", "two\nlines", 'say "hi", then\r\nleave', "x" * rng.randrange(0, 300)])
            out.writerow([i, note, address(rng, i) if encoding == "utf-8" else f"user{i}@example.com", "Köln"])
            if i % 97 == 0:
                fh.write(eol)  # a blank line: skipped by every reader
    if not last_eol:
        with path.open("rb+") as fh:
            fh.seek(-len(eol), 2)
            fh.truncate()
    return path


def filter_csv(src: Path, out: Path, rem: Path | None, column: str | None, lst: SuppressedSet, cp1252: bool,
               workers: int, block_size: int) -> Tally:
    return BLOCKS.read(Job(src, out, rem, column, lst, cp1252=cp1252, workers=workers, block_size=block_size))


def filter_csv_rows(src: Path, out: Path, rem: Path | None, column: str | None, lst: SuppressedSet) -> Tally:
    return ROWS.read(Job(src, out, rem, column, lst))


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh) if r]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["processes", "threads"])
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_many_blocks_equal_one_block_and_the_row_reader(lst, tmp_path, monkeypatch, mode, eol):
    if mode == "threads":
        monkeypatch.setattr(check_blocks, "can_fork", lambda: False)
    else:  # as in the one-thread CLI: the suite's own idle helper threads (the browser driver) aside
        monkeypatch.setattr(threading, "active_count", lambda: 1)
        assert check_blocks.can_fork()
    src = recipients(tmp_path / "in.csv", 3000, eol)
    one = filter_csv(src, tmp_path / "one.csv", tmp_path / "one.rem.csv", None, lst, False, workers=1, block_size=1 << 30)
    many = filter_csv(src, tmp_path / "many.csv", tmp_path / "many.rem.csv", None, lst, False, workers=2, block_size=4096)
    assert (tmp_path / "many.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "many.rem.csv").read_bytes() == (tmp_path / "one.rem.csv").read_bytes()
    assert many.counts() == one.counts() and many.output_sha256 == one.output_sha256
    assert one.rows_in == 3000 and one.suppressed > 100 and one.invalid > 100
    by_rows = filter_csv_rows(src, tmp_path / "rows.csv", tmp_path / "rows.rem.csv", None, lst)
    assert by_rows.counts() == many.counts()
    assert rows_of(tmp_path / "many.csv") == rows_of(tmp_path / "rows.csv")
    assert rows_of(tmp_path / "many.rem.csv") == rows_of(tmp_path / "rows.rem.csv")


def test_no_fork_while_another_thread_runs():
    """The HTTP service checks on threads of a threaded process: forking there could leave a
    lock another thread holds held for ever in the worker, so blocks are judged on threads."""
    import threading

    seen: list[bool] = []
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        seen.append(check_blocks.can_fork())
    finally:
        release.set()
        other.join()
    assert seen == [False]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_rows_longer_than_an_output_slot_come_back_inline(lst, tmp_path):
    src = tmp_path / "long.csv"
    src.write_text("email,note\n" + "".join(f"user{i}@example.com,{'y' * 9000}\nann@example.com,z\n" for i in range(20)),
                   encoding="utf-8")
    tally = filter_csv(src, tmp_path / "out.csv", None, None, lst, False, workers=2, block_size=4096)
    assert (tally.kept, tally.suppressed) == (20, 20)
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "email,note\n" + "".join(
        f"user{i}@example.com,{'y' * 9000}\n" for i in range(20))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_windows_1252_and_ragged_files_fall_back_from_the_workers(lst, tmp_path, monkeypatch):
    monkeypatch.setattr(blockreader, "BLOCK_SIZE", 4096)
    cp = recipients(tmp_path / "cp.csv", 800, encoding="cp1252", last_eol=True)
    tally = filter_file(cp, tmp_path / "cp.out.csv", None, None, lst, workers=2)
    assert tally.kept == 800 and "Köln" in (tmp_path / "cp.out.csv").read_text(encoding="utf-8")
    assert tally.reader == "csv-blocks"  # as Windows-1252, still in blocks
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("email,name\n" + "".join(f"user{i}@example.com,n\n" for i in range(500)) + "ann@example.com\n"
                      + "".join(f"more{i}@example.com,n,extra\n" for i in range(500)), encoding="utf-8")
    tally = filter_file(ragged, tmp_path / "ragged.out.csv", None, None, lst, workers=2)
    assert (tally.rows_in, tally.kept, tally.suppressed) == (1001, 1000, 1)
    assert tally.reader == "csv-rows"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_file_changed_during_the_check_is_refused(lst, tmp_path, monkeypatch):
    src = recipients(tmp_path / "in.csv", 500)
    seen = iter([(1, 100, 1), (1, 200, 2)])
    monkeypatch.setattr(blockreader, "file_identity", lambda fh: next(seen))
    with pytest.raises(OptoutError, match="changed while it was being checked"):
        filter_csv(src, tmp_path / "out.csv", None, None, lst, False, workers=2, block_size=4096)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_quote_free_blocks_cut_by_commas_equal_the_row_reader(lst, tmp_path, eol):
    """Blocks without quotes have their address column cut at commas (csvstream.plain_cells)."""
    rng = random.Random(len(eol))
    src = tmp_path / "plain.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"id,email,city{eol}")
        for i in range(3000):
            fh.write(f"{i},{address(rng, i)},Köln{eol}" + (eol if i % 101 == 0 else ""))
    many = filter_csv(src, tmp_path / "many.csv", tmp_path / "many.rem.csv", None, lst, False, workers=2, block_size=4096)
    by_rows = filter_csv_rows(src, tmp_path / "rows.csv", tmp_path / "rows.rem.csv", None, lst)
    assert many.counts() == by_rows.counts() and many.suppressed > 100 and many.invalid > 100
    assert rows_of(tmp_path / "many.csv") == rows_of(tmp_path / "rows.csv")
    assert rows_of(tmp_path / "many.rem.csv") == rows_of(tmp_path / "rows.rem.csv")
