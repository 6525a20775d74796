"""The landing zone (SPEC §2, §3): `<root>/<channel>/<YYYY-MM-DD>/` folders of exported files.

The landing zone is a boundary. Only folders named exactly as a real `YYYY-MM-DD` are dates; no
symbolic link below the root is followed (a link is listed as a warning, whether it points inside
the root, outside it, nowhere or in a loop); a file with more than one hard link is not read, since
its other names may be outside the root. A file is opened without following links and checked to
be a regular file under the root; the readers then open it through `LandedPath`, which refuses a
file that was replaced after it was found. Whatever a run cannot place is a `LandingWarning`;
in-flight names (`.`/`_` prefix, `.tmp`/`.part`) are skipped silently, and folders dated after
the run's day simply wait for their day."""
from __future__ import annotations

import errno
import fnmatch
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PosixPath
from typing import IO, Any, BinaryIO

from pipeline.core.errors import QuarantineError

DATE_NAME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ACCOUNTS = "accounts"
ACCOUNTS_FILE = "accounts.csv"
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A landed file the run does not read; the message says why."""


@dataclass(frozen=True)
class LandingWarning:
    """Something in the landing zone a run could not place: its path and why."""

    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class LandedPath(PosixPath):
    """The path of a file the run found and checked. Opening it for reading does not follow a
    link and refuses (QuarantineError) a file that is no longer the one found (same device and
    inode), so a file swapped for a link between discovery and reading is never read."""

    _identity: tuple[int, int] | None = None

    @classmethod
    def found(cls, path: Path, identity: tuple[int, int]) -> LandedPath:
        landed = cls(path)
        landed._identity = identity
        return landed

    def open(  # type: ignore[override]
        self, mode: str = "r", buffering: int = -1, encoding: str | None = None, errors: str | None = None,
        newline: str | None = None,
    ) -> IO[Any]:
        if self._identity is None or set(mode) - set("rbt"):
            return super().open(mode, buffering, encoding, errors, newline)
        fd = _open_no_follow(self)
        try:
            info = os.fstat(fd)
            if (info.st_dev, info.st_ino) != self._identity or not stat.S_ISREG(info.st_mode):
                raise QuarantineError(f"{self}: replaced after the run found it: not read")
            os.set_blocking(fd, True)
            if "b" in mode:
                return open(fd, mode, buffering=buffering)
            return open(fd, mode, buffering, io.text_encoding(encoding), errors, newline)
        except BaseException:
            os.close(fd)
            raise


@dataclass(frozen=True)
class LandedFile:
    channel: str
    path: Path
    folder_date: date
    sha256: str
    size: int


@dataclass
class Walk:
    """A walk of one channel's folders: the files to read (not yet opened) and the warnings."""

    files: list[tuple[date, Path]] = field(default_factory=list)
    warnings: list[LandingWarning] = field(default_factory=list)

    def warn(self, path: Path | str, reason: str) -> None:
        self.warnings.append(LandingWarning(str(path), reason))


def in_flight(name: str) -> bool:
    """Names of files still being written: skipped until they get their final name."""
    return name.startswith((".", "_")) or name.endswith((".tmp", ".part"))


def folder_date(name: str) -> date | None:
    """The date a folder name stands for: exactly `YYYY-MM-DD` (ASCII digits) and a real day."""
    if not DATE_NAME.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return stream_sha256(fh)


def stream_sha256(fh: BinaryIO) -> str:
    """The SHA-256 of what is left to read in `fh`, read 1 MiB at a time."""
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def walk_channel(root: Path, channel: str, patterns: tuple[str, ...], on_or_before: date) -> Walk:
    """The channel's candidate files in folders dated on or before the day, and a warning for
    everything else found there (future folders excepted: they wait for their day)."""
    walk = Walk()
    channel_dir = root / channel
    if channel_dir.is_symlink():
        walk.warn(channel_dir, link_reason(root, channel_dir))
        return walk
    if not channel_dir.exists():
        return walk
    if not channel_dir.is_dir():
        walk.warn(channel_dir, "a file where the channel folder belongs: not read")
        return walk
    days = []
    for entry in _entries(channel_dir, walk):
        path = Path(entry.path)
        if entry.is_symlink():
            walk.warn(path, link_reason(root, path))
        elif not entry.is_dir(follow_symlinks=False):
            walk.warn(path, f"a file directly in the channel folder: exports belong in {channel}/YYYY-MM-DD/")
        elif (day := folder_date(entry.name)) is None:
            walk.warn(path, "not a date folder: folder names must be exactly a real YYYY-MM-DD")
        elif day <= on_or_before:
            days.append((day, path))
    for day, folder in sorted(days):
        for entry in _entries(folder, walk):
            path = Path(entry.path)
            reason = _file_reason(root, entry, patterns, channel)
            if reason:
                walk.warn(path, reason)
            else:
                walk.files.append((day, path))
    return walk


