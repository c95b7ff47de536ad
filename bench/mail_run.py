"""Benchmark: the whole 11th for N invoices — issued, queued as e-mails with their PDF, and
delivered to an SMTP server on loopback (aiosmtpd, in its own process).

Uses bench/billing_run.py's N agreements (default 100 000), then runs, each timed: the issuing
job, the sending job (queues one e-mail per invoice at 08:00), and the delivery job in
`--workers` processes at once (default: one per core) until the outbox is empty. Prints
invoices issued/s, e-mails queued/s, e-mails delivered/s and the total wall time, beside the
ceiling measured in the same run: the same number of workers sending ready-made messages of
the same size with smtplib alone (no database, no PDF). Target: 100 000 invoices issued,
queued and delivered in under 15 minutes.

    .venv/bin/python bench/mail_run.py [--invoices 100000] [--workers 2] [--database-url URL]
"""
from __future__ import annotations

import argparse
import email.policy
import json
import multiprocessing
import os
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("KVITT_ENV", "development")  # the test clock, no production secret


def sink(port: int, counter, ready) -> None:
    """An SMTP server that accepts and counts every message."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def job(database_url: str, name: str, mail_url: str = "") -> dict:
    """Run one job in a fresh process; return what it printed and its time."""
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "webapp",
           "MAIL_URL": mail_url, "KVITT_MAIL_BUDGET": "36000", "KVITT_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-m", "flask", "jobs", "run", name], env=env,
                            cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if output.returncode != 0:
        raise RuntimeError(output.stdout + output.stderr)
    count = int(output.stdout.strip().rsplit(":", 1)[1])
    return {"count": count, "seconds": seconds}


def sample_message(database_url: str) -> EmailMessage:
    """One real invoice e-mail as the delivery job builds it (its size for the ceiling)."""
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import OutboxMail
    from webapp.services.outbox import _message

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context(), app.test_request_context():
        mail = db.session.scalars(db.select(OutboxMail).limit(1)).first()
        return _message(mail)


def _send_ready_made(port: int, message: bytes, count: int, batch: int) -> None:
    sent = 0
    while sent < count:
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for _ in range(min(batch, count - sent)):
                connection.sendmail("noreply@kvitt.example", ["kunde@example.com"], message)
                sent += 1


def ceiling(port: int, message: EmailMessage, count: int, workers: int) -> float:
    """Messages per second with smtplib alone, `workers` processes, one connection a batch."""
    raw = message.as_bytes(policy=email.policy.SMTP)
    started = time.perf_counter()
    processes = [multiprocessing.Process(target=_send_ready_made,
                                         args=(port, raw, count // workers, 100))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return (count // workers * workers) / (time.perf_counter() - started)


def main() -> int:
    from billing_run import prepare

    from tests.conftest import free_port

    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kvitt-bench-')}/m.db"

    counter, ready = multiprocessing.Value("l", 0), multiprocessing.Event()
    port = free_port()
    server = multiprocessing.Process(target=sink, args=(port, counter, ready), daemon=True)
    server.start()
    ready.wait(10)
    mail_url = f"smtp://127.0.0.1:{port}"
    try:
        prepare(url, args.invoices)
        issued = job(url, "issue_invoices")
        queued = job(url, "send_invoices")
        started = time.perf_counter()
        workers = [multiprocessing.Process(target=job, args=(url, "deliver_mail", mail_url))
                   for _ in range(args.workers)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        delivering = time.perf_counter() - started
        delivered = counter.value
        total = issued["seconds"] + queued["seconds"] + delivering
        sample = sample_message(url)
        before = counter.value
        ceiling_rate = ceiling(port, sample, min(args.invoices, 20_000), args.workers)
        assert counter.value - before >= min(args.invoices, 20_000) // args.workers * args.workers
    finally:
        server.kill()
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(json.dumps({"issued": issued, "queued": queued, "delivered": delivered,
                      "delivery_seconds": delivering}))
    print(f"{dialect}, {args.workers} delivery processes, {os.cpu_count()} cores")
    print(f"issued    {issued['count']:>7} invoices in {issued['seconds']:7.1f} s = "
          f"{issued['count'] / issued['seconds']:8,.0f} invoices/s")
    print(f"queued    {queued['count']:>7} e-mails  in {queued['seconds']:7.1f} s = "
          f"{queued['count'] / queued['seconds']:8,.0f} e-mails/s")
    print(f"delivered {delivered:>7} e-mails  in {delivering:7.1f} s = "
          f"{delivered / delivering:8,.0f} e-mails/s (PDF {len(sample.as_bytes()) // 1024} kB "
          f"a mail); smtplib alone, ready-made: {ceiling_rate:,.0f} e-mails/s, "
          f"{delivered / delivering / ceiling_rate:.2f}x of that ceiling")
    print(f"the whole 11th: {total:.1f} s for {args.invoices} invoices "
          f"(target < {15 * 60 * args.invoices / 100_000:.0f} s, 15 minutes per 100 000)")
    return 0 if delivered == issued["count"] else 1


if __name__ == "__main__":
    sys.exit(main())
