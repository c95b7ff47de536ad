"""Benchmark: the live-price partial against a bare Flask view, both served by gunicorn.

Starts Kvitt with gunicorn (2 sync workers) on a fresh SQLite database, and beside it a bare
Flask application (one view returning "ok", `bench/price_partial.py:bare`) on the same
gunicorn settings; drives each with 16 concurrent clients for a fixed time, and prints
requests/s, p50 and p99 of both and the ratio. Target: the price partial keeps at least half of the trivial endpoint's throughput,
with p99 under 50 ms.

    .venv/bin/python bench/price_partial.py [--seconds 10] [--clients 16]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRICE = ("/order/price?product=office-enterprise&users=27&addons=office-mobile"
         "&addons=office-ehf&billing_interval=semiannual&mode=buy")
TRIVIAL = "/"


def _bare_app():
    from flask import Flask

    app = Flask("bare")
    app.add_url_rule("/", "ok", lambda: "ok")
    return app


bare = _bare_app() if __name__ != "__main__" else None  # gunicorn imports this module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def one_request(port: int, path: str) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nHX-Request: true\r\n"
                 f"Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(data[:200])
    return time.perf_counter() - started


async def drive(port: int, path: str, clients: int, seconds: float) -> list[float]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []

    async def client():
        while time.perf_counter() < deadline:
            latencies.append(await one_request(port, path))

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def report(name: str, latencies: list[float], seconds: float) -> float:
    ordered = sorted(latencies)
    rps = len(ordered) / seconds
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"{name:15s} {len(ordered):7d} requests  {rps:8.1f} req/s  p50 {p50:6.1f} ms  "
          f"p99 {p99:6.1f} ms")
    return rps, p99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kvitt-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
           "FLASK_APP": "webapp", "SECRET_KEY": "bench"}
    python = sys.executable
    subprocess.run([python, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    subprocess.run([python, "-m", "flask", "catalog", "load"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    port, bare_port = free_port(), free_port()
    settings = ["--workers", "2", "--backlog", "256", "--log-level", "warning"]
    server = subprocess.Popen([python, "-m", "gunicorn", *settings, "--bind",
                               f"127.0.0.1:{port}", "webapp:create_app()"], env=env, cwd=ROOT)
    bare_server = subprocess.Popen([python, "-m", "gunicorn", *settings, "--bind",
                                    f"127.0.0.1:{bare_port}", "--chdir", str(ROOT / "bench"),
                                    "price_partial:bare"], env=env, cwd=ROOT)
    try:
        for ready in (f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{bare_port}/"):
            for _ in range(100):
                try:
                    urllib.request.urlopen(ready, timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
        asyncio.run(drive(port, PRICE, args.clients, 1.0))  # warm up both workers
        asyncio.run(drive(bare_port, TRIVIAL, args.clients, 1.0))
        print(f"gunicorn 2 workers each, {args.clients} concurrent clients, {args.seconds:.0f} s "
              f"each, {os.cpu_count()} cores")
        trivial_rps, _ = report("bare Flask view", asyncio.run(
            drive(bare_port, TRIVIAL, args.clients, args.seconds)), args.seconds)
        price_rps, price_p99 = report("price partial", asyncio.run(
            drive(port, PRICE, args.clients, args.seconds)), args.seconds)
        ratio = price_rps / trivial_rps
        print(f"throughput ratio price/bare view: {ratio:.2f} (target >= 0.50); "
              f"price p99 {price_p99:.1f} ms (target < 50 ms)")
        return 0
    finally:
        for process in (server, bare_server):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
