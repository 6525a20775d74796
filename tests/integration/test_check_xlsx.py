"""`optout check` on Excel workbooks: the same answer as on the same rows saved as CSV, a CSV send
file, the receipt hashing the .xlsx itself, and hostile workbooks refused with exit 2 and one line
naming the file (the workbooks are built here with openpyxl)."""
from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.integration.test_check_hostile import run_cli

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-10-11T03:00:00Z"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('xlsx') / 'optout.db'}"
    assert run_cli("--db", db, "init")[0] == 0
    for i, address in enumerate(("jlia.mller10@mail.example.net", "bob@example.com")):
        assert run_cli("--db", db, "--now", "2026-10-11T01:00:00Z", "add", address, "--channel", "postal_mail", "--ref", f"L{i}")[0] == 0
    return db


def problem_lines(stderr: str) -> list[str]:
    return [line for line in stderr.strip().splitlines() if not line.startswith("optout: warning: development keys")]


def workbook_of(csv_path: Path, xlsx_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Campaign"
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for r, row in enumerate(csv.reader(fh), start=1):
            for c, value in enumerate(row, start=1):
                ws.cell(r, c, value).data_type = "s"  # text, even "=HYPERLINK(...)" (a seed row tests it)
    wb.save(xlsx_path)


def test_a_workbook_is_checked_like_its_rows_saved_as_csv(store: str, tmp_path: Path) -> None:
    seeds = ROOT / "seeds" / "campaign.csv"
    book = tmp_path / "campaign.xlsx"
    workbook_of(seeds, book)
    results = {}
    for name, src in (("csv", seeds), ("xlsx", book)):
        out, rem = tmp_path / f"{name}.out.csv", tmp_path / f"{name}.removed.csv"
        code, stdout, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), "--output", str(out),
                                       "--removed", str(rem), "--campaign", f"C-{name}", "--json")
        assert code == 0, stderr
        results[name] = (json.loads(stdout), out.read_bytes(), rem.read_bytes())
    (csv_sum, csv_out, csv_rem), (x_sum, x_out, x_rem) = results["csv"], results["xlsx"]
    for key in ("input_rows", "kept", "suppressed", "invalid", "duplicates"):
        assert x_sum[key] == csv_sum[key], key
    assert x_sum["suppressed"] >= 1
    # the seeds are minimally quoted CSV with CRLF: the workbook's CSV send file is the same rows with LF
    assert x_out == csv_out.replace(b"\r\n", b"\n") and x_rem == csv_rem
    receipt = json.loads(Path(x_sum["receipt"]).read_text(encoding="utf-8"))
    assert receipt["input"] == str(book.absolute())
    assert receipt["input_sha256"] == hashlib.sha256(book.read_bytes()).hexdigest()
    assert receipt["output_sha256"] == hashlib.sha256(x_out).hexdigest()
    assert not list(tmp_path.glob(".*partial"))


def test_a_formula_cell_in_the_send_file_is_its_value(store: str, tmp_path: Path) -> None:
    """openpyxl saves no computed values, so a formula it wrote reads as an empty cell: the row's
    address is then missing and the row is removed as invalid, never sent with formula text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["email", "link"])
    ws.append(["ann@example.com", '=HYPERLINK("http://x","click")'])
    ws.append(['=HYPERLINK("mailto:dan@example.com","dan@example.com")', "y"])
    wb.save(tmp_path / "formulas.xlsx")
    out, rem = tmp_path / "out.csv", tmp_path / "removed.csv"
    code, stdout, stderr = run_cli("--db", store, "--now", NOW, "check", str(tmp_path / "formulas.xlsx"),
                                   "--output", str(out), "--removed", str(rem), "--json")
    assert code == 0, stderr
    assert out.read_text(encoding="utf-8") == "email,link\nann@example.com\n"
    assert json.loads(stdout)["invalid"] == 1 and "HYPERLINK" not in rem.read_text(encoding="utf-8")


@pytest.mark.parametrize(("make", "message"), [
    ("zip", "a ZIP archive but not an Excel workbook"),
    ("xls", "Excel 97-2003 workbook (.xls"),
    ("empty_sheet", "the worksheet is empty, no header row"),
    ("header_only", "no recipient rows"),
    ("no_address", "no address column"),
])
def test_hostile_workbooks_exit_2_with_one_line(store: str, tmp_path: Path, make: str, message: str) -> None:
    src = tmp_path / ("list.xls" if make == "xls" else "list.xlsx")
    if make == "zip":
        with zipfile.ZipFile(src, "w") as archive:
            archive.writestr("data.csv", "email\nann@example.com\n")
    elif make == "xls":
        src.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + "Workbook".encode("utf-16-le"))
    else:
        wb = openpyxl.Workbook()
        rows = {"empty_sheet": [], "header_only": [["email"]], "no_address": [["name"], ["Ann"]]}[make]
        for row in rows:
            wb.active.append(row)
        wb.save(src)
    before = src.read_bytes()
    out = tmp_path / "out.csv"
    code, _, stderr = run_cli("--db", store, "--now", NOW, "check", str(src), "--output", str(out))
    lines = problem_lines(stderr)
    assert code == 2 and len(lines) == 1 and str(src) in lines[0] and message in lines[0], stderr
    assert "Traceback" not in stderr and not out.exists() and src.read_bytes() == before
    assert not list(tmp_path.glob(".*partial"))
