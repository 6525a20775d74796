"""What a channel is to intake: its landing folder name, the file patterns it reads and its reader
(`Channel`), and the context a file is read in. The channel modules (`pipeline.channels`) provide
them; `ingest` reads through them without knowing any channel."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pipeline.core.config import Settings
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.landing import LandedFile
from pipeline.intake.records import IntakeRecord, bounded
from pipeline.intake.timestamps import arrival_time


@dataclass(frozen=True)
class ChannelContext:
    settings: Settings
    accounts: AccountIndex
    file: LandedFile

    @cached_property
    def arrival(self) -> datetime:
        """The file's arrival (`arrival_time`), one object for all its records."""
        return arrival_time(self.file.folder_date)


Reader = Callable[[Path, ChannelContext], Iterator[IntakeRecord]]


@dataclass(frozen=True)
class Channel:
    """A channel: its landing folder name, the file patterns it reads, and its reader."""

    name: str
    patterns: tuple[str, ...]
    read: Reader
    description: str = ""


def one_line(exc: BaseException) -> str:
    """An exception as one bounded line: its type and message."""
    try:
        message = " ".join(str(exc).split())
    except Exception:  # an exception whose message itself fails
        message = "(message cannot be shown)"
    return bounded(f"{type(exc).__name__}: {message}" if message else type(exc).__name__, 500)
