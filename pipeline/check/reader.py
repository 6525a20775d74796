"""The one face of a recipient reader: a `Job` in (the file, where the send list and the removed
rows go, the address column, the list to match against), a `Tally` out.

Each reader is a module of its own: the CSV block reader (`pipeline.check.blockreader`), the
row-by-row CSV reader (`pipeline.check.rows`) and the Parquet reader (`pipeline.check.parquet`).
`pipeline.check.run` chooses one for a file and records and signs what it read. A reader names
its own refusals (`OptoutError`, naming the file); the CSV block reader may also raise the
`pipeline.check.csvstream` signals that make `run` try it again another way (as Windows-1252,
through a copy with LF line ends) or hand the file to the row-by-row reader."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.check.io import Tally
from pipeline.check.loaded_list import MatchList


@dataclass(frozen=True)
class Job:
    """What a reader reads and writes.

    `path` is the file read: INPUT, or a plain copy of it (gzip or UTF-16 decoded, bare CRs made
    LF); `label` is the file messages name (INPUT). `removed`: where the removed rows go (None:
    nowhere). `column`: the address column's name (None: found by its header). `workers` and
    `block_size` (None: the defaults) matter to the block reader only, `cp1252` and `delimiter`
    to the CSV readers."""

    path: Path
    output: Path
    removed: Path | None
    column: str | None
    lst: MatchList
    label: Path | None = None
    delimiter: str = ","
    cp1252: bool = False
    workers: int | None = None
    block_size: int | None = None

    @property
    def shown(self) -> Path:
        return self.label or self.path


class Reader(Protocol):
    """A recipient reader: `read` writes the kept rows to `job.output` (and the removed ones to
    `job.removed`) and returns the counts and hashes, `name` set as `Tally.reader`."""

    name: str

    def read(self, job: Job) -> Tally: ...
