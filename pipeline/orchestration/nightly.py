"""The nightly pipeline for a logical date, in steps an orchestrator can call one by one
(Airflow tasks) or all at once (`optout run`). Runs are keyed on the logical date and the
channels they take (none named: every channel, the nightly run; some named: a run of only those,
as the intraday DAG makes for the fast channels, with a `pipeline_runs` row of its own). Running
a date again ingests no known file, adds no event and publishes no new version; files a run of
some channels ingested are known to the nightly run afterwards, which skips them."""
from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from pipeline.audit import review
from pipeline.channels import REGISTRY, channel
from pipeline.check import snapshots
from pipeline.core.clock import Clock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.intake import landing
from pipeline.intake.accounts import AccountIndex, load_accounts
from pipeline.intake.landing import LandingWarning
from pipeline.intake.records import Reconciliation
from pipeline.ledger.events import Appended
from pipeline.ledger.ingest import ChannelResult, Gate, ReadAhead, ingest_channel, reading_ahead
from pipeline.ledger.publish import ListVersion, latest_version, publish
from pipeline.store.db import write_tx
from pipeline.store.schema import ingested_files, pipeline_runs

OUTCOMES = ("read", "accepted", "ignored", "rejected", "needs_review", "duplicate")
KEPT_WARNINGS = 1000  # kept on the run; a landing zone full of strays is summed up past this
SHOWN_WARNINGS = 20  # in the text summary


@dataclass
class RunSummary:
    run_id: int
    logical_date: date
    status: str
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    scope: tuple[str, ...] = ()  # the channels a run of some channels took; empty: every channel
    list_version: int | None = None
    entries: int | None = None
    digest: str | None = None
    new_files: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # what the landing zone held that the run could not place
    review_resolved: list[int] = field(default_factory=list)  # review items the accounts snapshot settled

    def as_dict(self) -> dict[str, Any]:
        totals = Reconciliation()
        for c in self.channels.values():
            for name in OUTCOMES:
                setattr(totals, name, getattr(totals, name) + c.get(name, 0))
        return {
            "logical_date": self.logical_date.isoformat(),
            "run_id": self.run_id,
            "only_channels": list(self.scope),
            "status": self.status,
            "new_files": self.new_files,
            "channels": self.channels,
            "totals": totals.as_dict(),
            "list_version": self.list_version,
            "entries": self.entries,
            "digest": self.digest,
            "errors": self.errors,
            "warnings": self.warnings,
            "review_resolved": self.review_resolved,
        }

    def report_lines(self) -> list[str]:
        """The per-channel outcome table a person reads after a run."""
        lines = [f"  {'channel':<18} {'files':>5} {'read':>6} {'accepted':>8} {'ignored':>7} {'rejected':>8} {'review':>6} {'dup':>5}"]
        for name, c in self.channels.items():
            if name.startswith("_"):
                continue
            lines.append(
                f"  {name:<18} {c['files']:>5} {c['read']:>6} {c['accepted']:>8} {c['ignored']:>7} "
                f"{c['rejected']:>8} {c['needs_review']:>6} {c['duplicate']:>5}"
            )
        digest = (self.digest or "")[:16]
        lines.append(f"  status {self.status}; list version {self.list_version}: {self.entries} suppressed address(es); digest {digest}…")
        lines.extend(f"  ! {problem}" for problem in self.errors)
        if self.review_resolved:
            lines.append(f"  {len(self.review_resolved)} review item(s) resolved by the accounts snapshot")
        lines.extend(f"  warning: {w['path']}: {w['reason']}" for w in self.warnings[:SHOWN_WARNINGS])
        if len(self.warnings) > SHOWN_WARNINGS:
            lines.append(f"  warning: … and {len(self.warnings) - SHOWN_WARNINGS} more (see the summary as JSON, or pipeline_runs.counts)")
        return lines


def run_scope(channels: Sequence[str]) -> tuple[str, ...]:
    """The registered channels named (sorted, each once); OptoutError naming an unknown one."""
    unknown = sorted(set(channels) - set(REGISTRY))
    if unknown:
        raise OptoutError(f"unknown channel {unknown[0]!r} (channels: {', '.join(REGISTRY)})", field="channel")
    return tuple(sorted(set(channels)))


def start_run(engine: sa.Engine, logical_date: date, clock: Clock, channels: Sequence[str] = ()) -> int:
    """Open (or re-open) the run of a logical date and channels (none: every channel); returns
    its id. A re-opened run keeps the review items it already resolved, so a re-run reports the
    same figures."""
    scope = ",".join(run_scope(channels))
    with write_tx(engine) as conn:
        row = conn.execute(
            sa.select(pipeline_runs.c.id, pipeline_runs.c.counts).where(
                pipeline_runs.c.logical_date == logical_date, pipeline_runs.c.channels == scope)
        ).first()
        values: dict[str, Any] = {
            "started_at": clock.now(), "finished_at": None, "status": "running", "counts": {}, "error": None,
            "data_quality": None,
        }
        if row is None:
            inserted = conn.execute(pipeline_runs.insert().values(logical_date=logical_date, channels=scope, **values))
            return int(inserted.inserted_primary_key[0])  # type: ignore[index]
        resolved = (row.counts or {}).get("_review_resolved")
        if resolved:
            values["counts"] = {"_review_resolved": resolved}
        conn.execute(
            pipeline_runs.update().where(pipeline_runs.c.id == row.id).values(attempts=pipeline_runs.c.attempts + 1, **values)
        )
        return int(row.id)


