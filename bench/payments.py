"""Benchmark: importing an OCR giro file with N transactions (default 100 000).

Prepares N agreements and issues their invoices (as bench/billing_run.py does), writes an OCR
giro file paying each invoice by its KID (netsgiro's writer; one in 50 with a KID no invoice
has), then imports it in a fresh process and prints transactions/s matched and the peak
memory. The ceiling, measured in the same run: the same payment rows written and the same
invoices' paid amounts updated with the database driver alone (executemany). Target: at least
5 000 transactions/s on SQLite.

    .venv/bin/python bench/payments.py [--transactions 100000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KVITT_ENV", "development")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def prepare(database_url: str, count: int, ocr_path: Path) -> None:
    from billing_run import prepare as prepare_agreements

    prepare_agreements(database_url, count)
    subprocess.run([sys.executable, str(ROOT / "bench" / "billing_run.py"), "--issue",
                    "--database-url", database_url], check=True, cwd=ROOT,
                   capture_output=True)
    from sqlalchemy import select

    from tests.bank_files import ocr_file
    from webapp import create_app
    from webapp.extensions import db
    from webapp.models import Invoice

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        rows = db.session.execute(select(Invoice.kid, Invoice.total_ore)
                                  .order_by(Invoice.id)).all()
        db.session.remove()
        db.engine.dispose()
    payments = [(kid if n % 50 else "00000000000000000018", total)
                for n, (kid, total) in enumerate(rows, start=1)]
    ocr_path.write_text(ocr_file(payments, dt.date(2027, 5, 2)))


def run_import(database_url: str, ocr_path: Path) -> None:
    """In a child process: the import alone, timed, then the driver-alone ceiling."""
    from webapp import clock, create_app
    from webapp.database import writing
    from webapp.services.bank_files import import_bank_file

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    data = ocr_path.read_bytes()
    with app.app_context(), app.test_request_context():
        started = time.perf_counter()
        with writing():
            record = import_bank_file(data, ocr_path.name, clock.now())
            matched, count = record.matched, record.transactions
        seconds = time.perf_counter() - started
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"transactions": count, "matched": matched, "seconds": seconds,
                      "peak_mb": peak_mb, "ceiling_seconds": ceiling(database_url)}))


def ceiling(database_url: str) -> float:
    """The payment rows the import wrote, written again into an empty copy of the table, and
    the same paid amounts added to the invoices, with the driver alone."""
    from billing_run import driver_connection

    postgres = database_url.startswith("postgresql")
    raw = driver_connection(database_url)
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT * FROM payment")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE IF EXISTS ceiling_payment")
        cursor.execute("CREATE TABLE ceiling_payment AS SELECT * FROM payment WHERE 1 = 0")
        cursor.execute("SELECT invoice_id, amount_ore FROM payment "
                       "WHERE invoice_id IS NOT NULL")
        paid = [(amount, invoice_id) for invoice_id, amount in cursor.fetchall()]
        raw.commit()
        mark = "%s" if postgres else "?"
        started = time.perf_counter()
        cursor.executemany(f"INSERT INTO ceiling_payment ({', '.join(columns)}) VALUES "
                           f"({', '.join(mark for _ in columns)})", rows)
        cursor.executemany(f"UPDATE invoice SET paid_ore = paid_ore + {mark} WHERE id = {mark}",
                           paid)
        raw.rollback()  # the invoices keep what the import did
        return time.perf_counter() - started
    finally:
        raw.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--import-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_file:
        run_import(args.database_url, Path(args.import_file))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="kvitt-payments-"))
    url = args.database_url or f"sqlite:///{folder}/p.db"
    ocr_path = folder / "OCR.txt"
    prepare(url, args.transactions, ocr_path)
    output = subprocess.run([sys.executable, __file__, "--database-url", url, "--import-file",
                             str(ocr_path)], capture_output=True, text=True, check=True,
                            cwd=ROOT).stdout
    result = json.loads(output.strip().splitlines()[-1])
    rate = result["transactions"] / result["seconds"]
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"{dialect}: {result['transactions']} transactions ({result['matched']} matched, "
          f"{ocr_path.stat().st_size / 1e6:.1f} MB OCR file) imported in "
          f"{result['seconds']:.2f} s = {rate:,.0f} transactions/s (target >= 5,000 on "
          f"SQLite); peak memory {result['peak_mb']:.0f} MB; the same rows with the driver "
          f"alone {result['ceiling_seconds']:.2f} s: "
          f"{result['ceiling_seconds'] / result['seconds']:.2f}x of the ceiling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
