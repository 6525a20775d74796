"""The layout, enforced: the import contracts in pyproject.toml hold (`lint-imports`), no two
modules import each other even through others (the layers leave cycles inside one package to
this test), no import hides inside a function without a reason, and no module grows past 400 lines.

Conventions checked here:

- An import inside a function (or method) is allowed only when a measured start-up cost needs
  it, and then carries the reason on its own line, as a comment starting `# here, not at import:`
  (e.g. `import pyarrow  # here, not at import: ...`). Anything else goes at the top of the module.
- A module over `MAX_LINES` lines is split along its seams, unless it is table data (a table of
  phrases, codes or the like that is long by nature): such a module says so in its docstring
  with a line starting `Table data:`."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
REASON = "# here, not at import:"
TABLE_DATA = "Table data:"
MAX_LINES = 400


def lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def module_cycles(package: str) -> list[tuple[str, str]]:
    """Each module with a module it imports that leads back to it (imports inside functions count)."""
    graph = grimp.build_graph(package, cache_dir=None)
    return sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported != module and graph.chain_exists(importer=imported, imported=module)
    )


def test_no_module_imports_back_into_its_importer() -> None:
    assert module_cycles("pipeline") == []


def test_a_cycle_inside_one_package_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "__init__.py").write_text("")
    (tmp_path / "loop" / "run.py").write_text("from loop import rows\n")
    (tmp_path / "loop" / "rows.py").write_text("def f():\n    from loop.run import g\n")
    (tmp_path / "loop" / "io.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert module_cycles("loop") == [("loop.rows", "loop.run"), ("loop.run", "loop.rows")]


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


# ------------------------------------------------------------- the contracts can fail
def importlinter_config() -> str:
    """The [tool.importlinter] tables of pyproject.toml, as written there."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    following = re.search(r"^\[(?!\[?tool\.importlinter)", text[start + 1 :], re.M)
    return text[start : start + 1 + following.start()] if following else text[start:]


def toy_package(root: Path, imports: dict[str, str]) -> None:
    """A package `toy` with the same subpackages and channel modules as `pipeline`, empty but
    for the given {module path: source} imports, and the project's contracts renamed for it."""
    config = importlinter_config().replace('"pipeline"', '"toy"').replace("pipeline.", "toy.")
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    for package in (ROOT / "pipeline").iterdir():
        if (package / "__init__.py").is_file():
            (root / "toy" / package.name).mkdir(parents=True)
            (root / "toy" / package.name / "__init__.py").write_text("")
    (root / "toy" / "__init__.py").write_text("")
    for channel in (ROOT / "pipeline" / "channels").glob("*.py"):
        (root / "toy" / "channels" / channel.name).write_text("")
    for path, source in imports.items():
        target = root / "toy" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not (target.parent / "__init__.py").exists():
            (target.parent / "__init__.py").write_text("")
        target.write_text(source, encoding="utf-8")


BROKEN = [
    ("upward import", {"core/a.py": "import toy.store\n"}),
    ("upward import inside a function", {"store/a.py": "def f():\n    import toy.cli\n"}),
    ("cycle across layers", {"ledger/a.py": "import toy.check\n", "check/a.py": "import toy.ledger.a\n"}),
    ("independent siblings", {"http/a.py": "from toy import orchestration\n"}),
    ("independent siblings, other way", {"channels/a.py": "import toy.ledger\n"}),
    ("a channel imports a channel", {"channels/cancellation.py": "from toy.channels import support_inbox\n"}),
    (
        "a channel imports a channel through shared code",
        {"channels/phone.py": "import toy.channels.base\n", "channels/base.py": "import toy.channels.postal_mail\n"},
    ),
    ("a package in no layer", {"extra/__init__.py": ""}),
]


@pytest.mark.parametrize("imports", [case for _, case in BROKEN], ids=[name for name, _ in BROKEN])
def test_lint_imports_fails_on_a_broken_contract(tmp_path: Path, imports: dict[str, str]) -> None:
    toy_package(tmp_path, imports)
    result = lint_imports(tmp_path, pythonpath=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout or "Error" in result.stdout + result.stderr, result.stdout + result.stderr


def test_lint_imports_passes_a_package_that_keeps_the_layers(tmp_path: Path) -> None:
    toy_package(
        tmp_path,
        {
            "cli/a.py": "import toy.http\nimport toy.orchestration\n",
            "audit/a.py": "import toy.check\n",
            "check/a.py": "import toy.ledger\nimport toy.intake\n",
            "channels/phone.py": "from toy.channels import base\nimport toy.channels.mail\n",
            "channels/mail/a.py": "import toy.channels.base\nimport toy.intake\n",
            "store/a.py": "def f():\n    import toy.core\n",
        },
    )
    result = lint_imports(tmp_path, pythonpath=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------- imports inside functions
def unexplained_imports(source: str) -> list[int]:
    """The lines of imports inside a function that do not carry `# here, not at import:` on
    one of their lines."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    end = inner.end_lineno or inner.lineno
                    if not any(REASON in line for line in lines[inner.lineno - 1 : end]):
                        found.append(inner.lineno)
    return sorted(set(found))


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("import os\n\ndef f():\n    return os\n", []),
        ("def f():\n    import os\n", [2]),
        ("def f():\n    import os  # because\n", [2]),
        (f"def f():\n    import os  {REASON} the demo only\n", []),
        ("class C:\n    def m(self):\n        from a import b\n", [3]),
        ("async def f():\n    import os\n", [2]),
        ("def f():\n    def g():\n        import os\n", [3]),
        (f"def f():\n    from a import (  {REASON} slow\n        b,\n    )\n", []),
        (f"def f():\n    from a import (\n        b,  {REASON} slow\n    )\n", []),
        (f"def f():\n    # {REASON[2:]} said above, not on the line\n    import os\n", [3]),
        ("def f():\n    try:\n        import airflow\n    except ImportError:\n        pass\n", [3]),
    ],
)
def test_unexplained_imports_are_found(source: str, lines: list[int]) -> None:
    assert unexplained_imports(source) == lines


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_every_import_inside_a_function_says_why() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files("pipeline", "dags")
        for line in unexplained_imports(path.read_text(encoding="utf-8"))
    ]
    assert not found, f"imports inside functions without `{REASON} <reason>` (move them to the top):\n" + "\n".join(found)


# ------------------------------------------------------------- long modules
def is_table_data(source: str) -> bool:
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return any(line.strip().startswith(TABLE_DATA) for line in docstring.splitlines())


@pytest.mark.parametrize(
    ("source", "table"),
    [
        ('"""Phrases.\n\nTable data: phrases per language.\n"""\n', True),
        ('"""Table data: codes."""\nX = 1\n', True),
        ('"""Phrases, not table data: really."""\n', False),
        ('X = 1\n"""Table data: not the module docstring."""\n', False),
        ("# Table data: a comment is not the docstring\n", False),
        ("", False),
    ],
)
def test_table_data_is_declared_in_the_docstring(source: str, table: bool) -> None:
    assert is_table_data(source) is table


def test_no_module_is_longer_than_the_limit() -> None:
    long = []
    for path in python_files("pipeline"):
        source = path.read_text(encoding="utf-8")
        count = len(source.splitlines())
        if count > MAX_LINES and not is_table_data(source):
            long.append(f"{path.relative_to(ROOT)}: {count} lines")
    assert not long, f"modules over {MAX_LINES} lines (split them along their seams):\n" + "\n".join(long)