def run_channels(engine: sa.Engine, run_id: int) -> tuple[str, ...]:
    """The channels a run of some channels takes; empty for the nightly run of every channel."""
    with engine.connect() as conn:
        text = conn.execute(sa.select(pipeline_runs.c.channels).where(pipeline_runs.c.id == run_id)).scalar_one()
    return tuple(filter(None, text.split(",")))


def run_logical_date(engine: sa.Engine, run_id: int) -> date:
    with engine.connect() as conn:
        return conn.execute(sa.select(pipeline_runs.c.logical_date).where(pipeline_runs.c.id == run_id)).scalar_one()


def accounts_for(settings: Settings, logical_date: date) -> AccountIndex:
    return load_accounts(settings.landing, logical_date, settings.phone_region)


def run_accounts(engine: sa.Engine, settings: Settings, run_id: int) -> AccountIndex:
    """The run's accounts snapshot, its warnings kept on the run; no readable snapshot at all
    (when some exist) fails the run, while the channels go on with an empty index."""
    accounts = accounts_for(settings, run_logical_date(engine, run_id))
    record_warnings(engine, run_id, accounts.warnings)
    if accounts.problem:
        record_channel_error(engine, run_id, "accounts", accounts.problem)
    return accounts


def survey_landing(engine: sa.Engine, settings: Settings, run_id: int) -> list[LandingWarning]:
    """List on the run everything in the landing zone it cannot place (SPEC §3)."""
    patterns = {name: ch.patterns for name, ch in REGISTRY.items()}
    warnings = landing.survey(settings.landing, patterns, run_logical_date(engine, run_id))
    record_warnings(engine, run_id, warnings)
    return warnings


def record_warnings(engine: sa.Engine, run_id: int, warnings: list[LandingWarning]) -> None:
    """Add warnings to the run's `_warnings` (once each, by path and reason, sorted by path)."""
    if not warnings:
        return
    with write_tx(engine) as conn:
        counts = conn.execute(sa.select(pipeline_runs.c.counts).where(pipeline_runs.c.id == run_id)).scalar_one() or {}
        kept = {(w["path"], w["reason"]) for w in counts.get("_warnings", [])}
        kept.update((w.path, w.reason) for w in warnings)
        listed = [{"path": path, "reason": reason} for path, reason in sorted(kept)]
        if len(listed) > KEPT_WARNINGS:
            more = len(listed) - KEPT_WARNINGS + 1
            listed = [*listed[: KEPT_WARNINGS - 1], {"path": "…", "reason": f"and {more} more warning(s) not kept"}]
        conn.execute(pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(counts={**counts, "_warnings": listed}))


def run_channel(
    engine: sa.Engine,
    settings: Settings,
    run_id: int,
    name: str,
    clock: Clock,
    accounts: AccountIndex | None = None,
    gate: Gate | None = None,
    reads: ReadAhead | None = None,
    appended: Appended | None = None,
) -> ChannelResult:
    """Ingest one channel for the run. An unexpected failure is recorded on the run (so the
    final step fails it) and raised again for the orchestrator to retry. `gate` (the DAG's
    data-quality suites) may quarantine a file before it is loaded; `reads` has the files read
    ahead and `appended` gathers the facts of the events stored, for the run's publish (`optout run`)."""
    logical_date = run_logical_date(engine, run_id)
    try:
        if accounts is None:
            accounts = run_accounts(engine, settings, run_id)
        return ingest_channel(engine, settings, channel(name), logical_date, run_id, clock, accounts, gate=gate, reads=reads,
                              appended=appended)
    except Exception as exc:
        record_channel_error(engine, run_id, name, f"{type(exc).__name__}: {exc}")
        raise


def record_channel_error(engine: sa.Engine, run_id: int, channel: str, error: str) -> None:
    with write_tx(engine) as conn:
        counts = conn.execute(sa.select(pipeline_runs.c.counts).where(pipeline_runs.c.id == run_id)).scalar_one() or {}
        errors = dict(counts.get("_errors", {}))
        errors[channel] = error
        conn.execute(pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(counts={**counts, "_errors": errors}))


def record_data_quality(engine: sa.Engine, run_id: int, step: str, result: dict[str, Any]) -> None:
    """Keep one step's data-quality result on the run (a channel's suites, the published list's)."""
    with write_tx(engine) as conn:
        current = conn.execute(sa.select(pipeline_runs.c.data_quality).where(pipeline_runs.c.id == run_id)).scalar_one()
        merged = {**(current or {}), step: result}
        conn.execute(pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(data_quality=merged))


