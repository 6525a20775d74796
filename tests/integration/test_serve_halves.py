"""`optout serve --only public|console` as a user runs it: each half alone on a real port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration
OPTOUT = [sys.executable, "-c", "from pipeline.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "OPTOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'optout.db'}", "OPTOUT_LANDING": str(tmp_path / "landing"),
           "PYTHONPATH": str(ROOT)}
    subprocess.run([*OPTOUT, "init"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen([*OPTOUT, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/nothing", timeout=0.5)
            return proc, base
        except httpx.TransportError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    pytest.fail("optout serve did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


@pytest.mark.parametrize(
    ("only", "served", "absent"),
    [
        ("public", ["/u/not-a-token"], ["/console/login", "/console/static/console.css", "/api/v1/suppressions/a@b.com"]),
        ("console", ["/console/login", "/console/static/console.css"], ["/u/not-a-token"]),
    ],
)
def test_one_half_alone(tmp_path: Path, only: str, served: list[str], absent: list[str]) -> None:
    proc, base = serve(tmp_path, "--only", only)
    try:
        for path in served:
            assert httpx.get(base + path).status_code == 200, path
        for path in absent:
            assert httpx.get(base + path, headers={"X-API-Key": "any"}).status_code == 404, path
        if only == "public":
            assert httpx.post(f"{base}/api/v1/check", json={"addresses": []}).status_code == 404
            assert httpx.post(f"{base}/console/check", content=b"x").status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    said = proc.stderr.read().decode() if proc.stderr else ""
    assert ("/console/" in said) is (only == "console") and ("/u/<token>" in said) is (only == "public")


def test_only_takes_two_values(tmp_path: Path) -> None:
    env = {**os.environ, "OPTOUT_DATABASE_URL": f"sqlite:///{tmp_path / 'optout.db'}", "PYTHONPATH": str(ROOT)}
    refused = subprocess.run([*OPTOUT, "serve", "--only", "both"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--only" in refused.stderr
