"""Running Kvitt in production: safe defaults, one scheduler, isolated jobs, mail that is never
lost or sent twice, customer ids from a sequence, no lock errors on SQLite, health, the wheel."""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import func, select

import jobs
from tests.mail_server import Inbox, free_port
from tests.shopping import ADMIN, post_company, post_product, post_terms, post_users, start_order
from webapp import UnsafeConfiguration, clock, create_app
from webapp.extensions import db
from webapp.mail import queue_mail
from webapp.models import Company, JobState, Order, OutboxMail, SchedulerTick
from webapp.services.outbox import deliver_outbox

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def _env(database_url: str, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "webapp",
            "KVITT_ENV": "development", "SECRET_KEY": "test-secret", "MAIL_URL": "", **extra}


# --- safe defaults ------------------------------------------------------------------------

def test_prod_refuses_the_development_secret_key_and_names_the_variable(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("KVITT_ENV", raising=False)
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY"):
        create_app()
    result = subprocess.run([PYTHON, "-m", "flask", "db", "current"], cwd=ROOT,
                            env={k: v for k, v in os.environ.items()
                                 if k not in ("SECRET_KEY", "KVITT_ENV")} | {"FLASK_APP": "webapp"},
                            capture_output=True, text=True)
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stderr


def test_prod_test_clock_only_in_development_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.delenv("KVITT_ENV", raising=False)
    assert create_app().config["TEST_CLOCK_ALLOWED"] is False
    monkeypatch.setenv("KVITT_ENV", "development")
    assert create_app().config["TEST_CLOCK_ALLOWED"] is True


# --- the scheduler and the jobs -----------------------------------------------------------

def test_prod_several_schedulers_run_each_due_job_once_per_tick(app, database_url):
    """Three scheduler processes tick every second against one database: every tick's jobs run
    in exactly one of them."""
    env = _env(database_url, KVITT_SCHEDULER_INTERVAL="1")
    processes = [subprocess.Popen([PYTHON, "-m", "flask", "jobs", "serve", "--ticks", "6"],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for _ in range(3)]
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output.decode()
    db.session.commit()
    ticks = db.session.scalar(select(func.count()).select_from(SchedulerTick))
    workers = set(db.session.scalars(select(SchedulerTick.worker)))
    runs = {state.name: state.runs for state in db.session.scalars(select(JobState))}
    assert 4 <= ticks < 18  # 18 tick attempts, one run per wall-clock second
    assert runs == {name: ticks for name in jobs.JOB_NAMES}
    assert len(workers) >= 1


def test_prod_a_failing_job_does_not_stop_the_others_and_is_shown(app, client, monkeypatch,
                                                                  smtp_server, log_in_operator):

    index = jobs.JOB_NAMES.index("dunning")

    def broken(now):
        raise RuntimeError("dunning exploded")

    monkeypatch.setattr(jobs, "JOBS", [*jobs.JOBS[:index], ("dunning", broken),
                                       *jobs.JOBS[index + 1:]])
    _access_mail("kari@example.com")
    db.session.commit()
    outcomes = jobs.run_due_jobs()
    assert not outcomes["dunning"].ok and "dunning exploded" in outcomes["dunning"].error
    assert outcomes["deliver_mail"].ok and outcomes["deliver_mail"].count == 1
    assert len(smtp_server.to("kari@example.com")) == 1

    log_in_operator(client)
    page = client.get("/operator/jobs").get_data(as_text=True)
    assert "dunning exploded" in page and "RuntimeError" in page
    assert client.post("/operator/jobs/expire_orders/run").status_code == 303
    db.session.expire_all()
    assert db.session.get(JobState, "expire_orders").runs == 2
    assert db.session.get(JobState, "dunning").failures == 1

    cli = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert cli.exit_code == 1 and "dunning: FAILED" in cli.output


def _access_mail(to: str, company: str = "Acme AS") -> OutboxMail:
    """The access-granted e-mail, whose subject holds the company's name."""
    from types import SimpleNamespace as Thing

    user = Thing(first_name="Kari", username="kari", company=Thing(login_id="100002"))
    return queue_mail("access_granted", to, "access_granted.txt", user=user,
                           company=Thing(name=company), inviter=Thing(full_name="Rita"),
                           login_link="https://kvitt.example/login")


def _queue(count: int, subject: str = "Hei") -> list[int]:
    ids = []
    for number in range(count):
        row = OutboxMail(message_id=f"<t{number}-{time.monotonic_ns()}@kvitt>", kind="test",
                         to_address=f"kunde{number}@example.com", subject=f"{subject} {number}",
                         body_text="Hei\n", status="pending", attempts=0,
                         created_at=clock.now(), next_attempt_at=clock.now())
        db.session.add(row)
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids


def test_prod_mail_smtp_away_for_a_day_loses_nothing_and_sends_nothing_twice(app):
    clock.set_test_clock(dt.datetime(2026, 5, 11, 8, 0))
    _queue(30)
    port = free_port()  # nothing listens here for a day
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        for _ in range(49):
            assert deliver_outbox(clock.now()) == 0
            clock.advance_test_clock(dt.timedelta(minutes=30))
            db.session.commit()
        statuses = set(db.session.scalars(select(OutboxMail.status)))
        assert statuses == {"pending"}
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            clock.advance_test_clock(dt.timedelta(hours=1))
            db.session.commit()
            assert deliver_outbox(clock.now()) == 30
            assert deliver_outbox(clock.now()) == 0
        finally:
            controller.stop()
    finally:
        app.config["MAIL_URL"] = ""
    ids = [message["Message-ID"] for message in inbox.messages]
    assert len(ids) == 30 == len(set(ids))
    assert set(db.session.scalars(select(OutboxMail.status))) == {"sent"}


class SlowInbox(Inbox):
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.25)
        return await super().handle_DATA(server, session, envelope)


def test_prod_mail_two_processes_and_a_slow_server_send_each_mail_once(app, database_url):
    """Leases of one second, a server that takes a quarter second a mail: the leases are
    renewed while a process works, so the other process never takes a mail being sent."""
    _queue(24)
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = _env(database_url, MAIL_URL=f"smtp://127.0.0.1:{controller.port}",
               KVITT_MAIL_LEASE="1", KVITT_MAIL_BATCH="8", KVITT_ENV="production")
    try:
        first = subprocess.Popen([PYTHON, "-m", "flask", "jobs", "run", "deliver_mail"],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        time.sleep(2.5)  # the first has claimed and is sending
        second = subprocess.Popen([PYTHON, "-m", "flask", "jobs", "run", "deliver_mail"],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        for process in (first, second):
            output, _ = process.communicate(timeout=120)
            assert process.returncode == 0, output.decode()
    finally:
        controller.stop()
    ids = [message["Message-ID"] for message in inbox.messages]
    assert len(ids) == 24 == len(set(ids))
    db.session.commit()
    assert set(db.session.scalars(select(OutboxMail.status))) == {"sent"}


def test_prod_mail_a_line_separator_in_a_subject_delays_no_other_mail(app, smtp_server):
    """A subject with U+2028 (as a company name may hold) is sent with a space; a mail the
    e-mail library cannot build at all is parked on its own with the reason."""
    _access_mail("kari@example.com", company="Acme\u2028Bakeri AS")
    _queue(3)
    _queue(1, subject="Faktura\u2028fra Acme")  # written before subjects were cleaned
    broken = db.session.get(OutboxMail, _queue(1)[0])
    broken.to_address = "kunde@example.com\nBcc: x@example.com"
    db.session.commit()
    assert deliver_outbox(clock.now()) == 5
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert "Faktura fra Acme 0" in subjects
    assert any("Acme Bakeri AS" in subject for subject in subjects)
    assert not any("\u2028" in subject for subject in subjects)
    db.session.refresh(broken)
    assert broken.status == "failed" and "cannot be built" in broken.last_error


class RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_prod_mail_refused_for_good_is_parked_shown_and_sent_again(app, client, log_in_operator):

    inbox = RefusingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    try:
        gone = _access_mail("gone@example.com")
        _access_mail("kari@example.com")
        db.session.commit()
        assert deliver_outbox(clock.now()) == 1
        db.session.refresh(gone)
        assert gone.status == "failed" and "550" in gone.last_error
        log_in_operator(client)
        log_page = client.get("/operator/mail").get_data(as_text=True)
        assert "No such user" in log_page
        assert client.post(f"/operator/mail/{gone.id}/retry").status_code == 303
        db.session.refresh(gone)
        assert gone.status == "pending"
    finally:
        app.config["MAIL_URL"] = ""
        controller.stop()


# --- numbers and locks --------------------------------------------------------------------

ON_POSTGRESQL = bool(os.environ.get("KVITT_TEST_DATABASE_URL"))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="simultaneous orders against PostgreSQL")
def test_prod_200_simultaneous_orders_on_postgresql_all_succeed(app):
    clients = []
    for number in range(200):
        client = FlaskClient(app, app.response_class, use_cookies=True)
        public_id = start_order(client)
        assert post_product(client, public_id).status_code == 303
        email = f"eier{number}@bedrift.example"
        assert post_company(client, public_id, company_name=f"Bedrift {number} AS",
                            email=email).status_code == 303
        assert post_users(client, public_id, {**ADMIN, "email": email}).status_code == 303
        clients.append((client, public_id))
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda pair: post_terms(*pair).status_code, clients))
    assert statuses == [303] * 200
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Order)
                             .where(Order.status == "submitted")) == 200
    ids = list(db.session.scalars(select(Company.login_id)))
    assert len(ids) == 200 == len(set(ids))
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 200


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite's write lock")
def test_prod_sqlite_300_concurrent_shop_requests_with_the_scheduler_ticking_give_no_500(
        tmp_path):
    port = free_port()
    env = _env(f"sqlite:///{tmp_path / 'kvitt.sqlite'}", KVITT_SCHEDULER_INTERVAL="1",
               PORT=str(port), WEB_CONCURRENCY="4", KVITT_DEMO="1", KVITT_ENV="development",
               SECRET_KEY="a-real-secret")
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(["bash", str(ROOT / "scripts" / "run")], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, tmp_path)

        def shop_request(number: int) -> int:
            path = "/order" if number % 3 else "/order?trial=1"
            request = urllib.request.Request(base + path)
            try:
                with _no_redirects().open(request, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(shop_request, range(300)))
        assert statuses.count(500) == 0
        assert statuses.count(200) == 300
        health = urllib.request.urlopen(base + "/healthz", timeout=5)
        assert health.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in text and "development server" not in text


