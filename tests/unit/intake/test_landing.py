"""The landing zone as a boundary: only real date folders, no link followed, no hard-linked
file read, a file swapped after it was found refused, and a warning for whatever cannot be placed."""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
from datetime import date
from pathlib import Path

import pytest

from pipeline.core.errors import QuarantineError
from pipeline.intake.landing import (
    Refused,
    checked_path,
    discover,
    folder_date,
    in_flight,
    landed_file,
    open_landed,
    stream_sha256,
    survey,
    walk_channel,
)

pytestmark = pytest.mark.unit

DAY = date(2026, 10, 9)
CSV = ("*.csv",)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2026-10-09", date(2026, 10, 9)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2026-02-29", None),  # not a leap year
        ("2026-13-01", None),
        ("2026-00-10", None),
        ("2026-10-32", None),
        ("2026-1-09", None),
        ("20261009", None),
        ("2026-10-09 ", None),
        ("2026-10-09x", None),
        ("2026-10-0\u0669", None),  # an Arabic-Indic digit is a digit to \d, not to the folder rule
        ("２０２６-10-09", None),  # fullwidth digits
        ("2026_10_09", None),
        ("", None),
    ],
    ids=["real", "leap-day", "no-leap-day", "month-13", "month-0", "day-32", "short-month", "no-dashes",
         "trailing-space", "suffix", "arabic-digit", "fullwidth", "underscores", "empty"],
)
def test_folder_date(name: str, expected: date | None) -> None:
    assert folder_date(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [(".hidden.csv", True), ("_upload.csv", True), ("a.csv.tmp", True), ("a.csv.part", True), ("a.csv", False),
     ("a.tmp.csv", False)],
    ids=["dot", "underscore", "tmp", "part", "finished", "tmp-inside"],
)
def test_in_flight(name: str, expected: bool) -> None:
    assert in_flight(name) is expected


@pytest.mark.parametrize(
    ("data", "skip"),
    [(b"", 0), (b"abc", 0), (b"abc", 1), (bytes(range(256)) * 5000, 0)],
    ids=["empty", "small", "rest-after-a-byte", "over-one-mebibyte"],
)
def test_stream_sha256_hashes_what_is_left(data: bytes, skip: int) -> None:
    fh = io.BytesIO(data)
    fh.read(skip)
    assert stream_sha256(fh) == hashlib.sha256(data[skip:]).hexdigest()


