"""`optout check` on hostile recipient files (tests/hostile/check/README.md lists each file and
its expected outcome): the real CLI entry point, run in this process against one store."""
from __future__ import annotations

import contextlib
import csv
import gc
import hashlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.formulas import FORMULA_PREFIXES

pytestmark = pytest.mark.integration

HOSTILE = Path(__file__).parent.parent / "hostile" / "check"
NOW = "2026-10-11T03:00:00Z"
SUPPRESSED = ("bob@example.com", "carl@example.org")


def cases() -> list[tuple[str, int, list[str]]]:
    """(file, exit code, kept addresses) from the README's table."""
    found = []
    for line in (HOSTILE / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and cells[1].isdigit():
            found.append((cells[0], int(cells[1]), cells[2].split()))
    return found


def run_cli(*args: str) -> tuple[int, str, str]:
    """`optout ARGS` through `pipeline.cli.main`: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["optout", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        sys.argv = argv
        gc.unfreeze()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'optout.db'}"
    assert run_cli("--db", db, "init")[0] == 0
    for i, address in enumerate(SUPPRESSED):
        assert run_cli("--db", db, "--now", "2026-10-11T01:00:00Z", "add", address, "--channel", "postal_mail", "--ref", f"L{i}")[0] == 0
    yield db


def test_every_hostile_file_is_listed() -> None:
    listed = {name for name, _, _ in cases()}
    present = {p.name for p in HOSTILE.iterdir() if p.name != "README.md"}
    assert listed == present and len(present) >= 30


def mentions(text: str, address: str) -> int:
    return len(re.findall(rf"(?<![\w.+-]){re.escape(address)}(?![\w-])", text, flags=re.IGNORECASE))


def removed_rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    delimiter = first[first.index("reason") - 1]
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]


@pytest.mark.parametrize(("name", "code", "kept"), cases(), ids=[c[0] for c in cases()])
def test_hostile_file(store: str, tmp_path: Path, name: str, code: int, kept: list[str]) -> None:
    src = HOSTILE / name
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out, rem = tmp_path / "out.csv", tmp_path / "removed.csv"
    got, stdout, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), "--output", str(out), "--removed", str(rem), "--json")
    assert got == code, stderr
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    assert "Traceback" not in stderr and not list(tmp_path.glob(".*partial"))
    if code != 0:
        # One line of error; the development-keys warning every command prints is not part of it.
        problem = [line for line in stderr.strip().splitlines() if not line.startswith("optout: warning: development keys")]
        assert len(problem) == 1 and name in problem[0], stderr
        assert not out.exists() and not rem.exists()
        return
    summary = json.loads(stdout)
    text = out.read_text(encoding="utf-8")
    assert summary["kept"] == len(kept)
    for address in set(kept):
        assert mentions(text, address) == kept.count(address), address
    assert not [a for a in SUPPRESSED if mentions(text, a)]
    removed = removed_rows(rem)
    assert summary["input_rows"] == summary["kept"] + len(removed) - 1
    assert not [cell for row in removed for cell in row if cell.startswith(FORMULA_PREFIXES)]


@pytest.mark.parametrize(("name", "out_bytes"), [
    ("crlf.csv", b"id,email,zip\r\n1,ann@example.com,00123\r\n"),
    ("bom_crlf.csv", b"Email,Name\r\nann@example.com,Ann\r\n"),
    ("bare_cr.csv", b"email,name\nann@example.com,Ann\n"),
    ("mixed_endings.csv", b"id,email\n1,ann@example.com\r\n3,dan@example.com\n5,eve@example.com\n"),
    ("semicolon_email_address.csv", 'Email Address;Name;City\n"ann@example.com";"Doe, Ann";Köln\n'.encode()),
    ("recipients.csv.gz", b"email,name\r\nann@example.com,Ann\r\n"),
])
def test_out_keeps_the_input_bytes(store: str, tmp_path: Path, name: str, out_bytes: bytes) -> None:
    out = tmp_path / "out.csv"
    assert run_cli("--db", store, "--now", NOW, "check", str(HOSTILE / name), "--output", str(out))[0] == 0
    assert out.read_bytes() == out_bytes


@pytest.mark.parametrize("name", ["late_bare_cr.csv", "recipients.csv.gz", "utf16_le_bom_tab.txt", "bare_cr.csv"])
def test_a_copied_input_is_named_and_hashed_as_itself(store: str, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.csv"
    code, stdout, _ = run_cli("--db", store, "--now", NOW, "check", str(HOSTILE / name), "--output", str(out), "--json")
    receipt = json.loads(Path(json.loads(stdout)["receipt"]).read_text(encoding="utf-8"))
    assert code == 0 and receipt["input_sha256"] == hashlib.sha256((HOSTILE / name).read_bytes()).hexdigest()
    assert receipt["output_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_removed_rows_explain_themselves(store: str, tmp_path: Path) -> None:
    out, rem = tmp_path / "out.csv", tmp_path / "removed.csv"
    code, stdout, _ = run_cli("--db", store, "--now", NOW, "check", str(HOSTILE / "formula_injection.csv"), "--output", str(out),
                              "--removed", str(rem), "--json")
    assert code == 0
    header, *rows = removed_rows(rem)
    assert header[-7:] == ["reason", "channel", "since", "match_key", "scope", "first_requested_at", "detail"]
    by_reason = {r[3]: r for r in rows}
    bob = by_reason["suppressed"]
    assert bob[:3] == ["bob@example.com", "'=1+2", "'@SUM(A1)"]
    assert bob[4:9] == ["postal_mail", bob[5], "bob@example.com", "marketing", "2026-10-11T01:00:00+00:00"]
    eve = by_reason["invalid_address"]
    assert eve[0].startswith("'=HYPERLINK") and "invalid characters" in eve[9]
    assert json.loads(stdout)["duplicates"] == 0


def test_duplicates_are_counted_in_summary_and_receipt(store: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, stdout, _ = run_cli("--db", store, "--now", NOW, "check", str(HOSTILE / "duplicates.csv"), "--output", str(out), "--json")
    summary = json.loads(stdout)
    assert code == 0 and summary["duplicates"] == 2
    receipt = json.loads(Path(summary["receipt"]).read_text(encoding="utf-8"))
    assert receipt["duplicates"] == 2
    assert run_cli("--db", store, "check", "--verify-receipt", summary["receipt"])[0] == 0
    code, text, _ = run_cli("--db", store, "--now", NOW, "check", str(HOSTILE / "duplicates.csv"), "--output", str(out))
    assert "2 duplicate" in text


@pytest.mark.parametrize("spelling", ["same", "symlink", "dotdot"])
def test_out_or_removed_equal_to_input_is_refused(store: str, tmp_path: Path, spelling: str) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes((HOSTILE / "crlf.csv").read_bytes())
    before = src.read_bytes()
    same = {"same": src, "symlink": tmp_path / "link.csv", "dotdot": tmp_path / "x" / ".." / "in.csv"}[spelling]
    if spelling == "symlink":
        same.symlink_to(src)
    (tmp_path / "x").mkdir()
    for args in (["--output", str(same)], ["--output", str(tmp_path / "o.csv"), "--removed", str(same)]):
        code, _, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), *args)
        assert code == 2 and "is the input file" in stderr and src.read_bytes() == before
    code, _, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), "--output", str(tmp_path / "o.csv"),
                              "--removed", str(tmp_path / "o.csv"))
    assert code == 2 and "is the output file" in stderr
    code, _, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), "--output", str(tmp_path / "nowhere" / "o.csv"))
    assert code == 2 and "does not exist" in stderr


def test_repeated_cli_checks_always_exit_0(store: str, tmp_path: Path) -> None:
    """Each check exits 0 through a real interpreter exit: no Arrow thread is left holding
    Python memory when the interpreter ends (that aborted with exit 134)."""
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()", "--db", store, "--now", NOW, "check"]
    runs = [("crlf.csv", []), ("semicolon_email_address.csv", ["--removed", str(tmp_path / "r.csv")]),
            ("embedded_newlines_crlf.csv", [])] * 2
    for name, extra in runs:
        done = subprocess.run([*cmd, str(HOSTILE / name), "--output", str(tmp_path / "o.csv"), *extra],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", ["huge_formula_cell.csv", "huge_field.csv", "ragged_rows.csv"])
def test_long_cells_in_a_fresh_process(store: str, tmp_path: Path, name: str) -> None:
    """In a process of its own (where nothing else raised the csv module's field limit first),
    a removed row with a cell of 140,000 characters is neutralised, not a traceback."""
    src = tmp_path / name
    src.write_bytes((HOSTILE / name).read_bytes())
    if name == "ragged_rows.csv":  # the row-by-row reader, with a long cell on a ragged row
        src.write_bytes(src.read_bytes() + b"bob@example.com,=" + b"x" * 140_000 + b",extra,cells\n")
    cmd = [sys.executable, "-c", "from pipeline.cli import main; main()", "--db", store, "--now", NOW, "check"]
    done = subprocess.run([*cmd, str(src), "--output", str(tmp_path / "o.csv"), "--removed", str(tmp_path / "r.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    removed = removed_rows(tmp_path / "r.csv")
    assert not [cell for row in removed for cell in row if cell.startswith(FORMULA_PREFIXES)]
    assert max(len(cell) for row in removed for cell in row) > 100_000 or name == "huge_field.csv"
