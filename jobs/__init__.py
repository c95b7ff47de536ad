"""Jobs: re-runnable functions of "now", run by the in-process scheduler or `flask jobs run`."""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import nullcontext

from flask import current_app, has_request_context

from webapp import clock
from webapp.database import write_intent
from webapp.extensions import db
from webapp.services import (billing, cancellation, collaboration, mail, payments, plans,
                             sales, shop, trials)

log = logging.getLogger(__name__)

# Order matters: changes first, then delivery, so mail written by a job goes out in the same run.
JOBS: list[tuple[str, Callable[[dt.datetime], int]]] = [
    ("activation_reminders", shop.send_activation_reminders),
    ("expire_orders", shop.expire_orders),
    ("trial_mails", trials.send_trial_mails),
    ("expire_trials", trials.expire_trials),
    ("close_cancelled", cancellation.close_cancelled),
    ("collaboration_changes", collaboration.apply_changes),
    ("plan_changes", plans.apply_pending_changes),
    ("issue_invoices", billing.issue_due_invoices),
    ("frequency_next_dates", sales.refresh_next_dates),
    ("subscription_invoices", sales.issue_subscription_invoices),
    ("send_invoices", billing.send_due_invoices),
    ("dunning", payments.run_dunning),
    ("deliver_mail", mail.deliver_outbox),
]


def run_due_jobs() -> dict[str, int]:
    """Run every job at the clock's "now"; each job commits its own work."""
    results = {}
    # Links in e-mails written by jobs point at the public address, as from a request.
    context = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["PUBLIC_URL"])
    with context, write_intent():
        for name, job in JOBS:
            results[name] = _run_one(name, job)
    return results


def _run_one(name: str, job: Callable[[dt.datetime], int]) -> int:
    try:
        count = job(clock.now())
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", name)
        raise
    return count


def start_scheduler(app) -> object:
    """Start APScheduler in this process, ticking the same jobs as `flask jobs run`."""
    from apscheduler.schedulers.background import BackgroundScheduler

    def tick():
        with app.app_context():
            try:
                run_due_jobs()
            except Exception:  # logged in run_due_jobs; the next tick tries again
                pass
            finally:
                db.session.remove()

    scheduler = BackgroundScheduler(timezone="Europe/Oslo")
    scheduler.add_job(tick, "interval", seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
                      id="kvitt-jobs", max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
