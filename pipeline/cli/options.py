"""What several commands share: the `--json` option, the choices of `--kind`, `--format`,
`--status` and `--scope`, the help panels of `optout --help`, and the flag that spells each
field a library error names.

The choices are Enums so that `--help` lists them and Typer refuses any other value with exit
2 before the command runs; the library still checks the plain strings it is given, since
Airflow and the HTTP service call it without this edge."""
from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from pipeline.intake.records import Scope

AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON on standard output (warnings stay on standard error).")]


class Kind(StrEnum):
    """What a send is: a marketing check honours every opt-out, a service announcement's only
    the scope `all` ones (account cancellations)."""

    MARKETING = "marketing"
    SERVICE = "service"


class Format(StrEnum):
    """How `history` writes the events."""

    CSV = "csv"
    JSON = "json"


class Status(StrEnum):
    """A review item's state, or `all` for every item."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"
    ALL = "all"


class Half(StrEnum):
    """Which half of the HTTP service `serve --only` runs."""

    PUBLIC = "public"
    CONSOLE = "console"


class Role(StrEnum):
    """What a console user may do: marketers check lists, auditors read the evidence, admins both and resolve reviews."""

    MARKETER = "marketer"
    AUDITOR = "auditor"
    ADMIN = "admin"


__all__ = ["PANELS", "AsJson", "Format", "Half", "Kind", "Role", "Scope", "Status", "flag_for", "with_flag"]

# The panels of `optout --help`, in the order it shows them: that of the first command in each
# (as `pipeline/cli/__init__` imports the modules), sub-command groups after plain commands, so
# Review and Console users, whose only entries are the `review` and `user` groups, come last.
NIGHTLY = "Nightly pipeline"
CHECK = "Pre-send check"
AUDIT = "Audit"
REVIEW = "Review"
ADMIN = "Administration"
SERVICE = "Service"
CONSOLE = "Console users"
PANELS = (NIGHTLY, CHECK, AUDIT, ADMIN, SERVICE, REVIEW, CONSOLE)

# A library error names the parameter or setting at fault (`OptoutError.field`); the user sees
# the flag or argument that sets it.
FLAGS = {
    "accept": "--accept",
    "addresses": "--accept",
    "as_of": "--as-of",
    "campaign": "--campaign",
    "channel": "--channel",
    "column": "--column",
    "database_url": "--db / OPTOUT_DATABASE_URL",
    "date": "--date",
    "directory": "--dir",
    "esp": "--esp",
    "evidence": "--evidence",
    "html": "--html",
    "in_database": "--in-database",
    "input": "INPUT",
    "input_path": "INPUT",
    "kind": "--kind",
    "landing": "--landing / OPTOUT_LANDING",
    "max_age_hours": "--max-age",
    "name": "NAME",
    "note": "--note",
    "role": "--role",
    "since_version": "--since-version",
    "output": "--output",
    "receipt": "--verify-receipt",
    "ref": "--ref",
    "removed": "--removed",
    "requested_at": "--requested-at",
    "scope": "--scope",
    "status": "--status",
    "version": "--version",
}


def flag_for(field: str) -> str:
    """The command-line spelling of a library field (the field itself if no flag sets it)."""
    return FLAGS.get(field, field)


def with_flag(message: str, field: str | None) -> str:
    """`message` as the command line shows it: led by the flag that sets `field`.

    A message that opens with the field's name ("ref must name...", "max_age_hours: ...")
    has that name replaced by the flag; any other message is prefixed with it."""
    if not field:
        return message
    flag = flag_for(field)
    for name in dict.fromkeys((field, field.replace("_", " "))):
        for sep in (": ", " "):
            if message.startswith(name + sep):
                return f"{flag}: {message[len(name) + len(sep):]}"
    return f"{flag}: {message}"
