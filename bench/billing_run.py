"""Benchmark: the invoice-issuing job for one 11th of the month.

Creates N active agreements (default 100 000) whose next period starts on 1 May, sets the
clock to 11 April 09:00 and runs the issuing job in a fresh process; prints invoices/s and
the job process's peak memory, then the same for N/10 to show how the cost grows.
Targets: >= 5 000 invoices/s on SQLite, >= 2 500/s on PostgreSQL, peak memory < 400 MB,
per-invoice cost at N within 1.15x of that at N/10; at least 0.6x (SQLite) / 0.5x
(PostgreSQL) of the raw ceiling: the same rows written with the driver alone.

    .venv/bin/python bench/billing_run.py [--agreements 100000] [--database-url URL]
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
os.environ.setdefault("KVITT_ENV", "development")  # the test clock, no production secret
sys.path.insert(0, str(ROOT))


def prepare(database_url: str, agreements: int) -> None:
    """A fresh schema with N agreements billed through 30 April."""
    from sqlalchemy import insert, text

    from webapp import clock, create_app
    from webapp.extensions import db
    from webapp.models import Company, CustomerAgreement, LicenceSubscription, SubscriptionAddOn
    from webapp.services.billing import vendor_company
    from webapp.services.catalog import load_catalog

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        from flask_migrate import upgrade

        upgrade()
        load_catalog()
        vendor_company()
        db.session.commit()
        now = clock.now()
        plans = ["office-enterprise", "office-professional", "office-invoicing"]
        intervals = ["annual", "semiannual", "quarterly"]
        chunk = 10_000
        for start in range(0, agreements, chunk):
            ids = range(start + 1, min(start + chunk, agreements) + 1)
            db.session.execute(insert(Company), [
                {"id": i + 10, "kind": "customer", "login_id": str(200000 + i),
                 "name": f"Kunde {i} AS", "email": f"faktura{i}@example.com",
                 "created_at": now} for i in ids])
            db.session.execute(insert(CustomerAgreement), [
                {"id": i, "name": f"Kunde {i} AS", "owner_company_id": i + 10,
                 "invoice_recipient_id": i + 10, "invoice_email": f"faktura{i}@example.com",
                 "invoice_address_line": "Storgata 1", "invoice_postal_code": "0150",
                 "invoice_city": "OSLO", "billing_interval": intervals[i % 3],
                 "created_at": now} for i in ids])
            db.session.execute(insert(LicenceSubscription), [
                {"id": i, "agreement_id": i, "plan_code": plans[i % 3], "quantity": 1 + i % 30,
                 "billing_interval": intervals[i % 3], "status": "active", "is_trial": False,
                 "activated_on": dt.date(2026, 3, 1), "billed_through": dt.date(2027, 4, 30),
                 "created_at": now} for i in ids])
            db.session.execute(insert(SubscriptionAddOn), [
                {"subscription_id": i, "addon_code": "office-mobile",
                 "added_on": dt.date(2026, 3, 1)} for i in ids if i % 2])
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        clock.set_test_clock(dt.datetime(2027, 4, 11, 9, 0, tzinfo=clock.OSLO))
        db.session.commit()


def issue(database_url: str) -> None:
    """Run in a child process: the issuing job alone, timed."""
    from webapp import clock, create_app
    from webapp.database import write_intent
    from webapp.services.billing import issue_due_invoices

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context(), write_intent():
        started = time.perf_counter()
        count = issue_due_invoices(clock.now())
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with app.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
    ceiling = raw_ceiling(database_url)
    print(json.dumps({"invoices": count, "seconds": seconds, "peak_mb": peak_mb,
                      "ceiling_seconds": ceiling}))


def driver_connection(database_url: str):
    """The database driver's own connection (psycopg or sqlite3), no SQLAlchemy."""
    if database_url.startswith("postgresql"):
        import psycopg

        return psycopg.connect(database_url)
    import sqlite3

    return sqlite3.connect(database_url.removeprefix("sqlite:///"))


