"""Ingesting one channel for a logical date: discover new files, read records, record
outcomes, events and review items. One file is one transaction, so a run killed mid-file
leaves nothing half-loaded and the re-run picks the file up again."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from pipeline.core.bulk import ProducerFailed, ahead, can_fork, full_collections_paused, in_turn
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import QuarantineError
from pipeline.intake.accounts import AccountIndex
from pipeline.intake.channel import Channel, ChannelContext, one_line
from pipeline.intake.landing import LandedFile, discover
from pipeline.intake.records import IntakeRecord, Outcome, Reconciliation, storable_text
from pipeline.ledger.events import Appended, EventDraft, append_events, chain_head, insert_rows, next_record_id
from pipeline.ledger.state import EventFacts
from pipeline.store.db import bulk_cache, write_tx
from pipeline.store.schema import ingested_files, intake_records, review_queue

# A data-quality gate: given a file and the records read from it, the reason to quarantine
# the file (nothing of it is loaded), or None to load it.
Gate = Callable[[LandedFile, list[IntakeRecord]], "str | None"]


@dataclass
class FileResult:
    path: str
    sha256: str
    counts: Reconciliation
    quarantine_error: str | None = None


@dataclass
class ChannelResult:
    channel: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def counts(self) -> Reconciliation:
        total = Reconciliation()
        for f in self.files:
            total.add(f.counts)
        return total

    @property
    def quarantined(self) -> list[FileResult]:
        return [f for f in self.files if f.quarantine_error]


def known_hashes(conn: sa.Connection, channel: str) -> set[str]:
    rows = conn.execute(sa.select(ingested_files.c.sha256).where(ingested_files.c.channel == channel))
    return {r[0] for r in rows}


def ingest_channel(
    engine: sa.Engine,
    settings: Settings,
    ch: Channel,
    logical_date: date,
    run_id: int | None,
    clock: Clock,
    accounts: AccountIndex,
    *,
    gate: Gate | None = None,
    reads: ReadAhead | None = None,
    appended: Appended | None = None,
) -> ChannelResult:
    """Ingest every file of the channel dated on or before the day that is not yet known
    (those `reads` planned, read ahead, when it planned the channel). `appended` gathers the
    facts of the events stored, for the run's publish."""
    result = ChannelResult(ch.name)
    with full_collections_paused():
        planned = reads.files.get(ch.name) if reads is not None else None
        pending = planned if planned is not None else pending_files(engine, settings, ch, logical_date)
        for landed in pending:
            file_result = ingest_file(engine, settings, ch, landed, accounts, run_id, clock, gate=gate, reads=reads,
                                      appended=appended)
            if file_result is not None:
                result.files.append(file_result)
    return result


def pending_files(engine: sa.Engine, settings: Settings, ch: Channel, logical_date: date) -> list[LandedFile]:
    """The channel's finished files dated on or before the day that no run has ingested."""
    with engine.connect() as conn:
        known = known_hashes(conn, ch.name)
    pending = []
    for landed in discover(settings.landing, ch.name, ch.patterns, logical_date):
        if landed.sha256 not in known:
            known.add(landed.sha256)
            pending.append(landed)
    return pending


def read_file(ch: Channel, landed: LandedFile, ctx: ChannelContext) -> tuple[list[IntakeRecord], str | None]:
    """All records of a file, or a quarantine error (naming the file) when the file as a whole
    cannot be read. Readers turn each record's problems into its outcome; a reader that fails
    anyway quarantines its file, so the channel's other files are still read and the file is
    not retried every night (SPEC §3)."""
    try:
        return list(ch.read(landed.path, ctx)), None
    except MemoryError:
        raise
    except Exception as exc:
        return [], _read_error(landed, exc)


def _read_error(landed: LandedFile, exc: Exception) -> str:
    """The quarantine message of a file whose reader raised `exc`."""
    if isinstance(exc, QuarantineError):
        return _naming(landed, str(exc))
    return _naming(landed, f"cannot be read: {one_line(exc)}")


