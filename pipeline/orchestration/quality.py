"""Data-quality gates with Great Expectations (SPEC §6): the suites in `expectations/` run in an
ephemeral GX context inside the task, over small DataFrames built here. An expectation of
severity `critical` is hard (a channel's file is quarantined, a run fails); `warning` is soft
(reported, nothing stops)."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

# GX logs some 200 INFO lines while it imports (its docs decorators' "Skipping registering
# function …", metric registrations, the ephemeral context's set-up): a task log should show
# what the task did. Its warnings and errors still come through. Set before GX is imported.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.core import ExpectationSuite  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.execution_engine import pandas_execution_engine  # noqa: E402

from pipeline.core.bulk import collector_paused  # noqa: E402
from pipeline.core.errors import OptoutError  # noqa: E402
from pipeline.core.resources import data_dir  # noqa: E402
from pipeline.intake.landing import LandedFile  # noqa: E402
from pipeline.intake.records import IntakeRecord, Outcome  # noqa: E402
from pipeline.intake.timestamps import EARLIEST  # noqa: E402
from pipeline.ledger.ingest import Gate  # noqa: E402
from pipeline.store.schema import (  # noqa: E402
    ingested_files,
    intake_records,
    list_versions,
    suppressions,
    utc_text,
)

logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)  # GX sets this one to INFO itself

SUITES = data_dir("expectations")
LIST_SUITE = "suppression_list"
RECONCILIATION_SUITE = "reconciliation"
log = logging.getLogger(__name__)


class SuiteError(OptoutError):
    """A suite file is missing, GX dropped one of its expectations, or GX could not evaluate
    one: a problem with the gate, not with the data, so nothing is quarantined for it."""


@dataclass
class Finding:
    expectation: str
    column: str | None
    severity: str
    unexpected_count: int | None
    sample: list[str]

    def text(self) -> str:
        where = f"({self.column})" if self.column else ""
        count = f": {self.unexpected_count} unexpected" if self.unexpected_count else ""
        sample = f", e.g. {self.sample}" if self.sample else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass
class QualityResult:
    """What a suite said about one batch, small enough for XCom and the run's record."""

    suite: str
    batch: str
    rows: int
    evaluated: int = 0
    failures: list[Finding] = field(default_factory=list)  # hard: critical
    warnings: list[Finding] = field(default_factory=list)  # soft: warning / info

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """One line for a quarantine error or a run's problems."""
        failed = "; ".join(f.text() for f in self.failures)
        return f"data quality (suite {self.suite}, {self.batch}): {len(self.failures)} hard expectation(s) failed: {failed}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "success": self.success}


def suite_path(name: str) -> Path:
    return SUITES / f"{name}.json"


def read_suite(name: str) -> ExpectationSuite:
    """A suite from its JSON file. GX logs and drops an expectation it cannot build, so the
    loaded count is compared with the file's: a malformed suite is an error, not a weaker gate."""
    path = suite_path(name)
    if not path.is_file():
        raise SuiteError(f"no expectation suite {path}")
    spec = json.loads(path.read_text(encoding="utf-8"))
    suite = ExpectationSuite(**spec)
    if len(suite.expectations) != len(spec.get("expectations", [])):
        raise SuiteError(f"{path}: GX loaded {len(suite.expectations)} of {len(spec['expectations'])} expectations")
    return suite


# GX fingerprints every DataFrame batch under 1 GB (an MD5 over pandas' hash of each row), twice
# a validation: 12 s of the 2,000,000-entry list suite, for a batch marker nothing here reads.
# tests/dags/test_quality.py fails if a GX release stops honouring this.
pandas_execution_engine.HASH_THRESHOLD = 0


@lru_cache(maxsize=1)
def _context() -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition(asset: str) -> Any:
    """One pandas data source per suite, made once per process (re-adding one would replace
    the others' assets)."""
    source = _context().data_sources.add_pandas(f"optout_{asset}")
    return source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe(asset)


def validate(suite_name: str, frame: pd.DataFrame, batch: str, parameters: dict[str, Any] | None = None) -> QualityResult:
    """Run one suite over one DataFrame in the ephemeral context."""
    suite = read_suite(suite_name)
    gx_batch = _batch_definition(suite_name).get_batch(batch_parameters={"dataframe": frame})
    outcome = gx_batch.validate(suite, expectation_parameters=parameters or {}, result_format="SUMMARY")
    result = QualityResult(suite_name, batch, len(frame), evaluated=len(outcome.results))
    for item in outcome.results:
        if item.success:
            continue
        if error := _evaluation_error(item):
            # Not a verdict on the data: never quarantine a file for it; fail the task instead.
            raise SuiteError(f"suite {suite_name}: {item.expectation_config.type} could not be evaluated on {batch}: {error}")
        finding = _finding(item)
        (result.failures if finding.severity == "critical" else result.warnings).append(finding)
    for w in result.warnings:
        log.warning("data quality warning (suite %s, %s): %s", suite_name, batch, w.text())
    return result


def _evaluation_error(item: Any) -> str | None:
    """The message of an exception GX caught while evaluating an expectation (its
    exception_info is flat, or keyed by metric)."""
    info = item.exception_info or {}
    for entry in [info, *(v for v in info.values() if isinstance(v, dict))]:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _finding(item: Any) -> Finding:
    config = item.expectation_config
    details = item.result or {}
    sample = [str(v) for v in (details.get("partial_unexpected_list") or [])[:5]]
    severity = getattr(config.severity, "value", str(config.severity))
    return Finding(config.type, config.kwargs.get("column"), severity, details.get("unexpected_count"), sample)


# --- a channel's standardised records -------------------------------------------------------

