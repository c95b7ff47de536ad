"""Benchmark: the list pages with a large customer.

Seeds the demo data, then gives the demo customer 10 000 licence invoices, 5 000 users and
1 000 customer agreements (bulk inserts), and 2 000 outgoing mails. Opens each list page as
its user would (the customer's administrator, the operator) several times and prints the
median time and the SQL statements one request runs. The ceiling, in the same run: a bare
view of the same application (the health check, one statement). Targets: each list page at
most 150 ms and 20 statements.

    .venv/bin/python bench/pages.py [--database-url URL] [--runs 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("KVITT_ENV", "development")
sys.path.insert(0, str(ROOT))

INVOICES, USERS, AGREEMENTS, MAILS = 10_000, 5_000, 1_000, 2_000
CUSTOMER_PAGES = ["/portal/", "/portal/invoices", "/admin/users", "/admin/agreements",
                  "/admin/sales/subscriptions", "/admin/sales/invoices",
                  "/admin/sales/customers", "/admin/sales/frequencies"]
OPERATOR_PAGES = ["/operator/", "/operator/invoices", "/operator/dunning",
                  "/operator/payments", "/operator/mail", "/operator/trials",
                  "/operator/cancellations"]
TIME_TARGET_MS, STATEMENT_TARGET = 150, 20


def measure(app, client, path: str, runs: int) -> tuple[float, int, int]:
    from sqlalchemy import event

    from webapp.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)

    times = []
    for run in range(runs + 1):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        if run:  # the first request warms the caches
            times.append(elapsed)
    return statistics.median(times) * 1000, len(statements), response.status_code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="kvitt-pages-")
    url = options.database_url or f"sqlite:///{folder}/pages.sqlite"
    from flask_migrate import upgrade

    from tests.large_customer import seed_large_customer
    from webapp import clock, create_app
    from webapp.extensions import db
    from webapp.services.demo import DEMO_ADMIN, OPERATOR

    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TEST_CLOCK_ALLOWED": True,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        now = clock.set_test_clock(dt.datetime(2026, 11, 2, 9, 0, tzinfo=clock.OSLO))
        db.session.commit()
        started = time.perf_counter()
        seed_large_customer(now, invoices=INVOICES, users=USERS, agreements=AGREEMENTS,
                            mails=MAILS)
        print(f"seeded {INVOICES} invoices, {USERS} users, {AGREEMENTS} agreements in "
              f"{time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
    results = []
    for who, pages in ((DEMO_ADMIN, CUSTOMER_PAGES), (OPERATOR, OPERATOR_PAGES)):
        client = app.test_client()
        with app.app_context():
            from sqlalchemy import select

            from webapp.models import Company, User

            login_id = db.session.scalar(select(Company.login_id).join(
                User, User.company_id == Company.id).where(User.username == who["username"]))
        response = client.post("/login", data={**who, "login_id": login_id})
        assert response.status_code == 303, response.status_code
        ceiling = measure(app, client, "/healthz", options.runs)
        print(f"\n{'page':34} {'median ms':>10} {'statements':>11}  (ceiling /healthz: "
              f"{ceiling[0]:.1f} ms, {ceiling[1]} statements)")
        for path in pages:
            milliseconds, statements, status = measure(app, client, path, options.runs)
            ok = milliseconds <= TIME_TARGET_MS and statements <= STATEMENT_TARGET
            results.append(ok)
            print(f"{path:34} {milliseconds:10.1f} {statements:11d}  {status} "
                  f"{'ok' if ok else 'MISSED'}")
    print(f"\n{sum(results)} of {len(results)} pages within {TIME_TARGET_MS} ms and "
          f"{STATEMENT_TARGET} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
