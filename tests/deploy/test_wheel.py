"""A built wheel carries the SQL people read and the expectation suites (they live at the top of
the repository, not in the package), and an installed copy finds them under <prefix>/share; it
carries the console's templates and static files inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_installed_wheel_reads_its_sql_and_suites(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("optout-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shared = {n.split("/share/optout/", 1)[1] for n in names if "/share/optout/" in n}
    assert {f"sql/{p.name}" for p in (ROOT / "sql").glob("*.sql")} <= shared
    assert {f"expectations/{p.name}" for p in (ROOT / "expectations").glob("*.json")} <= shared
    console = ROOT / "pipeline" / "http" / "console"
    assert {p.relative_to(ROOT).as_posix() for p in [*console.glob("templates/*.html"), *console.glob("static/*")]} <= set(names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # --ignore-installed: without it pip "upgrades" the editable install of the running
    # environment (uninstalling it) before installing into the prefix.
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed"]
    subprocess.run([*pip, "--prefix", str(venv), str(wheel)], check=True, capture_output=True)
    assert _editable_install_intact(), "installing the wheel elsewhere removed this environment's optout"
    probe = (
        "from pipeline.core.resources import CHECKOUT, data_dir\n"
        "from pipeline.audit.sqlfiles import read_sql\n"
        "assert not (CHECKOUT / 'sql').exists(), CHECKOUT\n"
        "assert 'CREATE VIEW' in read_sql('auditor_views.sql').upper()\n"
        "print(sorted(p.stem for p in data_dir('expectations').glob('*.json')))\n"
    )
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == str(sorted(p.stem for p in (ROOT / "expectations").glob("*.json")))


def _editable_install_intact() -> bool:
    """The environment running the tests still has its own optout (and its `optout` command)."""
    ran = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('optout'))"],
                         capture_output=True, text=True, cwd="/")
    script = Path(sys.executable).with_name("optout")
    return ran.returncode == 0 and ran.stdout.strip() != "" and script.exists()
