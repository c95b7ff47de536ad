"""Command-line interface: the test clock, jobs, the catalog and demo data."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from . import clock
from .extensions import db

_DELTA = re.compile(r"^([0-9]{1,9})([dhm])$")


def parse_delta(text: str) -> dt.timedelta:
    """Parse '3d', '8h' or '30m'."""
    match = _DELTA.match(text.strip())
    if not match:
        raise ValueError("use a number followed by d, h or m, for example 3d or 8h")
    amount, unit = int(match.group(1)), match.group(2)
    if amount > 100_000:
        raise ValueError("at most 100000 days, hours or minutes at a time")
    return {"d": dt.timedelta(days=amount), "h": dt.timedelta(hours=amount),
            "m": dt.timedelta(minutes=amount)}[unit]


def register_cli(app: Flask) -> None:
    clock_cli = AppGroup("clock", help="Show, set or advance the application clock.")
    jobs_cli = AppGroup("jobs", help="Run the scheduled jobs.")
    catalog_cli = AppGroup("catalog", help="The vendor's price list.")
    payments_cli = AppGroup("payments", help="Incoming payments from the bank.")

    def show_now():
        moment = clock.now()
        kind = "test clock" if clock.is_test_clock() else "wall clock"
        click.echo(f"{clock.local(moment).isoformat()} ({kind})")

    @clock_cli.command("show")
    def clock_show():
        show_now()

    @clock_cli.command("set")
    @click.argument("moment")
    def clock_set(moment):
        try:
            parsed = dt.datetime.fromisoformat(moment)
        except ValueError:
            raise click.BadParameter("use an ISO date and time, e.g. 2026-04-20T08:00") from None
        try:
            clock.set_test_clock(parsed)
        except clock.TestClockNotAllowed as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        show_now()

    @clock_cli.command("advance")
    @click.argument("delta")
    def clock_advance(delta):
        try:
            clock.advance_test_clock(parse_delta(delta))
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        except clock.TestClockNotAllowed as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        show_now()

    @clock_cli.command("reset")
    def clock_reset():
        clock.reset_test_clock()
        db.session.commit()
        show_now()

    @jobs_cli.command("run")
    @click.argument("names", nargs=-1)
    def jobs_run(names):
        """Run every job (or the named ones) at the clock's "now"; exit 1 if one failed."""
        from jobs import JOB_NAMES, run_due_jobs, run_job

        unknown = sorted(set(names) - set(JOB_NAMES))
        if unknown:
            raise click.BadParameter(f"no job {', '.join(unknown)}; the jobs are "
                                     f"{', '.join(JOB_NAMES)}")
        outcomes = [run_job(name) for name in names] if names else run_due_jobs().values()
        failed = 0
        for outcome in outcomes:
            if outcome.ok:
                click.echo(f"{outcome.name}: {outcome.count}")
            else:
                failed += 1
                click.echo(f"{outcome.name}: FAILED {outcome.error}", err=True)
        if failed:
            raise SystemExit(1)

    @jobs_cli.command("serve")
    @click.option("--ticks", type=int, default=None, help="Stop after this many ticks.")
    def jobs_serve(ticks):
        """The scheduler: tick every KVITT_SCHEDULER_INTERVAL seconds. Several may run (on
        several hosts); each tick's jobs run in one of them."""
        from flask import current_app

        from jobs import serve

        serve(current_app._get_current_object(), ticks=ticks)

    @catalog_cli.command("load")
    def catalog_load():
        from .services.catalog import load_catalog

        count = load_catalog()
        db.session.commit()
        click.echo(f"catalog: {count} items")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the catalog and the demo data (idempotent)."""
        from .services.demo import seed_demo_data

        click.echo(seed_demo_data())
        db.session.commit()

    app.cli.add_command(clock_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(payments_cli)

    @payments_cli.command("import")
    @click.argument("files", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def payments_import(files):
        """Import OCR giro or camt.054 files: each in one transaction, matched by KID; a file
        refused (or read before) changes nothing. Exits 1 if any file was refused."""
        from .database import writing
        from .services.bank_files import BankFileError, import_bank_file

        refused = 0
        for path in files:
            try:
                with writing():
                    record = import_bank_file(path.read_bytes(), path.name, clock.now())
                    summary = (f"{path.name}: import {record.id}, {record.transactions} "
                               f"transactions, {record.matched} matched ({record.partial} "
                               f"partly, {record.over} over), {record.unmatched} unmatched, "
                               f"{record.parked} parked, {record.duplicates} already registered")
                click.echo(summary)
            except BankFileError as error:
                refused += 1
                click.echo(f"{path.name}: refused: {error}", err=True)
        if refused:
            raise SystemExit(1)