def _no_redirects():
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    return urllib.request.build_opener(NoRedirect)


def _wait_healthy(base: str, tmp_path) -> None:
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError((tmp_path / "server.log").read_text())


# --- health, logging, packaging -----------------------------------------------------------

def test_prod_health_needs_the_database_and_a_fresh_scheduler_tick(app, client):
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["scheduler"] == "never ticked"
    assert jobs.claim_tick(int(clock.wall_clock().timestamp() // 60), "test")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {
        "status": "ok", "database": "ok", "scheduler": "ok"}


def test_prod_every_request_is_logged_with_its_id(app, client, caplog):
    caplog.set_level("INFO", logger="kvitt.request")
    response = client.get("/guide", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert any(record.event_id == "abc-123" and "/guide 200" in record.getMessage()
               for record in caplog.records)
    generated = client.get("/guide").headers["X-Request-ID"]
    assert len(generated) == 12


def test_prod_the_wheel_carries_migrations_and_compiled_catalogs(tmp_path):
    subprocess.run([PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(tmp_path), str(ROOT)], check=True, cwd=tmp_path,
                   capture_output=True)
    wheel = next(tmp_path.glob("kvitt-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "webapp/migrations/env.py" in names
    assert "webapp/migrations/versions/0010_production.py" in names
    assert "webapp/translations/nb/LC_MESSAGES/messages.mo" in names  # English is the source