def recorded_data_quality(engine: sa.Engine, run_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(pipeline_runs.c.data_quality).where(pipeline_runs.c.id == run_id)).scalar_one()


def publish_run(
    engine: sa.Engine, settings: Settings, run_id: int, clock: Clock, accounts: AccountIndex | None = None,
    appended: Appended | None = None,
) -> ListVersion | None:
    """Resolve the review items the accounts snapshot now settles, publish the run's events as
    a new version (`appended`: their facts, as the channels stored them), then store that
    version's list snapshot so the day's checks load it in a fraction of a second
    (pipeline/check/snapshots.py)."""
    if accounts is None:
        accounts = run_accounts(engine, settings, run_id)
    resolved = review.resolve_from_snapshot(engine, settings, clock, accounts, run_id)
    if resolved:
        with write_tx(engine) as conn:
            counts = conn.execute(sa.select(pipeline_runs.c.counts).where(pipeline_runs.c.id == run_id)).scalar_one() or {}
            done = sorted({*counts.get("_review_resolved", []), *resolved})
            conn.execute(pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(counts={**counts, "_review_resolved": done}))
    version = publish(engine, clock, run_id, appended)
    if version is not None:
        snapshots.refresh(engine, settings.hash_key)
    return version


def channel_counts(conn: sa.Connection, run_id: int, scope: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """Per channel of the run (`scope`, else every channel): files, quarantined files and
    outcome counts of everything the run ingested."""
    f = ingested_files.c
    result: dict[str, dict[str, Any]] = {name: _empty_counts() for name in (scope or REGISTRY)}
    columns = (f.channel, f.records, f.accepted, f.ignored, f.rejected, f.needs_review, f.duplicate, f.quarantine_error, f.path)
    rows = conn.execute(sa.select(*columns).where(f.run_id == run_id))
    for row in rows:
        c = result.setdefault(row.channel, _empty_counts())
        c["files"] += 1
        c["read"] += row.records
        for name in OUTCOMES[1:]:
            c[name] += getattr(row, name)
        if row.quarantine_error:
            c["quarantined"].append(row.quarantine_error)
    return result


def _empty_counts() -> dict[str, Any]:
    return {"files": 0, **dict.fromkeys(OUTCOMES, 0), "quarantined": [], "error": None}


def finish_run(engine: sa.Engine, run_id: int, clock: Clock, data_quality: dict[str, Any] | None = None) -> RunSummary:
    """Close the run: failed when any channel failed or any file the run took was quarantined."""
    with write_tx(engine) as conn:
        run = conn.execute(sa.select(pipeline_runs).where(pipeline_runs.c.id == run_id)).one()
        scope = tuple(filter(None, run.channels.split(",")))
        counts = channel_counts(conn, run_id, scope)
        kept = run.counts or {}
        errors = dict(kept.get("_errors", {}))
        warnings = list(kept.get("_warnings", []))
        resolved = list(kept.get("_review_resolved", []))
        problems = []
        for name, error in errors.items():
            counts.setdefault(name, _empty_counts())["error"] = error
            problems.append(f"channel {name} failed: {error}")
        for name, c in counts.items():
            problems.extend(f"channel {name}: quarantined {q}" for q in c["quarantined"])

        version = latest_version(conn)
        status = "failed" if problems else "success"
        conn.execute(
            pipeline_runs.update().where(pipeline_runs.c.id == run_id).values(
                finished_at=clock.now(), status=status,
                counts={**counts, "_errors": errors, "_warnings": warnings, "_review_resolved": resolved},
                data_quality=data_quality, list_version=version.version if version else None,
                error="\n".join(problems) or None,
            )
        )
    return RunSummary(
        run_id, run.logical_date, status, counts, scope,
        version.version if version else None, version.entries if version else None,
        version.digest if version else None, errors=problems, warnings=warnings, review_resolved=resolved,
    )


def run_nightly(
    engine: sa.Engine, settings: Settings, logical_date: date, clock: Clock, channels: Sequence[str] = (),
) -> RunSummary:
    """Every step for one logical date, without a scheduler: every channel, or only `channels`
    (then a new list version is published only when they brought a new event)."""
    scope = run_scope(channels)
    run_id = start_run(engine, logical_date, clock, scope)
    survey_landing(engine, settings, run_id)
    accounts = run_accounts(engine, settings, run_id)
    new_files = 0
    names = list(scope or REGISTRY)
    appended = Appended()  # what the channels store, published without reading it back
    # Each channel's files are read by forked children while the ones before are stored.
    with reading_ahead(engine, settings, [channel(name) for name in names], logical_date, accounts) as reads:
        for name in names:
            try:
                result = run_channel(engine, settings, run_id, name, clock, accounts, reads=reads, appended=appended)
                new_files += len(result.files)
            except Exception:  # recorded on the run by run_channel; the other channels go on
                traceback.print_exc()
    publish_run(engine, settings, run_id, clock, accounts, appended)
    summary = finish_run(engine, run_id, clock)
    summary.new_files = new_files
    return summary