def land(root: Path, rel: str, data: bytes = b"email\na@example.com\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def reasons(root: Path, warnings: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {str(Path(w.path).relative_to(root)): w.reason for w in warnings}


def test_walk_channel_lists_files_by_day_and_warns_about_the_rest(tmp_path: Path) -> None:
    outside = land(tmp_path / "elsewhere", "x.csv")
    root = tmp_path / "landing"
    land(root, "web_form/2026-10-09/b.csv")
    land(root, "web_form/2026-10-08/a.CSV")
    land(root, "web_form/2026-10-10/future.csv")  # waits for its day, no warning
    land(root, "web_form/2026-10-09/.partial.csv")
    land(root, "web_form/2026-10-09/notes.txt")
    land(root, "web_form/loose.csv")
    land(root, "web_form/2026-10-09/sub/deep.csv")
    (root / "web_form/2026-13-01").mkdir()
    (root / "web_form/2026-10-09/inside.csv").symlink_to(root / "web_form/2026-10-09/b.csv")
    (root / "web_form/2026-10-09/out.csv").symlink_to(outside)
    (root / "web_form/2026-10-09/gone.csv").symlink_to(root / "nowhere.csv")
    (root / "web_form/2026-10-09/loop.csv").symlink_to(root / "web_form/2026-10-09/loop.csv")
    walk = walk_channel(root, "web_form", CSV, DAY)
    assert [(d, p.relative_to(root).as_posix()) for d, p in walk.files] == [
        (date(2026, 10, 8), "web_form/2026-10-08/a.CSV"),
        (DAY, "web_form/2026-10-09/b.csv"),
    ]
    assert reasons(root, walk.warnings) == {
        "web_form/2026-13-01": "not a date folder: folder names must be exactly a real YYYY-MM-DD",
        "web_form/loose.csv": "a file directly in the channel folder: exports belong in web_form/YYYY-MM-DD/",
        "web_form/2026-10-09/notes.txt": "not a file web_form reads (it reads *.csv): not read",
        "web_form/2026-10-09/sub": "a folder inside a date folder: not read (land files directly in the date folder)",
        "web_form/2026-10-09/inside.csv": f"symbolic link to {root}/web_form/2026-10-09/b.csv: links are not followed"
        " in the landing zone (land the file itself)",
        "web_form/2026-10-09/out.csv": f"symbolic link to {outside}, outside the landing zone: not followed",
        "web_form/2026-10-09/gone.csv": f"symbolic link to {root}/nowhere.csv, which does not exist: not followed",
        "web_form/2026-10-09/loop.csv": f"symbolic link to {root}/web_form/2026-10-09/loop.csv, a loop: not followed",
    }


@pytest.mark.parametrize("kind", ["dir-link", "channel-link", "channel-file", "missing"])
def test_walk_channel_refuses_a_linked_or_odd_channel_folder(tmp_path: Path, kind: str) -> None:
    real = tmp_path / "real"
    land(real, "2026-10-09/a.csv")
    root = tmp_path / "landing"
    root.mkdir()
    expected: dict[str, str] = {}
    if kind == "dir-link":
        (root / "web_form").mkdir()
        (root / "web_form/2026-10-09").symlink_to(real / "2026-10-09")
        expected = {"web_form/2026-10-09": f"symbolic link to {real}/2026-10-09, outside the landing zone: not followed"}
    elif kind == "channel-link":
        (root / "web_form").symlink_to(real)
        expected = {"web_form": f"symbolic link to {real}, outside the landing zone: not followed"}
    elif kind == "channel-file":
        land(root, "web_form")
        expected = {"web_form": "a file where the channel folder belongs: not read"}
    walk = walk_channel(root, "web_form", CSV, DAY)
    assert walk.files == []
    assert reasons(root, walk.warnings) == expected


def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "web_form/2026-10-09")
    os.mkfifo(tmp_path / "web_form/2026-10-09/pipe.csv")
    walk = walk_channel(tmp_path, "web_form", CSV, DAY)
    assert reasons(tmp_path, walk.warnings) == {"web_form/2026-10-09/pipe.csv": "not a regular file (a FIFO): not read"}


def test_a_socket_is_not_read(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "w/2026-10-09")
    # A short relative path: socket paths are limited to about 100 bytes.
    here = os.getcwd()
    os.chdir(tmp_path / "w/2026-10-09")
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind("s.csv")
            walk = walk_channel(tmp_path, "w", CSV, DAY)
    finally:
        os.chdir(here)
    assert reasons(tmp_path, walk.warnings) == {"w/2026-10-09/s.csv": "not a regular file (a socket): not read"}


def test_a_hard_linked_file_is_refused(tmp_path: Path) -> None:
    path = land(tmp_path, "web_form/2026-10-09/a.csv")
    os.link(path, tmp_path / "copy")
    with pytest.raises(Refused) as refused:
        open_landed(tmp_path, path)
    assert str(refused.value) == "a file with 2 hard links: not read (its other names may be outside the landing zone)"
    assert discover(tmp_path, "web_form", CSV, DAY) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.symlink_to(p.parent / "a.csv"), "links are not followed in the landing zone"),
        (lambda p: None, "cannot be opened: No such file or directory"),
        (lambda p: os.mkfifo(p), "not a regular file (a FIFO): not read"),
    ],
    ids=["link", "missing", "fifo"],
)
def test_open_landed_refuses(tmp_path: Path, make: object, message: str) -> None:
    land(tmp_path, "c/2026-10-09/a.csv")
    path = tmp_path / "c/2026-10-09/b.csv"
    make(path)  # type: ignore[operator]
    with pytest.raises(Refused, match=re.escape(message)):
        open_landed(tmp_path, path)


def test_a_file_below_a_linked_folder_is_outside_the_root(tmp_path: Path) -> None:
    real = land(tmp_path / "elsewhere", "a.csv")
    root = tmp_path / "landing"
    (root / "c").mkdir(parents=True)
    (root / "c/2026-10-09").symlink_to(real.parent)
    with pytest.raises(Refused) as refused:
        open_landed(root, root / "c/2026-10-09/a.csv")
    assert str(refused.value) == "reached through a link outside the landing zone: not read"


