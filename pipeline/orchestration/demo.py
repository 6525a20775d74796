"""`optout demo`: the seeds' three nights on a fresh SQLite store, then a pre-send check of the
sample campaign. Each night runs with the clock at 02:00 UTC the next morning, as the nightly
schedule would, so the figures are the same whenever the demo is run."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from pipeline.audit.report import write_report
from pipeline.check.run import run_check
from pipeline.core.clock import FixedClock
from pipeline.core.config import Settings
from pipeline.core.errors import OptoutError
from pipeline.orchestration.nightly import RunSummary, run_nightly
from pipeline.store.db import make_engine, migrate

MARKER = ".optout-demo"
Echo = Callable[[str], None]


def seeds_dir() -> Path:
    for candidate in (Path(__file__).resolve().parents[2] / "seeds", Path.cwd() / "seeds"):
        if (candidate / "landing").is_dir():
            return candidate
    raise OptoutError("seeds/ not found: run the demo from the project folder")


def prepare(directory: Path) -> None:
    """A fresh demo folder; an existing folder is replaced only if an earlier demo made it."""
    if directory.exists():
        if not (directory / MARKER).exists() and any(directory.iterdir()):
            raise OptoutError(f"directory {directory} exists and was not made by the demo: choose another folder", field="directory")
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by optout demo; replaced by the next one\n", encoding="utf-8")


def nights(seeds: Path) -> list[date]:
    days = {date.fromisoformat(p.name) for p in (seeds / "landing").glob("*/*") if p.is_dir() and p.parent.name != "accounts"}
    return sorted(days)


def deliver(seeds: Path, landing: Path, night: date, late: dict[str, str]) -> int:
    """Copy into the landing zone what has arrived by the night: folders dated up to it, and
    late files only from the night they arrived."""
    copied = 0
    for src in sorted((seeds / "landing").glob("*/*/*")):
        rel = src.relative_to(seeds / "landing").as_posix()
        arrives = date.fromisoformat(late.get(rel, src.parent.name))
        dest = landing / rel
        if arrives <= night and not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
            copied += 1
    return copied


def run_demo(directory: Path, base: Settings, echo: Echo) -> None:
    seeds = seeds_dir()
    prepare(directory)
    settings = base.with_overrides(database_url=f"sqlite:///{(directory / 'optout.db').resolve()}", landing=directory / "landing")
    engine = make_engine(settings.database_url)
    migrate(engine)
    late = json.loads((seeds / "late.json").read_text(encoding="utf-8")) if (seeds / "late.json").exists() else {}
    echo(f"optout demo: seeds from {seeds}, store {settings.database_url}\n")
    last: RunSummary | None = None
    for night in nights(seeds):
        copied = deliver(seeds, settings.landing, night, late)
        clock = FixedClock(datetime.combine(night + timedelta(days=1), time(2, 0), tzinfo=UTC))
        last = run_nightly(engine, settings, night, clock)
        echo(f"night {night} ({copied} file(s) landed)")
        _print_run(last, echo)
    assert last is not None
    check_time = datetime.combine(nights(seeds)[-1] + timedelta(days=1), time(3, 0), tzinfo=UTC)
    check_clock = FixedClock(check_time)
    _demo_check(engine, settings, check_clock, seeds / "campaign.csv", directory, echo)
    report = write_report(engine, settings, check_time.date(), directory, check_clock)
    echo(f"\ncompliance report (deadline clocks, chart): {report['html']} and {report['json'].name}")
    cli = ".venv/bin/optout" if Path(".venv/bin/optout").exists() else "optout"
    echo(f"\nTry: {cli} --db {settings.database_url} --now {check_time.isoformat()} lookup <address>")
    echo(f"     {cli} --db {settings.database_url} history --format csv | head")
    echo(f"     {cli} --db {settings.database_url} --now {check_time.isoformat()} report --date {check_time.date()}")
    echo(f"     {cli} --db {settings.database_url} audit campaign demo-newsletter")
    echo("\nThe console, on this store (the demo's clock keeps its list fresh):")
    echo(f"     {cli} --db {settings.database_url} user add ann --role marketer    (then type a password of 12+ characters)")
    echo(f"     {cli} --db {settings.database_url} --now {check_time.isoformat()} serve    and open http://127.0.0.1:8080/console/")


def _print_run(summary: RunSummary, echo: Echo) -> None:
    for line in summary.report_lines():
        echo(line)


def _demo_check(engine, settings: Settings, clock: FixedClock, campaign: Path, directory: Path, echo: Echo) -> None:  # type: ignore[no-untyped-def]
    out, removed = directory / "campaign-send.csv", directory / "campaign-removed.csv"
    result = run_check(engine, settings, clock, campaign, out, campaign="demo-newsletter", removed=removed,
                       checked_by="cli:demo")
    echo(f"\npre-send check of {campaign.name} against list version {result.list_version}:")
    echo(f"  {result.input_rows} rows in, {result.kept} kept, {result.suppressed} suppressed, {result.invalid} invalid")
    echo(f"  send file {out}; removed rows {removed}; receipt {result.receipt}")
    with removed.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[:8]:
        echo(f"    removed {row['email']!r}: {row['reason']} {row['channel']} {row['since']}")
    if len(rows) > 8:
        echo(f"    … and {len(rows) - 8} more in {removed.name}")
