"""The console check's jobs (pipeline.http.console.marketer_jobs): names shown but never used as
paths, the stored file's kind from its bytes, job ids, field checks, the preview, progress."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.http.console import marketer_jobs as jobs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("given", "shown"), [
    ("campaign.csv", "campaign.csv"), ("../../etc/passwd", "passwd"), ("C:\\Users\\ann\\list.csv", "list.csv"),
    ("a\x00b\nc\r.csv", "abc.csv"), ("", "upload"), (None, "upload"), ("/", "upload"), ("x" * 300, "x" * 120),
    ("e\u0301te\u0301.csv", "été.csv"), ("\u202eevil.csv", "evil.csv"),
])
def test_shown_name(given: str | None, shown: str) -> None:
    assert jobs.shown_name(given) == shown


@pytest.mark.parametrize(("head", "name", "kind"), [
    (b"PAR1....", "list.csv", "parquet"), (b"email\n", "list.parquet", "parquet"), (b"PK\x03\x04", "list.csv", "xlsx"),
    (bytes.fromhex("d0cf11e0a1b11ae1"), "old.xls", "xlsx"), (b"\x1f\x8b", "list.csv.gz", "csv"), (b"email\n", "list.xlsx", "csv"),
])
def test_the_stored_kind_comes_from_the_bytes(head: bytes, name: str, kind: str) -> None:
    assert jobs.kind_of(head, name) == kind


@pytest.mark.parametrize("job_id", ["../x", "A" * 32, "0" * 31, "0" * 33, "0" * 31 + "/", ""])
def test_job_ids_are_32_hex_digits_only(tmp_path: Path, job_id: str) -> None:
    with pytest.raises(OptoutError):
        jobs.job_dir(Settings(output=tmp_path), job_id)


@pytest.mark.parametrize(("campaign", "kind", "field"), [
    ("oct", "spam", "kind"), ("c" * 201, "marketing", "campaign"), ("a\nb", "marketing", "campaign"),
])
def test_bad_fields_name_themselves(campaign: str, kind: str, field: str) -> None:
    with pytest.raises(OptoutError) as caught:
        jobs.check_fields(campaign, kind)
    assert caught.value.field == field


def test_an_upload_is_saved_under_our_name_and_previewed(tmp_path: Path) -> None:
    settings = Settings(output=tmp_path)
    text = "id;E-Mail;name\n" + "".join(f"{i};p{i}@example.com;P{i}\n" for i in range(30))
    info = jobs.save_upload(settings, "ann", io.BytesIO(text.encode()), "../list.csv", " oct ", "service")
    got = (info.shown_name, info.stored_name, info.campaign, info.kind, info.size)
    assert got == ("list.csv", "input.csv", "oct", "service", len(text))
    assert jobs.load(settings, info.job_id) == info
    shown = jobs.preview(settings, info)
    assert shown.header == ["id", "E-Mail", "name"] and shown.chosen == 1 and len(shown.rows) == jobs.PREVIEW_ROWS
    assert jobs.preview(settings, info, "name").chosen == 2


def test_an_empty_upload_leaves_nothing(tmp_path: Path) -> None:
    settings = Settings(output=tmp_path)
    with pytest.raises(OptoutError, match="empty file") as caught:
        jobs.save_upload(settings, "ann", io.BytesIO(b""), "a.csv", "", "marketing")
    assert caught.value.field == "file" and not list(jobs.jobs_root(settings).iterdir())


def test_progress_is_the_read_position_of_the_open_input(tmp_path: Path) -> None:
    settings = Settings(output=tmp_path)
    info = jobs.save_upload(settings, "ann", io.BytesIO(b"email\n" + b"a@example.com\n" * 1000), "a.csv", "", "marketing")
    assert jobs.progress(settings, info) == (None, info.size)  # not open: nothing read yet
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc here: progress is unknown")
    with jobs.input_path(settings, info).open("rb", buffering=0) as fh:
        fh.read(1000)
        assert jobs.progress(settings, info) == (1000, info.size)