def raw_ceiling(database_url: str) -> dict[str, float]:
    """The same rows the job wrote (invoices, lines, claimed periods, and the subscriptions'
    billed-through days) written again with the database driver alone: executemany on SQLite,
    COPY on PostgreSQL. Timed twice, and the seconds of each returned:
    - "tables": into the job's own tables, emptied of those rows first, with the indexes,
      keys and checks every writer of them must keep (the connection set as the app sets
      it: foreign keys on, WAL). The ratio is measured against this one.
    - "bare": into empty copies without indexes, keys or checks (an upper bound no writer of
      the real tables reaches; printed for comparison)."""
    tables = ("invoice", "invoice_line", "billed_period")
    postgres = database_url.startswith("postgresql")
    raw = driver_connection(database_url)
    try:
        cursor = raw.cursor()
        if not postgres:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
        rows, columns = {}, {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            columns[table] = [d[0] for d in cursor.description]
            rows[table] = cursor.fetchall()
            cursor.execute(f"DROP TABLE IF EXISTS ceiling_{table}")
            cursor.execute(f"CREATE TABLE ceiling_{table} AS SELECT * FROM {table} WHERE 1 = 0")
        cursor.execute("SELECT id, billed_through, excess_billed_through "
                       "FROM licence_subscription")
        billed = [(day, excess, sid) for sid, day, excess in cursor.fetchall()]
        raw.commit()
        mark = "%s" if postgres else "?"

        def write(prefix: str) -> float:
            started = time.perf_counter()
            for table in tables:
                names = ", ".join(columns[table])
                if postgres:
                    with cursor.copy(f"COPY {prefix}{table} ({names}) FROM STDIN") as copy:
                        for row in rows[table]:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" for _ in columns[table])
                    cursor.executemany(f"INSERT INTO {prefix}{table} ({names}) VALUES ({marks})",
                                       rows[table])
            cursor.executemany(f"UPDATE licence_subscription SET billed_through = {mark}, "
                               f"excess_billed_through = {mark} WHERE id = {mark}", billed)
            raw.commit()
            return time.perf_counter() - started

        bare = write("ceiling_")
        # Empty the tables of the job's rows (nothing else refers to them yet: no key to check,
        # and SQLite would look for references row by row).
        cursor.execute("SET session_replication_role = replica" if postgres
                       else "PRAGMA foreign_keys=OFF")
        for table in ("invoice_line", "billed_period", "invoice"):
            cursor.execute(f"DELETE FROM {table}")
        raw.commit()
        cursor.execute("SET session_replication_role = DEFAULT" if postgres
                       else "PRAGMA foreign_keys=ON")
        if postgres:
            raw.commit()
            raw.autocommit = True
            cursor.execute("VACUUM ANALYZE")  # the tables as the job found them
            raw.autocommit = False
        return {"tables": write(""), "bare": bare}
    finally:
        raw.close()


def measure(database_url: str, agreements: int) -> dict:
    prepare(database_url, agreements)
    output = subprocess.run([sys.executable, __file__, "--issue", "--database-url",
                             database_url], capture_output=True, text=True, check=True,
                            cwd=ROOT).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["per_second"] = result["invoices"] / result["seconds"]
    result["us_per_invoice"] = result["seconds"] / max(1, result["invoices"]) * 1e6
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--issue", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.issue:
        issue(args.database_url)
        return 0
    results = {}
    for count in (args.agreements // 10, args.agreements):
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kvitt-bench-')}/b.db"
        result = measure(url, count)
        results[count] = result
        ceiling = result["ceiling_seconds"]
        result["ratio"] = ceiling["tables"] / result["seconds"]
        print(f"{count:>7} agreements: {result['invoices']} invoices in {result['seconds']:.2f} s"
              f" = {result['per_second']:,.0f} invoices/s, {result['us_per_invoice']:.0f} µs "
              f"each, peak memory {result['peak_mb']:.0f} MB; the same rows with the driver "
              f"alone into the same tables {ceiling['tables']:.2f} s: {result['ratio']:.2f}x "
              f"of the ceiling (into bare copies without indexes {ceiling['bare']:.2f} s: "
              f"{ceiling['bare'] / result['seconds']:.2f}x)")
    small, large = results[args.agreements // 10], results[args.agreements]
    growth = large["us_per_invoice"] / small["us_per_invoice"]
    dialect = "postgresql" if "postgresql" in (args.database_url or "") else "sqlite"
    target = 2_500 if dialect == "postgresql" else 5_000
    ratio_target = 0.5 if dialect == "postgresql" else 0.6
    print(f"{dialect}: per-invoice cost at {args.agreements} is {growth:.2f}x that at "
          f"{args.agreements // 10} (target <= 1.15x); {large['per_second']:,.0f} invoices/s "
          f"(target >= {target:,}); {large['ratio']:.2f}x of the raw ceiling (target >= "
          f"{ratio_target}x); peak {large['peak_mb']:.0f} MB (target < 400 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
