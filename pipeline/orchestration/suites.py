"""The channel suites `expectations/<channel>.json`, written from one template: every registered
channel gets the same expectations, with its own name and the outcome and reason codes of
`pipeline.intake.records`. The files stay in the repository so a reviewer reads exactly what a
channel's gate enforces; `tests/dags/test_suites.py` fails when a file differs from what this
module writes. After changing a reason code, an outcome or the registry, rewrite them:

    python -m pipeline.orchestration.suites          # rewrite the channel suites
    python -m pipeline.orchestration.suites --check  # exit 1 when one is missing or stale
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.channels import REGISTRY
from pipeline.core.resources import data_dir
from pipeline.intake.records import REASONS, Outcome

SUITES = data_dir("expectations")


def _not_null(column: str, notes: str) -> dict[str, Any]:
    return {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column}, "severity": "critical", "notes": notes}


def _in_set(column: str, values: list[str], notes: str) -> dict[str, Any]:
    return {
        "type": "expect_column_values_to_be_in_set", "kwargs": {"column": column, "value_set": values},
        "severity": "critical", "notes": notes,
    }


def channel_suite(channel: str) -> dict[str, Any]:
    """The suite of one channel's standardised records (one file per batch)."""
    reasons = sorted(set().union(*REASONS.values()))
    return {
        "name": channel,
        "meta": {
            "description": f"Standardised intake records of the {channel} channel, one file per batch (docs/airflow.md)."
        },
        "expectations": [
            _not_null("source_ref", "Every record has its own id or a content hash (SPEC §2)."),
            _not_null("requested_at", "Every record has a request time (SPEC §2)."),
            _not_null("outcome", "Every record ends in exactly one outcome (SPEC §3)."),
            _not_null("reason", "Every outcome carries a reason code (SPEC §3)."),
            {
                "type": "expect_column_values_to_match_regex", "kwargs": {"column": "source_ref", "regex": r"\S"},
                "severity": "critical", "notes": "A source_ref is never blank.",
            },
            _in_set("channel", [channel], "Records are filed under the channel that read them."),
            _in_set("outcome", [str(o) for o in Outcome], "Outcomes of SPEC §3."),
            _in_set("reason", reasons, "Reason codes of pipeline.intake.records.REASONS (docs/outcomes.md)."),
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {
                    "column": "requested_at",
                    "min_value": {"$PARAMETER": "earliest_requested_at"},
                    "max_value": {"$PARAMETER": "latest_requested_at"},
                },
                "severity": "critical",
                "notes": (
                    "Request times within sane bounds: not before 1990 (pipeline.intake.timestamps.EARLIEST), "
                    "not after the night after the logical date."
                ),
            },
            {
                "type": "expect_column_values_to_be_unique", "kwargs": {"column": "source_ref"}, "severity": "warning",
                "notes": "A file that repeats a source_ref is odd (the repeat is counted as a duplicate): warn.",
            },
            {
                "type": "expect_column_values_to_not_be_in_set",
                "kwargs": {"column": "outcome", "value_set": [str(Outcome.REJECTED)], "mostly": 0.5},
                "severity": "warning",
                "notes": "More than half of a file rejected suggests the export format changed: warn.",
            },
        ],
    }


def suite_text(channel: str) -> str:
    """The file's text: two-space JSON, non-ASCII escaped, one trailing newline."""
    return json.dumps(channel_suite(channel), indent=2) + "\n"


def stale(folder: Path | None = None, channels: Iterable[str] | None = None) -> list[str]:
    """The channels (default: the registered ones) whose suite file in `folder` (default:
    `expectations/`) is missing or differs from the template."""
    folder = folder or SUITES
    return [
        c for c in (REGISTRY if channels is None else channels)
        if not (p := folder / f"{c}.json").is_file() or p.read_text(encoding="utf-8") != suite_text(c)
    ]


def write(folder: Path | None = None, channels: Iterable[str] | None = None) -> list[str]:
    """Rewrite the missing or stale channel suites; the channels written."""
    folder = folder or SUITES
    written = stale(folder, channels)
    for channel in written:
        (folder / f"{channel}.json").write_text(suite_text(channel), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.orchestration.suites", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing or stale suites (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale()
        for channel in behind:
            print(f"{SUITES / channel}.json is missing or stale", file=sys.stderr)
        return 1 if behind else 0
    for channel in write():
        print(f"wrote {SUITES / channel}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
