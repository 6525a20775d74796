"""Excel workbooks as CSV copies (pipeline.check.xlsx): each cell's text, and every hostile
workbook refused with one message naming the file. The workbooks are built here with openpyxl
(or, for what openpyxl will not write, as raw ZIP parts)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from pipeline.check import xlsx
from pipeline.check.source import open_source
from pipeline.core.errors import OptoutError

pytestmark = pytest.mark.unit


def book(tmp_path: Path, rows: list[list[object]], name: str = "list.xlsx", title: str = "Sheet1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def copied(path: Path) -> list[list[str]]:
    out = path.with_name("copy.csv")
    xlsx.write_csv_copy(path, out)
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("ann@example.com", "ann@example.com"), (True, "TRUE"), (False, "FALSE"),
    (12, "12"), (12.0, "12"), (0.1, "0.1"), (0.1 + 0.2, "0.30000000000000004"), (-3.5, "-3.5"),
    (4915112345678.0, "4915112345678"), (1e20, "1e+20"), (float("nan"), "nan"),
    (datetime(2026, 10, 11), "2026-10-11"), (datetime(2026, 10, 11, 9, 30), "2026-10-11T09:30:00"),
    (date(2026, 10, 11), "2026-10-11"), (time(9, 30), "09:30:00"),
    (timedelta(hours=26, minutes=3, seconds=4), "26:03:04"), (timedelta(seconds=-90), "-0:01:30"),
    ("#N/A", "#N/A"), ("00123", "00123"),
])
def test_cell_text(value: object, text: str) -> None:
    assert xlsx.cell_text(value) == text


def test_types_dates_booleans_and_numbers_round_trip(tmp_path: Path) -> None:
    path = book(tmp_path, [
        ["id", "Email", "vip", "signed_up", "score", "zip"],
        [1, "ann@example.com", True, datetime(2026, 1, 2, 3, 4, 5), 0.1, "00123"],
        [2.0, "bob@example.com", False, date(2026, 1, 2), 2.50, "x,\"y\"\nz"],
    ])
    assert copied(path) == [
        ["id", "Email", "vip", "signed_up", "score", "zip"],
        ["1", "ann@example.com", "TRUE", "2026-01-02T03:04:05", "0.1", "00123"],
        ["2", "bob@example.com", "FALSE", "2026-01-02", "2.5", "x,\"y\"\nz"],
    ]


def formula_book(tmp_path: Path, cached: bool) -> Path:
    """A sheet whose address cells are =HYPERLINK formulas, with or without the value Excel saves."""
    value = "<v>ann@example.com</v>" if cached else ""
    cell = (f'<c r="A2" t="str"><f>HYPERLINK("mailto:ann@example.com","ann@example.com")</f>{value}</c>')
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
             f'<row r="2">{cell}</row></sheetData></worksheet>')
    return raw_book(tmp_path, sheet)


def raw_book(tmp_path: Path, sheet_xml: str, extra: dict[str, bytes] | None = None, name: str = "raw.xlsx") -> Path:
    """A minimal workbook from its XML parts (for what openpyxl does not write)."""
    path = tmp_path / name
    ns = "http://schemas.openxmlformats.org"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{office}.worksheet+xml"/>'
            '</Types>'),
        "_rels/.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, text in parts.items():
            archive.writestr(part, text)
        for part, data in (extra or {}).items():
            archive.writestr(part, data)
    return path


def test_a_formula_gives_its_saved_value_never_its_text(tmp_path: Path) -> None:
    assert copied(formula_book(tmp_path, cached=True)) == [["email"], ["ann@example.com"]]


def test_a_formula_without_a_saved_value_is_an_empty_cell(tmp_path: Path) -> None:
    rows = copied(formula_book(tmp_path, cached=False))
    assert rows == [["email"]] and "HYPERLINK" not in (tmp_path / "copy.csv").read_text(encoding="utf-8")


def test_merged_cells_keep_the_value_in_the_top_left_only(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["email", "team", "note"])
    ws.append(["ann@example.com", "north", "x"])
    ws.append(["dan@example.com", None, "y"])
    ws.merge_cells("B2:B3")
    wb.save(tmp_path / "merged.xlsx")
    assert copied(tmp_path / "merged.xlsx") == [["email", "team", "note"], ["ann@example.com", "north", "x"], ["dan@example.com", "", "y"]]


def test_the_first_visible_sheet_is_read_not_a_hidden_one(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "old"
    hidden.append(["email"])
    hidden.append(["secret@example.com"])
    hidden.sheet_state = "hidden"
    shown = wb.create_sheet("Recipients")
    shown.append(["email"])
    shown.append(["ann@example.com"])
    wb.active = 1
    wb.save(tmp_path / "hidden.xlsx")
    assert copied(tmp_path / "hidden.xlsx") == [["email"], ["ann@example.com"]]


def test_empty_rows_are_left_out_even_a_million_of_them(tmp_path: Path) -> None:
    rows = "".join(f'<row r="{n}"/>' for n in range(3, 1_048_576))
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<dimension ref="A1:XFD1048576"/><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c></row>'
             f'{rows}<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData></worksheet>')
    assert copied(raw_book(tmp_path, sheet)) == [["email"], ["ann@example.com"]]


def test_trailing_empty_cells_are_dropped_and_leading_empty_rows_skipped(tmp_path: Path) -> None:
    path = book(tmp_path, [[None, None], ["email", "name", None], ["ann@example.com", None, None]])
    assert copied(path) == [["email", "name"], ["ann@example.com"]]


def hostile(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"{case}.xlsx"
    if case == "zip_not_a_workbook":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif case == "xlsb":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("xl/workbook.bin", b"\x83\x01")
    elif case == "ods":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            archive.writestr("content.xml", "<office:document-content/>")
    elif case == "truncated_zip":
        good = book(tmp_path, [["email"], ["ann@example.com"]], name="good.xlsx")
        path.write_bytes(good.read_bytes()[:300])
    elif case == "broken_xml":
        raw_book(tmp_path, "<worksheet>", name=path.name)
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("xl/styles.xml", "<styleSheet a='1' a='2'/>")
    elif case == "no_rows":
        book(tmp_path, [], name=path.name)
    elif case == "all_hidden":
        wb = openpyxl.Workbook()
        wb.active.append(["email"])
        wb.create_sheet("b").append(["email"])
        wb.save(path)
        with zipfile.ZipFile(path) as archive:
            parts = {n: archive.read(n) for n in archive.namelist()}
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'state="visible"', b'state="hidden"')
        with zipfile.ZipFile(path, "w") as archive:
            for n, data in parts.items():
                archive.writestr(n, data)
    elif case == "shared_strings_bomb":
        raw_book(tmp_path, "<worksheet/>", {"xl/sharedStrings.xml": b"<sst>" + b" " * (xlsx.MAX_SHARED_STRINGS + 1)}, name=path.name)
    elif case == "ratio_bomb":
        raw_book(tmp_path, "<worksheet/>", {"xl/worksheets/sheet2.xml": b"\0" * (64 << 20)}, name=path.name)
    elif case == "encrypted":
        path.write_bytes(xlsx.OLE2_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64
                         + "EncryptedPackage".encode("utf-16-le"))
    elif case == "old_xls":
        path = tmp_path / "old.xls"
        path.write_bytes(xlsx.OLE2_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 512)
    return path


@pytest.mark.parametrize(("case", "message"), [
    ("zip_not_a_workbook", "a ZIP archive but not an Excel workbook"),
    ("xlsb", "an Excel binary workbook (.xlsb)"),
    ("ods", "an OpenDocument spreadsheet (.ods)"),
    ("truncated_zip", "damaged ZIP archive"),
    ("broken_xml", "not a readable Excel workbook"),
    ("no_rows", "the worksheet is empty, no header row"),
    ("all_hidden", "every worksheet of the workbook is hidden"),
    ("shared_strings_bomb", "shared strings would unpack to"),
    ("ratio_bomb", "a ZIP bomb?"),
    ("encrypted", "password-protected (encrypted)"),
    ("old_xls", "Excel 97-2003 workbook (.xls"),
])
def test_hostile_workbooks_are_refused_with_one_line_naming_the_file(tmp_path: Path, case: str, message: str) -> None:
    path = hostile(tmp_path, case)
    with pytest.raises(OptoutError) as caught:
        with open_source(path, tmp_path / "out.csv"):
            pass
    text = str(caught.value)
    assert message in text and str(path) in text and "\n" not in text
    assert not list(tmp_path.glob(".*partial"))


def test_a_part_that_lies_about_its_size_unpacks_no_more_than_it_says(tmp_path: Path) -> None:
    """A bomb whose directory claims a small size: zipfile stops at the claimed size and the
    CRC then fails, so the workbook is refused without unpacking the rest."""
    good = book(tmp_path, [["email"], ["ann@example.com"]], name="good.xlsx")
    with zipfile.ZipFile(good) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    override = (b'<Override PartName="/xl/sharedStrings.xml" '
                b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", override)
    parts["xl/sharedStrings.xml"] = (b"<sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><si><t>"
                                     + b" " * (64 << 20) + b"</t></si></sst>")
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, part in parts.items():
            archive.writestr(n, part)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        real = archive.getinfo("xl/sharedStrings.xml").file_size
    claimed, count = (1000).to_bytes(4, "little"), 0
    for at in range(len(data) - 4):  # the size in the local header and in the central directory
        if data[at:at + 4] == real.to_bytes(4, "little"):
            data[at:at + 4] = claimed
            count += 1
    assert count == 2
    path.write_bytes(bytes(data))
    with pytest.raises(OptoutError, match="not a readable Excel workbook|cannot be read") as caught:
        xlsx.write_csv_copy(path, tmp_path / "copy.csv")
    assert str(path) in str(caught.value)


def test_the_unpacked_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = book(tmp_path, [["email"], ["ann@example.com"]])
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", 100)
    with pytest.raises(OptoutError, match="would unpack to .* bytes, more than the 100"):
        xlsx.write_csv_copy(path, tmp_path / "copy.csv")


def test_open_source_yields_a_csv_copy_and_removes_it(tmp_path: Path) -> None:
    path = book(tmp_path, [["Email Address", "name"], ["ann@example.com", "Ann"]])
    with open_source(path, tmp_path / "out.csv") as source:
        assert source.path != path and source.copied == "Excel workbook" and source.delimiter == ","
        assert source.path.read_text(encoding="utf-8") == "Email Address,name\nann@example.com,Ann\n"
    assert not source.path.exists()


def test_head_rows_reads_only_the_first_rows(tmp_path: Path) -> None:
    path = book(tmp_path, [["email"], *([f"p{i}@example.com"] for i in range(50))])
    assert xlsx.head_rows(path, 3) == [["email"], ["p0@example.com"], ["p1@example.com"]]