STREAM_MIN_BYTES = 4 << 20  # a file this large is stored while a forked child still reads it, up to
STREAM_MAX_BYTES = 64 << 20  # this (it holds the write lock while read: ~20 s; a writer beside waits 60 s)
STREAM_CHUNK = 5000  # records a chunk


def _read_in_chunks(ch: Channel, landed: LandedFile, ctx: ChannelContext) -> Iterator[tuple[list[IntakeRecord], str | None]]:
    """`read_file` in chunks of records, the last with the quarantine error if the reader fails."""
    chunk: list[IntakeRecord] = []
    try:
        for record in ch.read(landed.path, ctx):
            chunk.append(record)
            if len(chunk) == STREAM_CHUNK:
                yield chunk, None
                chunk = []
    except MemoryError:
        raise
    except Exception as exc:
        yield [], _read_error(landed, exc)
        return
    if chunk:
        yield chunk, None


class _Unread(Exception):
    """A streamed file that must be stored the usual way: its reader failed (the message), or
    the child reading it did (None)."""

    def __init__(self, error: str | None) -> None:
        super().__init__(error)
        self.error = error


def _streams(engine: sa.Engine, landed: LandedFile, gate: Gate | None, reads: ReadAhead | None) -> bool:
    """Whether to store a file while a child reads it: a large file (not so large that its read
    would hold the store's write lock for long) no gate must see whole and no child has read
    ahead, in SQLite, where a file given up half-stored leaves no id taken (a PostgreSQL sequence
    would not give its ids back), from a process that may fork."""
    return (
        gate is None and STREAM_MIN_BYTES <= landed.size <= STREAM_MAX_BYTES and engine.dialect.name == "sqlite"
        and (reads is None or reads.results is None) and can_fork()
    )


def _ingest_streamed(
    engine: sa.Engine, settings: Settings, ch: Channel, landed: LandedFile, ctx: ChannelContext, run_id: int | None,
    clock: Clock, appended: Appended | None,
) -> FileResult | None:
    """`ingest_file` of a file stored chunk by chunk as a forked child reads it: the records,
    events, ids and counts come out as when the file is read whole first (the file's row is
    written first and given its counts at the end). A reader that fails rolls everything back
    (`_Unread`), as does the child failing."""
    counts = Reconciliation()
    facts: list[EventFacts] = []
    with ahead(_read_in_chunks(ch, landed, ctx)) as chunks, write_tx(engine) as conn, bulk_cache(conn):
        if landed.sha256 in known_hashes(conn, ch.name):
            return None
        now = clock.now()
        file_id = _insert_file(conn, landed, counts, None, run_id, now)
        first_event = chain_head(conn)[0] + 1
        seen: set[str] = set()
        try:
            for records, error in chunks:
                if error is not None:
                    raise _Unread(error)
                store_records(conn, settings, _new_records(conn, ch.name, records, counts, seen), file_id, run_id, now, facts)
        except ProducerFailed:
            raise _Unread(None) from None
        conn.execute(ingested_files.update().where(ingested_files.c.id == file_id).values(**_file_counts(counts)))
    if appended is not None:
        appended.extend(first_event, facts)
    return FileResult(str(landed.path), landed.sha256, counts, None)


READ_AHEAD_MIN_BYTES = 1 << 20  # below this a night's files are read in a blink: no child is worth forking
READERS, READ_AHEAD_RECORDS = 2, 40_000  # children reading ahead (with the writer, both cores), records each may hold


