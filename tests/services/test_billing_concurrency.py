"""R-BILL-2: two worker processes issuing at once issue each invoice once, numbers gapless."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from tests.billing_setup import active_customer
from webapp.extensions import db
from webapp.models import Invoice, LicenceSubscription

ROOT = Path(__file__).resolve().parents[2]


def test_r_bill_2_two_processes_issue_each_invoice_once_without_gaps(app, database_url, at):
    for index in range(120):
        active_customer(dt.date(2026, 4, 1) + dt.timedelta(days=index % 19),
                        name=f"Kunde{index} AS")
    at(2026, 4, 21, 9, 0)
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "webapp",
           "KVITT_ENV": "development", "MAIL_URL": ""}
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "jobs", "run"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], "\n".join(outputs)
    issued = [int(line.split(": ")[1]) for output in outputs for line in output.splitlines()
              if line.startswith("issue_invoices:")]
    assert sum(issued) == 120
    db.session.expire_all()
    per_subscription = db.session.execute(
        select(Invoice.subscription_id, func.count()).group_by(Invoice.subscription_id)).all()
    assert len(per_subscription) == 120 and {count for _, count in per_subscription} == {1}
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    assert numbers == list(range(1, 121))
    assert db.session.scalar(select(func.count()).select_from(LicenceSubscription).where(
        LicenceSubscription.billed_through.is_(None))) == 0
