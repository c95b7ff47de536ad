"""Jobs: re-runnable functions of "now", run by the scheduler process (`flask jobs serve`), by
`flask jobs run`, or one at a time from the operator console.

Each job runs in its own transaction: one that raises is rolled back, logged with its traceback
and recorded in `job_state`, and the jobs after it run as usual. However many schedulers run
(web hosts, several `jobs serve`), each tick's jobs run once: the process that inserts the
tick's row in `scheduler_tick` runs them, the others skip that tick.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from webapp import clock
from webapp.database import insert_ignoring_conflicts, writing
from webapp.extensions import db
from webapp.logs import bind_id, new_id, unbind_id
from webapp.models.system import JobResult, JobState, SchedulerTick
from webapp.services import (
    avtalegiro,
    billing,
    cancellation,
    collaboration,
    outbox,
    payments,
    plans,
    sales,
    shop,
    trials,
)

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
    ("avtalegiro", avtalegiro.run),
    ("send_invoices", billing.send_due_invoices),
    ("dunning", payments.run_dunning),
    ("deliver_mail", outbox.deliver_outbox),
    ("remove_abandoned", shop.remove_abandoned),
]
JOB_NAMES = [name for name, _ in JOBS]
TICKS_KEPT = 10_000


@dataclass
class Outcome:
    name: str
    ok: bool
    count: int | None
    error: str | None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def run_due_jobs() -> dict[str, Outcome]:
    """Run every job at the clock's "now", each on its own; return each job's outcome."""
    return {name: _run_one(name, job) for name, job in JOBS}


def run_job(name: str) -> Outcome:
    """Run one job now (the operator's "run now")."""
    return _run_one(name, dict(JOBS)[name])


def _run_one(name: str, job: Callable[[dt.datetime], int]) -> Outcome:
    run_id = new_id(f"{name}-")
    token = bind_id(run_id)
    started, began = clock.wall_clock(), time.perf_counter()
    try:
        with writing():  # the job's own transaction, its record in it
            count = job(clock.now())
            _record(name, run_id, started, began, count, None)
    except Exception as error:  # every job failure is recorded; the next job still runs
        log.exception("job %s failed", name)
        with writing():
            _record(name, run_id, started, began, None,
                    "".join(traceback.format_exception(error))[-4000:])
        return Outcome(name, False, None, f"{type(error).__name__}: {error}"[:500])
    else:
        log.info("job %s done: %s in %.0f ms", name, count, (time.perf_counter() - began) * 1000)
        return Outcome(name, True, count, None)
    finally:
        unbind_id(token)


def _record(name: str, run_id: str, started: dt.datetime, began: float,
            count: int | None, error: str | None) -> None:
    """Update the job's row with one statement (several processes may record at once)."""
    finished = clock.wall_clock()
    values = {"last_run_id": run_id, "last_started_at": started, "last_finished_at": finished,
              "last_duration_ms": int((time.perf_counter() - began) * 1000),
              "last_count": count, "runs": JobState.runs + 1,
              "last_result": (JobResult.FAILED if error else JobResult.OK).value}
    if error is not None:
        values.update(failures=JobState.failures + 1, last_error=error, last_error_at=finished)
    statement = update(JobState).where(JobState.name == name).values(**values)
    if db.session.execute(statement).rowcount == 0:
        db.session.execute(insert_ignoring_conflicts(JobState.__table__).values(
            name=name, runs=0, failures=0))
        db.session.execute(statement)


def claim_tick(slot: int, worker: str) -> bool:
    """Insert this tick's row; True for the one process that did."""
    with writing():
        claimed = db.session.execute(
            insert_ignoring_conflicts(SchedulerTick.__table__).values(
                slot=slot, worker=worker, started_at=clock.wall_clock())
            .returning(SchedulerTick.slot)).first() is not None
        if claimed and slot % 100 == 0:
            db.session.execute(delete(SchedulerTick).where(SchedulerTick.slot < slot - TICKS_KEPT))
    return claimed


def tick(app, worker: str) -> dict[str, Outcome] | None:
    """One scheduler tick: run the jobs if this process claims the tick's slot."""
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    with app.app_context():
        try:
            slot = int(clock.wall_clock().timestamp() // interval)
            if not claim_tick(slot, worker):
                return None
            return run_due_jobs()
        except Exception:  # the database is away: log it, the next tick tries again
            db.session.rollback()
            log.exception("scheduler tick failed")
            return None
        finally:
            db.session.remove()


def last_heartbeat() -> dt.datetime | None:
    return db.session.scalar(select(SchedulerTick.started_at)
                             .order_by(SchedulerTick.slot.desc()).limit(1))


def serve(app, ticks: int | None = None) -> None:
    """Tick every SCHEDULER_INTERVAL_SECONDS until stopped (or for `ticks` ticks)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    worker = worker_name()
    scheduler = BlockingScheduler(timezone="Europe/Oslo")
    done = {"ticks": 0}

    def one_tick():
        tick(app, worker)
        done["ticks"] += 1
        if ticks is not None and done["ticks"] >= ticks:
            scheduler.shutdown(wait=False)

    scheduler.add_job(one_tick, "interval", seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
                      id="kvitt-jobs", max_instances=1, coalesce=True,
                      next_run_time=clock.wall_clock())
    log.info("scheduler %s ticking every %s s", worker, app.config["SCHEDULER_INTERVAL_SECONDS"])
    scheduler.start()
