"""What the commands share (pipeline/cli/options.py): library errors name a field, never a flag,
and the command line shows the flag; the choices of --kind, --format, --status and --scope are
the library's and --help lists them; every command sits in a panel of `optout --help`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.audit import erase, review
from pipeline.check.run import KINDS
from pipeline.cli import app
from pipeline.cli.options import FLAGS, PANELS, Kind, Status, with_flag
from pipeline.core.errors import OptoutError
from pipeline.intake.records import Scope
from pipeline.ledger import manual
from pipeline.orchestration import demo
from pipeline.store.db import make_engine

pytestmark = pytest.mark.unit

UNUSED: Any = None  # each call below is refused before it touches the store, the settings or the clock


def _made_dir(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("not the demo's", encoding="utf-8")
    demo.prepare(tmp_path)


REFUSED: list[tuple[str, Callable[[Path], object], str, str]] = [
    # (case, call, field, what the command line shows after "optout: ")
    ("add: channel", lambda _: manual.add(UNUSED, UNUSED, UNUSED, "a@example.com", "fax", "L1"), "channel",
     "--channel: must be one of postal_mail, manual, not 'fax'"),
    ("add: blank ref", lambda _: manual.add(UNUSED, UNUSED, UNUSED, "a@example.com", "manual", " \t"), "ref",
     "--ref: must name the request (letter id, ticket, call)"),
    ("lift: evidence", lambda _: manual.lift(UNUSED, UNUSED, UNUSED, "a@example.com", "ok"), "evidence",
     "--evidence: must say what proves the re-consent"),
    ("erase: blank ref", lambda _: erase.erase(UNUSED, UNUSED, UNUSED, "a@example.com", ""), "ref",
     "--ref: must name the erasure request (ticket, letter)"),
    ("review: note", lambda _: review.accept(UNUSED, UNUSED, UNUSED, 1, ["a@example.com"], "ok", "op"), "note",
     "--note: must say why (what the operator saw and decided)"),
    ("review: no address", lambda _: review.accept(UNUSED, UNUSED, UNUSED, 1, [], "she phoned us", "op"), "addresses",
     "--accept: must name at least one address to opt out"),
    ("review: status", lambda _: review.list_items(UNUSED, "closed"), "status",
     "--status: must be one of open, accepted, dismissed, not 'closed'"),
    ("store: url", lambda _: make_engine("::not a url::"), "database_url",
     "--db / OPTOUT_DATABASE_URL: not a database URL: '::not a url::'"),
    ("demo: a folder it did not make", _made_dir, "directory", "--dir: "),
]


@pytest.mark.parametrize(("call", "field", "shown"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_library_errors_name_the_field_and_the_command_line_the_flag(tmp_path: Path, call, field, shown) -> None:
    with pytest.raises(OptoutError) as refused:
        call(tmp_path)
    assert refused.value.field == field
    assert "--" not in str(refused.value)  # Airflow and HTTP logs never see a flag
    assert with_flag(str(refused.value), refused.value.field).startswith(shown)


@pytest.mark.parametrize(
    ("message", "field", "shown"),
    [
        ("ref must name the request", "ref", "--ref: must name the request"),
        ("max_age_hours: the list is 40 h old", "max_age_hours", "--max-age: the list is 40 h old"),
        ("max age hours must be positive", "max_age_hours", "--max-age: must be positive"),
        ("the list is older than allowed", "max_age_hours", "--max-age: the list is older than allowed"),
        ("reference missing", "ref", "--ref: reference missing"),  # a longer word is not the field
        ("no such file", None, "no such file"),
        ("odd setting", "some_setting", "some_setting: odd setting"),
        ("", "ref", "--ref: "),
    ],
)
def test_with_flag(message: str, field: str | None, shown: str) -> None:
    assert with_flag(message, field) == shown


def test_the_choices_are_the_librarys() -> None:
    assert tuple(Kind) == KINDS
    assert tuple(s for s in Status if s is not Status.ALL) == review.STATUSES
    assert {s.value for s in Scope} == {"marketing", "all"}


def test_every_flag_is_a_flag_or_an_argument() -> None:
    assert all(flag.startswith("--") or flag.isupper() for flag in FLAGS.values())


def test_every_command_sits_in_a_panel() -> None:
    infos = [*app.registered_commands, *app.registered_groups]
    panels = {(info.name or getattr(info.callback, "__name__", "")): info.rich_help_panel for info in infos}
    assert set(panels) == {
        "init", "run", "add", "lift", "verify", "demo", "check", "lookup", "history", "report", "export", "erase",
        "audit", "review", "token", "serve", "user", "import", "reconcile",
    }
    assert {name: panel for name, panel in panels.items() if panel not in PANELS} == {}
    assert set(panels.values()) == set(PANELS)  # no panel left empty


def test_help_shows_every_panel_and_the_choices() -> None:
    shown = CliRunner().invoke(app, ["--help"], terminal_width=200, env={"COLUMNS": "200"}).output
    assert sorted(PANELS, key=shown.find) == list(PANELS)  # every panel, in the order PANELS gives
    assert -1 not in map(shown.find, PANELS)
    for command, choices in ((["history"], "<csv|json>"), (["check"], "<marketing|service>"),
                             (["review", "list"], "<open|accepted|dismissed|all>"), (["review", "resolve"], "<marketing|all>")):
        assert choices in CliRunner().invoke(app, [*command, "--help"], terminal_width=200, env={"COLUMNS": "200"}).output