def test_landed_file_hashes_what_it_checked(tmp_path: Path) -> None:
    path = land(tmp_path, "c/2026-10-09/a.csv", b"x" * 10)
    landed = landed_file(tmp_path, "c", DAY, path)
    assert (landed.channel, landed.folder_date, landed.size) == ("c", DAY, 10)
    assert landed.sha256 == hashlib.sha256(b"x" * 10).hexdigest()
    assert landed.path.read_bytes() == b"x" * 10
    assert [f.path for f in discover(tmp_path, "c", ("*.csv",), DAY)] == [path]


@pytest.mark.parametrize("swap", ["other-file", "symlink"])
def test_a_file_swapped_after_it_was_found_is_not_read(tmp_path: Path, swap: str) -> None:
    path = land(tmp_path, "c/2026-10-09/a.csv", b"first")
    checked = checked_path(tmp_path, path)
    other = land(tmp_path, "elsewhere.csv", b"secret")
    path.rename(tmp_path / "kept.csv")  # kept, so its inode number is not reused
    if swap == "symlink":
        path.symlink_to(other)
        message = "became a symbolic link after the run found it: not read"
    else:
        land(tmp_path, "c/2026-10-09/a.csv", b"second")
        message = "replaced after the run found it: not read"
    for mode in ("r", "rb"):
        with pytest.raises(QuarantineError, match=re.escape(message)):
            checked.open(mode)


def test_a_checked_file_left_alone_opens(tmp_path: Path) -> None:
    path = land(tmp_path, "c/2026-10-09/a.csv", "zoë\n".encode())
    checked = checked_path(tmp_path, path)
    with checked.open(encoding="utf-8") as fh:
        assert fh.read() == "zoë\n"
    with checked.open("rb") as fh:
        assert fh.read() == "zoë\n".encode()


def test_survey_lists_everything_a_run_cannot_place(tmp_path: Path) -> None:
    land(tmp_path, "web_form/2026-10-09/a.csv")
    hard = land(tmp_path, "web_form/2026-10-09/b.csv")
    os.link(hard, tmp_path / "web_form/2026-10-09/.b-copy")  # in flight: skipped, but a second name
    land(tmp_path, "accounts/2026-10-09/accounts.csv")
    land(tmp_path, "accounts/2026-10-09/other.csv")
    land(tmp_path, "strays/2026-10-09/x.csv")
    land(tmp_path, "README.txt")
    (tmp_path / "alias").symlink_to(tmp_path / "web_form")
    assert reasons(tmp_path, survey(tmp_path, {"web_form": CSV}, DAY)) == {
        "README.txt": "a file at the landing zone root: exports belong in <channel>/YYYY-MM-DD/",
        "accounts/2026-10-09/other.csv": "not a file accounts reads (it reads accounts.csv): not read",
        "alias": f"symbolic link to {tmp_path}/web_form: links are not followed in the landing zone (land the file itself)",
        "strays": "unknown channel folder: not read (channels: web_form, accounts)",
        "web_form/2026-10-09/b.csv": "a file with 2 hard links: not read (its other names may be outside the landing zone)",
    }


def test_survey_of_a_missing_landing_zone(tmp_path: Path) -> None:
    warnings = survey(tmp_path / "none", {"web_form": CSV}, DAY)
    assert [str(w) for w in warnings] == [f"{tmp_path}/none: the landing zone does not exist or is not a folder"]
    assert warnings[0].as_dict() == {"path": f"{tmp_path}/none", "reason": "the landing zone does not exist or is not a folder"}


def test_an_unlistable_folder_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "web_form/2026-10-09"
    land(tmp_path, "web_form/2026-10-09/a.csv")
    scandir = os.scandir

    def refuse(path: Path) -> object:  # a permission bit would not stop root
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    walk = walk_channel(tmp_path, "web_form", CSV, DAY)
    assert walk.files == []
    assert reasons(tmp_path, walk.warnings) == {"web_form/2026-10-09": "cannot be listed: Permission denied"}
