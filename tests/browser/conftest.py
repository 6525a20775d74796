"""What the console's browser tests share: one demo store per test session (the seeds' nights,
published), the users `marketer1`, `auditor1` and `admin1` added with the real `optout user add`,
a real `optout serve` on a free port, and Playwright driving Debian's Chromium
(/usr/bin/chromium; Playwright's own browser downloads are not used).

Without /usr/bin/chromium the browser tests are skipped with the reason, except under CI=true,
where they fail. `shot(page, name)` saves a screenshot to test-artifacts/screenshots/<name>.png."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, need

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]
PASSWORD = "browser-test-password"
USERS = {"marketer1": "marketer", "auditor1": "auditor", "admin1": "admin"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Console:
    """A running `optout serve` over the demo store."""

    base_url: str
    passwords: dict[str, str]  # user name -> password
    roles: dict[str, str]  # user name -> role
    env: dict[str, str]  # the environment serve runs with (OPTOUT_DATABASE_URL, ...)
    now: str  # the fixed time serve runs at (--now)
    directory: Path  # the demo folder: optout.db, landing/, output/

    def optout(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """`optout --now NOW ARGS` against the same store, as serve sees it."""
        return subprocess.run([*OPTOUT, "--now", self.now, *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> None:
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args[3:])} failed ({done.returncode}): {done.stderr[-2000:]}", pytrace=False)


def _wait_for(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("optout serve did not start: " + (proc.stderr.read().decode() if proc.stderr else ""), pytrace=False)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    from pipeline.orchestration.demo import nights, seeds_dir  # here, not at import: 1.3 s (pandas), paid only by browser sessions

    directory = tmp_path_factory.mktemp("console") / "demo"
    env = {
        **os.environ, "PYTHONPATH": str(ROOT),
        "OPTOUT_DATABASE_URL": f"sqlite:///{directory / 'optout.db'}",
        "OPTOUT_LANDING": str(directory / "landing"), "OPTOUT_OUTPUT": str(directory / "output"),
        "OPTOUT_CONSOLE_KEY": "browser-test-console-key",
    }
    _run([*OPTOUT, "demo", "--dir", str(directory)], env)
    # The demo publishes with the clock of its nights: serve just after the last one, or the list is stale.
    last = nights(seeds_dir())[-1]
    now = (datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)).isoformat()
    for name, role in USERS.items():
        _run([*OPTOUT, "--now", now, "user", "add", name, "--role", role], env, stdin=PASSWORD + "\n")
    port = _free_port()
    proc = subprocess.Popen([*OPTOUT, "--now", now, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for(port, proc)
    try:
        yield Console(f"http://127.0.0.1:{port}", dict.fromkeys(USERS, PASSWORD), dict(USERS), env, now, directory)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(CHROMIUM.is_file(), f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium, or make chromium as root)")
    from playwright.sync_api import sync_playwright  # here, not at import: 0.17 s, and only when Chromium is there

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own cookies) at 1280 x 800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, console: Console, name: str, next_path: str = "/console/") -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{console.base_url}/console/login?next={next_path}")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(console.passwords[name])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
