"""Benchmark: Admin → Sales → Frequencies for a company with 10 000 frequencies and 50 000
subscriptions: the list's first page sorted by next date (target < 150 ms) and the export of
all rows to .xlsx (target < 5 s). Requests go through the real app (test client, logged in).

    .venv/bin/python bench/frequencies.py [--frequencies 10000] [--subscriptions 50000]
                                          [--database-url URL]
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
os.environ.setdefault("KVITT_ENV", "development")  # the test clock, no production secret
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frequencies", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=50_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='kvitt-bench-')}/f.db"

    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text

    from webapp import clock, create_app
    from webapp.domain.recurrence import Pattern, describe
    from webapp.extensions import db
    from webapp.models import Company, Frequency, Subscription, User
    from webapp.services.demo import DEMO_ADMIN, seed_demo_data

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        seed_demo_data()
        db.session.commit()
        admin = db.session.scalar(select(User).where(User.username == DEMO_ADMIN["username"]))
        company_id = admin.company_id
        login_id = db.session.scalar(select(Company.login_id).where(
            Company.id == company_id))
        now, today = clock.now(), clock.today()
        rows = []
        for index in range(args.frequencies):
            kind = ("daily", "weekly", "monthly", "yearly")[index % 4]
            pattern = Pattern(kind, today - dt.timedelta(days=index % 400),
                              interval=1 + index % 5,
                              weekdays=(index % 7,) if kind == "weekly" else (),
                              month_day=1 + index % 28 if kind in ("monthly", "yearly") else None,
                              month=1 + index % 12 if kind == "yearly" else None)
            rows.append({"company_id": company_id, "name": f"{describe(pattern)} #{index}",
                         "auto_name": False, "kind": kind, "interval": pattern.interval,
                         "weekdays": ",".join(map(str, pattern.weekdays)),
                         "month_day": pattern.month_day, "month": pattern.month,
                         "start_date": pattern.start, "next_date": pattern.next_date(today),
                         "active": index % 10 != 0, "created_by_id": admin.id,
                         "modified_by_id": admin.id, "created_at": now, "modified_at": now})
        db.session.execute(insert(Frequency), rows)
        ids = db.session.scalars(select(Frequency.id)).all()
        db.session.execute(insert(Subscription), [
            {"company_id": company_id, "name": f"Abonnement {n}", "frequency_id": ids[n % len(ids)],
             "active": True, "created_at": now} for n in range(args.subscriptions)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    client = app.test_client()
    client.post("/login", data={**DEMO_ADMIN, "login_id": login_id})

    def timed(path: str, times: int) -> tuple[list[float], bytes]:
        spent, body = [], b""
        for _ in range(times):
            started = time.perf_counter()
            response = client.get(path)
            spent.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            body = response.data
        return spent, body

    timed("/admin/sales/frequencies", 3)  # warm up
    first_page, _ = timed("/admin/sales/frequencies?sort=next_date", 20)
    by_use, _ = timed("/admin/sales/frequencies?sort=in_use&dir=desc", 10)
    export, workbook = timed("/admin/sales/frequencies/export.xlsx?show=all&sort=next_date", 3)
    dialect = "postgresql" if "postgresql" in url else "sqlite"
    print(f"{dialect}: {args.frequencies} frequencies, {args.subscriptions} subscriptions")
    print(f"list, first page by next date: median {statistics.median(first_page) * 1000:.1f} ms,"
          f" max {max(first_page) * 1000:.1f} ms (target < 150 ms)")
    print(f"list, first page by in use:   median {statistics.median(by_use) * 1000:.1f} ms")
    print(f"export of all rows (.xlsx, {len(workbook) // 1024} KiB): median "
          f"{statistics.median(export):.2f} s (target < 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