@dataclass
class ReadAhead:
    """The pending files of some channels, read by forked children in the order the writer
    stores them (channel by channel, file by file), while it stores the ones before: reading
    (parsing mail above all) is most of a night, and needs nothing from the store."""

    files: dict[str, list[LandedFile]]
    planned: list[tuple[Channel, LandedFile]] = field(default_factory=list)
    results: Iterator[tuple[list[IntakeRecord], str | None]] | None = None
    taken: int = 0
    position: dict[tuple[str, LandedFile], int] = field(init=False)

    def __post_init__(self) -> None:
        self.position = {(ch.name, landed): i for i, (ch, landed) in enumerate(self.planned)}

    def read(self, ch: Channel, landed: LandedFile, ctx: ChannelContext) -> tuple[list[IntakeRecord], str | None]:
        """`read_file(ch, landed, ctx)`, as a child read it. Results of files a channel that
        failed left unstored are passed over; a file the children do not read (the first,
        which the writer reads while they start on the next), or a child that failed (it may
        have run out of memory), is read here."""
        if self.position.get((ch.name, landed), -1) < self.taken:
            return read_file(ch, landed, ctx)
        while self.results is not None and self.taken < len(self.planned):
            planned_ch, planned = self.planned[self.taken]
            self.taken += 1
            try:
                result = next(self.results)
            except ProducerFailed:
                self.results = None
                break
            if planned_ch.name == ch.name and planned == landed:
                return result
        return read_file(ch, landed, ctx)


@contextmanager
def reading_ahead(
    engine: sa.Engine, settings: Settings, channels: Sequence[Channel], logical_date: date, accounts: AccountIndex,
    *, workers: int = READERS,
) -> Iterator[ReadAhead]:
    """The channels' pending files (as `pending_files` lists them), read ahead by `workers`
    forked children when there are at least two files and READ_AHEAD_MIN_BYTES in all. A channel
    whose files cannot be listed is left out: `ingest_channel` lists them, and fails, on its own."""
    files: dict[str, list[LandedFile]] = {}
    for ch in channels:
        try:
            files[ch.name] = pending_files(engine, settings, ch, logical_date)
        except Exception:  # raised again where the channel is ingested, and recorded there
            continue
    planned = [(ch, landed) for ch in channels for landed in files.get(ch.name, ())]
    if not can_fork() or len(planned) < 2 or sum(f.size for _, f in planned) < READ_AHEAD_MIN_BYTES:
        yield ReadAhead(files)
        return

    def read(item: tuple[Channel, LandedFile]) -> tuple[list[IntakeRecord], str | None]:
        ch, landed = item
        return read_file(ch, landed, ChannelContext(settings, accounts, landed))

    # Forked with full collections paused, so the children read as the writer would. The
    # writer reads the first file itself: it would only wait for it.
    with full_collections_paused(), in_turn(read, planned[1:], workers, weigh=lambda result: len(result[0]),
                                            budget=READ_AHEAD_RECORDS) as results:
        yield ReadAhead(files, planned[1:], results)


def _naming(landed: LandedFile, error: str) -> str:
    """The quarantine message, with the file's path in front unless it names it already."""
    path = str(landed.path)
    return error if path in error else f"{path}: {error}"


def ingest_file(
    engine: sa.Engine,
    settings: Settings,
    ch: Channel,
    landed: LandedFile,
    accounts: AccountIndex,
    run_id: int | None,
    clock: Clock,
    *,
    gate: Gate | None = None,
    reads: ReadAhead | None = None,
    appended: Appended | None = None,
) -> FileResult | None:
    """Record one file and everything in it; None when another writer got to it first.
    A gate that objects quarantines the whole file before anything of it is written."""
    ctx = ChannelContext(settings, accounts, landed)
    unread: str | None = None
    if _streams(engine, landed, gate, reads):
        try:
            return _ingest_streamed(engine, settings, ch, landed, ctx, run_id, clock, appended)
        except _Unread as failed:
            unread = failed.error
    records: list[IntakeRecord]
    error: str | None
    if unread is not None:
        records, error = [], unread
    else:
        records, error = read_file(ch, landed, ctx) if reads is None else reads.read(ch, landed, ctx)
    if error is None and gate is not None:
        error = gate(landed, records)
        if error is not None:
            records = []
    counts = Reconciliation()
    facts: list[EventFacts] = []
    with write_tx(engine) as conn, bulk_cache(conn):
        if landed.sha256 in known_hashes(conn, ch.name):
            return None
        now = clock.now()
        fresh = _new_records(conn, ch.name, records, counts)
        file_id = _insert_file(conn, landed, counts, error, run_id, now)
        first_event = chain_head(conn)[0] + 1
        store_records(conn, settings, fresh, file_id, run_id, now, facts)
    if appended is not None:  # committed: the events are in the chain
        appended.extend(first_event, facts)
    return FileResult(str(landed.path), landed.sha256, counts, error)


