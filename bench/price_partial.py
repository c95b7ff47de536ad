"""Benchmark: the live-price partial against a bare Flask view, both served by gunicorn.

Starts Kvitt with gunicorn (2 sync workers) on a fresh SQLite database, and beside it a bare
Flask application (one view returning "ok", `bench/price_partial.py:bare`) on the same
gunicorn settings; drives each with wrk (Debian's package: apt-get install wrk), 16
connections for a fixed time, and prints requests/s and p99 of both and the ratio. Target:
the price partial keeps at least half of the bare view's throughput, with p99 at most 25 ms.

    .venv/bin/python bench/price_partial.py [--seconds 10] [--clients 16]
"""
from __future__ import annotations

import argparse
import os
import re
import socket
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


def wrk(port: int, path: str, connections: int, seconds: float) -> tuple[float, float]:
    """Drive one URL with wrk (Debian's package) and return requests/s and p99 in ms."""
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s",
               "-H", "HX-Request: true", f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} error responses\n{out}")
    return rps, p99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kvitt-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
           "FLASK_APP": "webapp", "SECRET_KEY": "bench", "KVITT_LOG_LEVEL": "WARNING"}
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
        wrk(port, PRICE, args.clients, 2)  # warm up both servers' workers
        wrk(bare_port, TRIVIAL, args.clients, 2)
        print(f"gunicorn 2 workers each, wrk with {args.clients} connections, "
              f"{args.seconds:.0f} s each, {os.cpu_count()} cores")
        trivial_rps, trivial_p99 = wrk(bare_port, TRIVIAL, args.clients, args.seconds)
        print(f"bare Flask view  {trivial_rps:8.1f} req/s  p99 {trivial_p99:6.1f} ms")
        price_rps, price_p99 = wrk(port, PRICE, args.clients, args.seconds)
        print(f"price partial    {price_rps:8.1f} req/s  p99 {price_p99:6.1f} ms")
        ratio = price_rps / trivial_rps
        print(f"throughput ratio price/bare view: {ratio:.2f} (target >= 0.50); "
              f"price p99 {price_p99:.1f} ms (target <= 25 ms)")
        return 0
    finally:
        for process in (server, bare_server):
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
