"""Writes that survive a crash: whole lines appended and fsynced, files replaced atomically,
and the folder fsynced after a create or rename. Shared by the click log and erasure."""
from __future__ import annotations

import os
from pathlib import Path


def replace_durably(path: Path, data: bytes) -> None:
    """Write `data` to a hidden temporary file, fsync it, rename it over `path`."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    _write_synced(tmp, data, os.O_TRUNC)
    os.replace(tmp, path)
    if created:
        fsync_folder(path.parent)


def append_durably(path: Path, line: bytes) -> None:
    """One write of a whole line with O_APPEND, then fsync (and the folder's, for a new file)."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_synced(path, line, os.O_APPEND)
    if created:
        fsync_folder(path.parent)


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    """One write of `data` (O_APPEND or O_TRUNC as `mode` says), then fsync, before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a create or rename in `folder` durable; a file system that cannot fsync a folder
    is let be (the data itself was fsynced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
