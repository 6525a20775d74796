"""README.md and docs/ stay true to the code and speak of this repository only: no pointer to a
file outside it, no figure copied from the benchmark tables, the outcome table equal to the
reason codes the code has, and every module they name existing."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from pipeline.intake.records import REASONS, Outcome
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
IDS = [p.relative_to(ROOT).as_posix() for p in DOCS]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- outside pointers

OUTSIDE = re.compile(r"\bSPEC\b|\.\./shared|(?<![\w.])(?:/work/|/home/|/tmp/|~/)")
# A relative path that climbs: `../x`, in a link or in running text.
CLIMB = re.compile(r"(?:\.\./)+[\w.\-/]*")


def outside_pointers(path: Path, body: str) -> list[str]:
    found = [m.group(0) for m in OUTSIDE.finditer(body)]
    for m in CLIMB.finditer(body):
        target = (path.parent / m.group(0)).resolve()
        if not target.is_relative_to(ROOT.resolve()):
            found.append(m.group(0))
    return found


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("The contract is `SPEC.md`.", True),
        ("as SPEC §7 says", True),
        ("kept beside the project as `../shared/SPEC.md`", True),
        ("see [the spec](../../elsewhere/spec.md)", True),
        ("read /work/shared/STYLE.md", True),
        ("see [the README](../README.md)", False),  # from docs/: inside the repository
        ("the `suspect` flag, a spectrum, INSPECTION", False),
        ("paths like `pipeline/core/config.py`", False),
    ],
)
def test_outside_pointer_detection(body: str, found: bool) -> None:
    assert bool(outside_pointers(ROOT / "docs" / "x.md", body)) is found


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_docs_point_only_inside_the_repository(path: Path) -> None:
    assert outside_pointers(path, text(path)) == []


# ---------------------------------------------------------------- benchmark figures

# A figure: a number with a decimal point, a thousands separator, or a unit that makes it a
# measurement (×, GiB, MB, ms, M) and two digits at least; one digit ("2 cores", "0 mismatches",
# "4 GiB" as a bound) says too little to be a copy.
FIGURE = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d{2,}(?=\s?(?:×|GiB|MB|ms\b|M\b)))")


def table_figures(body: str) -> set[str]:
    figures: set[str] = set()
    for line in body.splitlines():
        if line.lstrip().startswith("|"):
            figures.update(FIGURE.findall(line))
    return figures


def test_table_figures_are_found() -> None:
    table = "| ours ÷ floor | 1.76× | **2.03×** | 1,297,000 | 1.29 GiB | 204× | 0 | 2 | ≤ 4 GiB |\n| 2 cores | x |"
    assert table_figures(table) == {"1.76", "2.03", "1,297,000", "1.29", "204"}
    assert table_figures("1.76× outside a table") == set()


def test_readme_copies_no_benchmark_figure() -> None:
    figures = table_figures(text(ROOT / "docs" / "benchmarks.md"))
    assert figures, "docs/benchmarks.md has no table figures: the pattern is stale"
    readme = text(ROOT / "README.md")
    copied = sorted(f for f in figures if re.search(rf"(?<![\w.,]){re.escape(f)}(?![\w,]|\.\d)", readme))
    assert copied == []
    assert "docs/benchmarks.md" in readme


# ---------------------------------------------------------------- outcomes

ROW = re.compile(r"^\|\s*([a-z_()]+)\s*\|([^|]*)\|")


def documented_reasons(body: str) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for line in body.splitlines():
        m = ROW.match(line)
        if m and m.group(1) != "outcome":
            table.setdefault(m.group(1), set()).update(re.findall(r"`([a-z_]+)`", m.group(2)))
    return table


def test_outcome_table_is_parsed() -> None:
    body = "| outcome | reason | meaning |\n| --- | --- | --- |\n| ignored | `auto_reply`, `bounce` | x |\n"
    assert documented_reasons(body) == {"ignored": {"auto_reply", "bounce"}}


def test_outcomes_doc_lists_exactly_the_codes_the_code_has() -> None:
    table = documented_reasons(text(ROOT / "docs" / "outcomes.md"))
    assert table.pop("(duplicate)", None) == set(), "the duplicate row (no reason) is documented"
    assert set(table) == {str(o) for o in Outcome}
    for outcome in Outcome:
        assert table[str(outcome)] == set(REASONS[outcome]), outcome


# ---------------------------------------------------------------- module paths

PATH = re.compile(r"(?<![\w/.])pipeline(?:/[\w]+)+(?:\.py)?/?")
DOTTED = re.compile(r"(?<![\w/.])pipeline(?:\.[A-Za-z_]\w*)+")


def dotted_exists(name: str) -> bool:
    """A module, or a name defined in one: `pipeline.channels.REGISTRY`."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        base = ROOT.joinpath(*parts[:cut])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            obj = importlib.import_module(module)
            for attr in parts[cut:]:
                if not hasattr(obj, attr):
                    return False
                obj = getattr(obj, attr)
            return True
    return False


def test_module_name_resolution() -> None:
    assert dotted_exists("pipeline.intake.records")
    assert dotted_exists("pipeline.intake.records.REASONS")
    assert not dotted_exists("pipeline.runner")
    assert not dotted_exists("pipeline.intake.records.NO_SUCH_NAME")
    assert PATH.findall("`pipeline/check.py` and pipeline/core/ and pipeline/store/schema.py.") == [
        "pipeline/check.py", "pipeline/core/", "pipeline/store/schema.py",
    ]


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_every_named_module_exists(path: Path) -> None:
    body = text(path)
    missing = [p for p in PATH.findall(body) if not (ROOT / p.rstrip("/")).exists()]
    missing += [n for n in DOTTED.findall(body) if not dotted_exists(n)]
    assert missing == []


# ---------------------------------------------------------------- architecture

def test_readme_links_the_architecture_page() -> None:
    assert "docs/architecture.md" in text(ROOT / "README.md")
    assert (ROOT / "docs" / "architecture.md").is_file()


# ---------------------------------------------------------------- links

LINK = re.compile(r"\]\(([^)\s#]*\.md)?#([^)\s]+)\)")


def slug(heading: str) -> str:
    """A heading's anchor as Markdown renderers make it: lower-case, punctuation dropped, spaces to hyphens."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in text(path).splitlines() if line.startswith("#")}


def test_slugs_are_the_renderers() -> None:
    assert slug("A seed night through Airflow") == "a-seed-night-through-airflow"
    assert slug("Internationalised addresses (match keys)") == "internationalised-addresses-match-keys"
    assert slug("Start-up (`optout --help`, a two-row check)") == "start-up-optout---help-a-two-row-check"


@pytest.mark.parametrize("path", DOCS, ids=IDS)
def test_every_section_a_link_names_exists(path: Path) -> None:
    """A link to `page.md#section` (or `#section` in the page) names a heading the page has: a
    section lost in an edit breaks the links to it."""
    broken = []
    for target, anchor in LINK.findall(text(path)):
        page = (path.parent / target) if target else path
        if page.is_file() and anchor not in anchors(page):
            broken.append(f"{target}#{anchor}")
    assert broken == []
