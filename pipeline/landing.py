"""The landing zone (SPEC §2): `<root>/<channel>/<YYYY-MM-DD>/` folders of exported files."""
from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class LandedFile:
    channel: str
    path: Path
    folder_date: date
    sha256: str
    size: int


def in_flight(name: str) -> bool:
    """Names of files still being written: skipped until they get their final name."""
    return name.startswith((".", "_")) or name.endswith((".tmp", ".part"))


def dated_folders(channel_dir: Path, on_or_before: date) -> list[tuple[date, Path]]:
    """`YYYY-MM-DD` sub-folders dated on or before the day, oldest first; other names are ignored."""
    if not channel_dir.is_dir():
        return []
    found = []
    for child in channel_dir.iterdir():
        try:
            day = date.fromisoformat(child.name)
        except ValueError:
            continue
        if child.is_dir() and len(child.name) == 10 and day <= on_or_before:
            found.append((day, child))
    return sorted(found)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(root: Path, channel: str, patterns: tuple[str, ...], on_or_before: date) -> list[LandedFile]:
    """Every finished file of the channel in folders dated on or before the day."""
    files = []
    for day, folder in dated_folders(root / channel, on_or_before):
        for path in sorted(folder.iterdir()):
            if not path.is_file() or in_flight(path.name):
                continue
            if not any(fnmatch.fnmatch(path.name.lower(), p) for p in patterns):
                continue
            files.append(LandedFile(channel, path, day, sha256_of(path), path.stat().st_size))
    return files