def _file_reason(root: Path, entry: os.DirEntry[str], patterns: tuple[str, ...], channel: str) -> str:
    """Why a date folder's entry is not read, or "" when it is a candidate file."""
    if entry.is_symlink():
        return link_reason(root, Path(entry.path))
    if entry.is_dir(follow_symlinks=False):
        return "a folder inside a date folder: not read (land files directly in the date folder)"
    if not entry.is_file(follow_symlinks=False):
        return f"not a regular file ({_kind(entry.stat(follow_symlinks=False).st_mode)}): not read"
    if not any(fnmatch.fnmatch(entry.name.lower(), p) for p in patterns):
        return f"not a file {channel} reads (it reads {', '.join(patterns)}): not read"
    return ""


def _entries(folder: Path, walk: Walk) -> Iterator[os.DirEntry[str]]:
    """A folder's entries by name, in-flight names left out; an unlistable folder is a warning."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        walk.warn(folder, f"cannot be listed: {exc.strerror or exc}")
        return
    for entry in entries:
        if not in_flight(entry.name):
            yield entry


def link_reason(root: Path, path: Path) -> str:
    """Why a symbolic link is not followed, naming where it points."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        return f"symbolic link to {target}, which does not exist: not followed"
    except (RuntimeError, OSError):
        return f"symbolic link to {target}, a loop: not followed"
    if not _under(resolved, root):
        return f"symbolic link to {target}, outside the landing zone: not followed"
    return f"symbolic link to {target}: links are not followed in the landing zone (land the file itself)"


def _under(path: Path | str, root: Path) -> bool:
    base = os.path.realpath(root)
    return os.path.commonpath([base, os.path.realpath(path)]) == base


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a file"


def _open_no_follow(path: Path) -> int:
    try:
        return os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise QuarantineError(f"{path}: became a symbolic link after the run found it: not read") from None
        raise


def open_landed(root: Path, path: Path) -> tuple[int, os.stat_result]:
    """Open a candidate file for reading without following a link; it must be a regular file
    with one name, and the file opened must lie under the root. Raises Refused saying why."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(link_reason(root, path)) from None
        raise Refused(f"cannot be opened: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"not a regular file ({_kind(info.st_mode)}): not read")
        if info.st_nlink > 1:
            raise Refused(f"a file with {info.st_nlink} hard links: not read (its other names may be outside the landing zone)")
        if not _under(_opened_path(fd, path), root):
            raise Refused("reached through a link outside the landing zone: not read")
        os.set_blocking(fd, True)
        return fd, info
    except BaseException:
        os.close(fd)
        raise


def _opened_path(fd: int, path: Path) -> str:
    """Where the open file really is (Linux names it under /proc), else the path resolved."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return os.path.realpath(path)


def checked_path(root: Path, path: Path) -> LandedPath:
    """A candidate file checked as `open_landed` does, to be opened later as that very file."""
    fd, info = open_landed(root, path)
    os.close(fd)
    return LandedPath.found(path, (info.st_dev, info.st_ino))


def landed_file(root: Path, channel: str, day: date, path: Path) -> LandedFile:
    """Open, check and hash a candidate file (Refused when it may not be read)."""
    fd, info = open_landed(root, path)
    with open(fd, "rb") as fh:
        digest = stream_sha256(fh)
    return LandedFile(channel, LandedPath.found(path, (info.st_dev, info.st_ino)), day, digest, info.st_size)


def discover(root: Path, channel: str, patterns: tuple[str, ...], on_or_before: date) -> list[LandedFile]:
    """Every finished file of the channel in folders dated on or before the day that may be
    read. What is not read is left out here; `survey` lists it as warnings for the run."""
    files = []
    for day, path in walk_channel(root, channel, patterns, on_or_before).files:
        try:
            files.append(landed_file(root, channel, day, path))
        except Refused:
            continue
    return files


def survey(root: Path, channels: Mapping[str, tuple[str, ...]], on_or_before: date) -> list[LandingWarning]:
    """Everything in the landing zone a run for the day cannot place, by path: unknown folders
    and files at the root, and whatever `walk_channel` finds in each channel's folders
    (the accounts snapshots included)."""
    if not root.is_dir():
        return [LandingWarning(str(root), "the landing zone does not exist or is not a folder")]
    found = Walk()
    readers = {**channels, ACCOUNTS: (ACCOUNTS_FILE,)}
    for entry in _entries(root, found):
        path = Path(entry.path)
        if entry.name in readers:
            walked = walk_channel(root, entry.name, readers[entry.name], on_or_before)
            found.warnings.extend(walked.warnings)
            for _day, candidate in walked.files:
                _check_readable(root, candidate, found)
        elif entry.is_symlink():
            found.warn(path, link_reason(root, path))
        elif entry.is_dir(follow_symlinks=False):
            found.warn(path, f"unknown channel folder: not read (channels: {', '.join(readers)})")
        else:
            found.warn(path, "a file at the landing zone root: exports belong in <channel>/YYYY-MM-DD/")
    return sorted(found.warnings, key=lambda w: w.path)


def _check_readable(root: Path, path: Path, found: Walk) -> None:
    try:
        fd, _info = open_landed(root, path)
    except Refused as exc:
        found.warn(path, str(exc))
    else:
        os.close(fd)