def _new_records(
    conn: sa.Connection, channel: str, records: list[IntakeRecord], counts: Reconciliation, seen: set[str] | None = None,
) -> list[IntakeRecord]:
    """Records not seen before: a (channel, source_ref) already stored, or repeated in the
    file (`seen`: the refs of its records before these), counts as a duplicate."""
    seen = set() if seen is None else seen
    seen.update(_existing_refs(conn, channel, [r.source_ref for r in records]))
    fresh = []
    for r in records:
        if r.source_ref in seen:
            counts.count("duplicate")
            continue
        seen.add(r.source_ref)
        counts.count(r.outcome, r.reason)
        fresh.append(r)
    return fresh


def _existing_refs(conn: sa.Connection, channel: str, refs: list[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(refs))
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        rows = conn.execute(
            sa.select(intake_records.c.source_ref).where(
                intake_records.c.channel == channel, intake_records.c.source_ref.in_(chunk)
            )
        )
        found.update(r[0] for r in rows)
    return found


def _file_counts(counts: Reconciliation) -> dict[str, int]:
    values = counts.as_dict()
    values["records"] = values.pop("read")
    return values


def _insert_file(conn: sa.Connection, landed: LandedFile, counts: Reconciliation, error: str | None, run_id: int | None, now: Any) -> int:
    values = _file_counts(counts)
    result = conn.execute(
        ingested_files.insert().values(
            run_id=run_id,
            channel=landed.channel,
            path=storable_text(str(landed.path)),  # a file name that is not UTF-8 holds surrogates
            folder_date=landed.folder_date,
            sha256=landed.sha256,
            size=landed.size,
            quarantine_error=None if error is None else storable_text(error),
            ingested_at=now,
            **values,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def store_records(
    conn: sa.Connection, settings: Settings, records: list[IntakeRecord], file_id: int | None, run_id: int | None, now: Any,
    facts: list[EventFacts] | None = None,
) -> None:
    """Insert intake records with their events and review items (inside `write_tx`); `facts`,
    when given, is extended with the events' facts."""
    if not records:
        return
    record_id = next_record_id(conn)
    rows, drafts, reviews = [], [], []
    for r in records:
        rows.append({
            "id": record_id, "channel": r.channel, "source_ref": r.source_ref, "file_id": file_id,
            "locator": r.locator, "requested_at": r.requested_at, "recorded_at": now,
            "outcome": str(r.outcome), "reason": r.reason, "details": r.details, "raw": r.raw,
        })
        for req in r.requests:
            drafts.append(EventDraft(
                record_id, r.channel, req.address, req.key, str(req.scope), str(req.action), r.requested_at,
                r.details if file_id is None else "",
            ))
        if r.outcome is Outcome.NEEDS_REVIEW or r.review:
            reviews.append({"record_id": record_id, "reason": r.review or r.reason, "details": r.details, "created_at": now})
        record_id += 1
    insert_rows(conn, intake_records, rows)
    append_events(conn, drafts, hash_key=settings.hash_key, recorded_at=now, run_id=run_id, facts=facts)
    insert_rows(conn, review_queue, reviews)
