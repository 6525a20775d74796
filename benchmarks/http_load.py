"""Latency of single lookups (`GET /api/v1/suppressions/{address}`) at a fixed request rate on
loopback: an open-loop schedule (request i is due at i / rate seconds) over keep-alive
connections, for a bounded number of requests, so it always stops by itself."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

SERVER = """
import sys, uvicorn
from pipeline.core.config import Settings
from pipeline.http.app import create_app
app = create_app(Settings(database_url=sys.argv[1], api_keys=(("bench", sys.argv[2]),)))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, key: str, deadline: float = 30.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/suppressions/a@example.com", headers={"X-API-Key": key})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the HTTP server did not start")


def run_load(port: int, key: str, addresses: list[str], rate: float, requests: int, threads: int = 8) -> list[float]:
    """Latencies (seconds) of `requests` lookups sent at `rate` per second."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))
    start = time.perf_counter() + 0.2

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            path = "/api/v1/suppressions/" + quote(addresses[i % len(addresses)], safe="@")
            sent = time.perf_counter()
            try:
                conn.request("GET", path, headers={"X-API-Key": key})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took if ok else float("inf"))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies


def measure(db_url: str, addresses: list[str], rate: float, requests: int) -> dict[str, float]:
    """Start `optout`'s app under uvicorn, load it, stop it; p50/p99 in milliseconds."""
    key, port = "bench-key", free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen([sys.executable, "-c", SERVER, db_url, key, str(port)], env=env)
    try:
        wait_ready(port, key)
        run_load(port, key, addresses, rate, min(requests, 200))  # warm up
        began = time.perf_counter()
        latencies = sorted(run_load(port, key, addresses, rate, requests))
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=10)
    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]
    failed = sum(1 for t in latencies if t == float("inf"))
    return {"requests": len(latencies), "failed": failed, "target_rate": rate, "achieved_rate": len(latencies) / elapsed,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": 1000 * latencies[-1]}
