"""Writes that survive a crash: whole lines appended, files replaced atomically, folders
fsynced after a create or rename."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipeline.core import durable
from pipeline.core.durable import append_durably, fsync_folder, replace_durably

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        ([b"one\n"], b"one\n"),
        ([b"one\n", b"two\n"], b"one\ntwo\n"),
        ([b"", b"x\r\n"], b"x\r\n"),
        ([b"\x00\xff\n"], b"\x00\xff\n"),
    ],
    ids=["one", "two", "empty-then-crlf", "binary"],
)
def test_append_durably(tmp_path: Path, writes: list[bytes], expected: bytes) -> None:
    path = tmp_path / "new" / "folder" / "log.jsonl"
    for line in writes:
        append_durably(path, line)
    assert path.read_bytes() == expected
    assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0  # not for other users


@pytest.mark.parametrize(
    ("old", "new"),
    [(None, b"first"), (b"a much longer old content", b"short"), (b"old", b"")],
    ids=["create", "shorter-replaces-longer", "empty"],
)
def test_replace_durably(tmp_path: Path, old: bytes | None, new: bytes) -> None:
    path = tmp_path / "sub" / "state.json"
    if old is not None:
        path.parent.mkdir()
        path.write_bytes(old)
    replace_durably(path, new)
    assert path.read_bytes() == new
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]  # no temporary file left


def test_replace_durably_never_leaves_a_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")

    def crash(src: object, dst: object) -> None:
        raise OSError("crash before the rename")

    monkeypatch.setattr(durable.os, "replace", crash)
    with pytest.raises(OSError, match="crash before the rename"):
        replace_durably(path, b"new")
    assert path.read_bytes() == b"old"


@pytest.mark.parametrize(("exists", "synced"), [(False, 1), (True, 0)], ids=["new-file", "existing-file"])
def test_the_folder_is_fsynced_only_after_a_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool, synced: int
) -> None:
    path = tmp_path / "log"
    if exists:
        path.write_bytes(b"")
    calls: list[Path] = []
    monkeypatch.setattr(durable, "fsync_folder", calls.append)
    append_durably(path, b"x\n")
    replace_durably(tmp_path / "other" if not exists else path, b"y")
    assert calls == [tmp_path] * (2 * synced)


def test_fsync_folder_lets_a_missing_folder_be(tmp_path: Path) -> None:
    fsync_folder(tmp_path / "missing")  # must not raise
    fsync_folder(tmp_path)


def test_fsync_folder_lets_a_folder_that_cannot_be_fsynced_be(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[int] = []
    real_close = os.close

    def refuse(fd: int) -> None:
        raise OSError(22, "Invalid argument")

    def close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(durable.os, "fsync", refuse)
    monkeypatch.setattr(durable.os, "close", close)
    fsync_folder(tmp_path)
    assert len(closed) == 1  # the folder's descriptor is closed all the same