def records_frame(records: list[IntakeRecord]) -> pd.DataFrame:
    """One row per record as read: the standardised fields the suites look at."""
    rows = [
        {
            "channel": r.channel, "source_ref": r.source_ref, "requested_at": r.requested_at,
            "outcome": str(r.outcome), "reason": r.reason, "locator": r.locator, "requests": len(r.requests),
        }
        for r in records
    ]
    frame = pd.DataFrame(rows, columns=["channel", "source_ref", "requested_at", "outcome", "reason", "locator", "requests"])
    frame["requested_at"] = pd.to_datetime(frame["requested_at"], utc=True)
    return frame


def request_bounds(logical_date: date) -> dict[str, str]:
    """Sane request times: not before the earliest the channels accept (pipeline.intake.timestamps),
    not after the night after the logical date (two days allow for time zones)."""
    latest = f"{(logical_date + timedelta(days=2)).isoformat()}T00:00:00+00:00"
    return {"earliest_requested_at": EARLIEST.isoformat(), "latest_requested_at": latest}


def records_gate(channel: str, logical_date: date, collect: Callable[[QualityResult], None]) -> Gate:
    """The ingest gate for one channel: validate a file's records before they are written."""
    read_suite(channel)  # fail early, before any file, when the channel's suite is missing or malformed
    parameters = request_bounds(logical_date)

    def gate(landed: LandedFile, records: list[IntakeRecord]) -> str | None:
        if not records:
            return None
        result = validate(channel, records_frame(records), f"{landed.path.name} ({landed.sha256[:12]})", parameters)
        collect(result)
        return None if result.success else result.summary()

    return gate


# --- reconciliation of what a channel loaded -------------------------------------------------

def reconciliation_frame(conn: sa.Connection, run_id: int, channel: str) -> pd.DataFrame:
    """Per file the run took for the channel: its counts, their sum, and the records stored."""
    f, r = ingested_files.c, intake_records.c
    stored = sa.select(sa.func.count()).where(r.file_id == f.id).scalar_subquery()
    outcomes = [str(o) for o in Outcome]  # ingested_files counts each outcome in a column of its name
    query = sa.select(
        f.path, f.records, *(f[o] for o in outcomes), f.duplicate, stored.label("stored")
    ).where(f.run_id == run_id, f.channel == channel)
    frame = pd.DataFrame([dict(row._mapping) for row in conn.execute(query)])
    if frame.empty:
        return frame
    decided = frame[outcomes].sum(axis=1)
    frame["outcomes"] = decided + frame["duplicate"]
    frame["decided"] = decided
    return frame


def validate_reconciliation(engine: sa.Engine, run_id: int, channel: str) -> QualityResult | None:
    """SPEC §3 per file: read = accepted + ignored + rejected + needs_review + duplicate, and
    every decided record is in the store. None when the run took no file of the channel."""
    with engine.connect() as conn:
        frame = reconciliation_frame(conn, run_id, channel)
    if frame.empty:
        return None
    return validate(RECONCILIATION_SUITE, frame, f"{channel} files of run {run_id}")


# --- the published list ----------------------------------------------------------------------

LIST_CHUNK = 100_000  # rows fetched at a time while the list suite's frame is built
LIST_COLUMNS = ("key_hash", "match_key", "address", "scope", "first_requested_at", "effective_at", "list_version")


def list_frame(conn: sa.Connection) -> pd.DataFrame:
    """The suppressions table as the suite reads it. Built column by column through Arrow, with
    the times read as text and parsed per column (a row-by-row frame of 2,000,000 entries took
    20 s, this about 5): the intraday DAG validates the whole list after every publish."""
    s = suppressions.c
    postgres = conn.dialect.name == "postgresql"
    query = sa.select(s.key_hash, s.match_key, s.address, s.scope, utc_text(s.first_requested_at, postgres),
                      utc_text(s.effective_at, postgres), s.list_version)
    types = [pa.int64() if name == "list_version" else pa.string() for name in LIST_COLUMNS]
    chunks: list[list[pa.Array]] = [[] for _ in LIST_COLUMNS]
    with collector_paused():  # millions of row tuples, no cycles among them
        # A chunk of row tuples at a time, not the table's (a server-side cursor on PostgreSQL).
        for rows in conn.execute(query.execution_options(yield_per=LIST_CHUNK)).partitions():
            for chunk, values, kind in zip(chunks, zip(*rows, strict=True), types, strict=True):
                chunk.append(pa.array(values, kind))
    columns = [pa.chunked_array(chunk, kind) for chunk, kind in zip(chunks, types, strict=True)]
    for at in (4, 5):
        # Naive UTC: GX compares column pairs through `Series.values`, which pandas deprecates
        # for time-zone-aware columns (the suite's meaning is the same in UTC).
        columns[at] = columns[at].cast(pa.timestamp("us"))
    return pa.table(columns, names=list(LIST_COLUMNS)).to_pandas()


def list_parameters(conn: sa.Connection) -> dict[str, int] | None:
    """The newest version's entry count, and the least it may hold: the previous version's
    entries less what this version lifted (a list shrinks only by lifts)."""
    versions = conn.execute(sa.select(list_versions).order_by(list_versions.c.version.desc()).limit(2)).all()
    if not versions:
        return None
    newest = versions[0]
    previous = versions[1].entries if len(versions) > 1 else 0
    return {"version": newest.version, "entries": newest.entries, "min_entries": previous - newest.lifted}


def validate_list(engine: sa.Engine) -> QualityResult | None:
    """The suppression_list suite over the current list, read in one snapshot; None when
    nothing has been published yet."""
    with engine.connect() as conn, conn.begin():
        parameters = list_parameters(conn)
        if parameters is None:
            return None
        frame = list_frame(conn)
    return validate(LIST_SUITE, frame, f"list version {parameters['version']}", parameters)
