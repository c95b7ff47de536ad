"""Fixtures: the app on a real database (SQLite file, or PostgreSQL), a real SMTP server."""
from __future__ import annotations

import contextvars
import datetime as dt
import os
import re

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from tests.billing_setup import active_customer
from tests.mail_server import Inbox, free_port
from tests.shopping import PASSWORD, order_through
from webapp import clock, create_app
from webapp.extensions import db
from webapp.models import Company, Invoice, OutboxMail, User
from webapp.services.catalog import load_catalog
from webapp.services.demo import OPERATOR, seed_demo_data
from webapp.services.payments import register_payment

TEST_DATABASE_URL = os.environ.get("KVITT_TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url: str, worker: str) -> str:
    """With tests run side by side (pytest-xdist), each worker has a database of its own:
    kvitt_test becomes kvitt_test_gw0, kvitt_test_gw1, …, created when missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    given = make_url(url)
    own = given.set(database=f"{given.database}_{worker}")
    server = create_engine(given.set(drivername="postgresql+psycopg", database="postgres"),
                           isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": own.database}):
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    server.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL if worker_id == "master" else \
            _worker_database(TEST_DATABASE_URL, worker_id)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kvitt-test.sqlite'}"


# The longest tests start first, so that when the suite runs side by side (pytest-xdist)
# no worker is left alone with one of them at the end.
LONGEST_FIRST = ("tests/views/test_fuzz.py::", "tests/services/test_billing_model.py::",
                 "tests/services/test_production.py::")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        for number, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return number
        return len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the rest keep their order


class IsolatedClient(FlaskClient):
    """Run each request in its own context, as a server would: its own app context, `g` and
    database session, not the test's. The test's session then ends its transaction, so it
    sees what the request wrote."""

    def open(self, *args, **kwargs):
        db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.commit()
        return response


@pytest.fixture(scope="session")
def app(database_url):
    from flask_migrate import upgrade

    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False, "MAIL_URL": "", "TEST_CLOCK_ALLOWED": True,
        "SCHEDULER_ENABLED": False, "SERVER_NAME": "kvitt.test", "PREFERRED_URL_SCHEME": "http",
        "PUBLIC_URL": "http://kvitt.test",
        # A real hash, cheaper than production's scrypt: hundreds of logins in the suite.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()  # the migrations, exactly as the run command applies them
        event.listen(db.engine, "before_cursor_execute", _note_write)
    return app


# The tables a test wrote to (any connection of the app's engine, requests and threads
# included): on PostgreSQL only these and those found holding rows are truncated.
_WRITE = re.compile(r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)',
                    re.IGNORECASE)
_written: set[str] = set()
CATALOG_TABLES = {"catalog_item", "volume_band", "billing_interval", "catalog_revision"}


def _note_write(_connection, _cursor, statement, *_rest) -> None:
    found = _WRITE.match(statement)
    if found:
        _written.add(found.group(1).lower())


def run_due_jobs() -> dict:
    """Run every job as the scheduler does; a test fails when a job fails (tests take it as
    the `run_jobs` fixture)."""
    import jobs

    outcomes = jobs.run_due_jobs()
    failed = [f"{outcome.name}: {outcome.error}" for outcome in outcomes.values() if not outcome.ok]
    assert not failed, f"jobs failed: {failed}"
    return {name: outcome.count for name, outcome in outcomes.items()}


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # Truncating every table costs ~0.4 s a test; only those written or holding rows
        # (written by another process) are truncated, their ids restarting at 1.
        quote = db.engine.dialect.identifier_preparer.quote
        names = {table.name: quote(table.name) for table in tables}
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {quoted})"
                                   for name, quoted in names.items())
        holding = set(db.session.scalars(text(probe))) - CATALOG_TABLES  # reloaded below
        dirty = (holding | _written) & set(names)
        if dirty:
            listed = ", ".join(names[name] for name in sorted(dirty))
            db.session.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
        db.session.execute(text("ALTER SEQUENCE kvitt_login_id_seq RESTART WITH 100001"))
    else:
        db.session.execute(text("UPDATE company SET agreement_id = NULL"))
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def app_context(request):
    """Each test that uses the app starts with an empty database holding only the catalog."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _empty_all_tables()
        load_catalog()
        db.session.commit()
        _written.clear()  # the catalog as loaded is every test's starting point
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def at(app):
    """Set the test clock to an Oslo wall time: at(2026, 4, 20, 9, 0)."""
    def _at(*parts: int) -> dt.datetime:
        moment = clock.set_test_clock(dt.datetime(*parts, tzinfo=clock.OSLO))
        db.session.commit()
        return moment
    return _at


@pytest.fixture
def run_jobs(app):
    """Run every job as the scheduler does; the test fails when a job fails."""
    return run_due_jobs


@pytest.fixture(scope="session")
def empty_database(app):
    """Empty every table and load the catalog again (a test that plays many worlds)."""
    def _empty() -> None:
        _empty_all_tables()
        load_catalog()
        db.session.commit()
    return _empty


@pytest.fixture
def invoices(app):
    """Every invoice and credit note so far, in the order issued."""
    return lambda: db.session.scalars(select(Invoice).order_by(Invoice.id)).all()


@pytest.fixture
def walk(at, invoices):
    """walk(start, end, pay=True, days=None): run every job at 08:30 on each day from start
    to end (or on the `days` given), as the scheduler would; the customer pays each invoice
    on the day it arrives (unless told not to)."""
    def _walk(start: dt.date, end: dt.date, pay: bool = True,
              days: list[dt.date] | None = None) -> None:
        for day in days if days is not None else (
                start + dt.timedelta(days=n) for n in range((end - start).days + 1)):
            at(day.year, day.month, day.day, 8, 30)
            run_due_jobs()
            if pay:
                for invoice in invoices():
                    if invoice.kind == "invoice" and invoice.open_ore:
                        register_payment(invoice.kid, invoice.open_ore, day, clock.now())
                db.session.commit()
    return _walk


# --- mails the app wrote (the outbox) -------------------------------------------------------

LINK = re.compile(r"http://kvitt\.test(/\S+)")


@pytest.fixture
def mails(app):
    """mails(kind=None, to=None): the outbox, oldest first."""
    def _mails(kind: str | None = None, to: str | None = None) -> list[OutboxMail]:
        query = select(OutboxMail).order_by(OutboxMail.id)
        if kind:
            query = query.where(OutboxMail.kind == kind)
        if to:
            query = query.where(OutboxMail.to_address == to)
        return list(db.session.scalars(query))
    return _mails


@pytest.fixture
def link_in():
    """link_in(mail, prefix): the path of the first link in the mail that starts with prefix."""
    def _link_in(mail: OutboxMail, prefix: str) -> str:
        return next(path for path in LINK.findall(mail.body_text) if path.startswith(prefix))
    return _link_in


@pytest.fixture
def activate(mails, link_in):
    """activate(client, order, **address): follow the order confirmation's activation link."""
    def _activate(client, order, **address):
        path = link_in(mails("order_confirmation")[0], "/activate/")
        data = {"address_line": "Storgata 1", "postal_code": "0150", **address}
        return client.post(path, data=data), path
    return _activate


# --- logging in -----------------------------------------------------------------------------

@pytest.fixture
def log_in():
    """log_in(client, user, password=…): give the user this password and log in as them."""
    def _log_in(client, user: User, password: str = "passord-1234") -> None:
        user.set_password(password)
        db.session.commit()
        response = client.post("/login", data={"login_id": user.company.login_id,
                                               "username": user.username,
                                               "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)
    return _log_in


@pytest.fixture
def log_in_demo():
    """log_in_demo(client, who): log in as a demo user (DEMO_ADMIN, OPERATOR, …); the demo
    data is seeded first."""
    def _log_in_demo(client, who: dict):
        seed_demo_data()
        db.session.commit()
        login_id = db.session.scalar(select(Company.login_id).join(
            User, User.company_id == Company.id).where(User.username == who["username"]))
        response = client.post("/login", data={**who, "login_id": login_id})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response
    return _log_in_demo


@pytest.fixture
def log_in_operator(log_in_demo):
    """log_in_operator(client): log in as the demo operator."""
    return lambda client: log_in_demo(client, OPERATOR)


@pytest.fixture
def admin_of():
    """admin_of(subscription): the administrator (user0) of the subscription's company."""
    def _admin_of(subscription) -> User:
        return db.session.scalars(select(User).where(
            User.company_id == subscription.agreement.companies[0].id,
            User.username == "user0")).one()
    return _admin_of


@pytest.fixture
def operator_user(app):
    """The demo operator's user (after seed_demo_data)."""
    return lambda: db.session.scalars(select(User).where(
        User.username == OPERATOR["username"])).one()


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    previous = app.config["MAIL_URL"]
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    inbox.port = controller.port
    yield inbox
    app.config["MAIL_URL"] = previous
    controller.stop()


# --- customers in a known state -------------------------------------------------------------

@pytest.fixture
def trial_customer(at, mails, link_in):
    """trial_customer(client): Ingrid orders a trial on 20 April 2026, activates it and sets
    her password (PASSWORD in tests/shopping.py); returns the order."""
    def _trial_customer(client):
        at(2026, 4, 20, 10, 0)
        order = order_through(client, trial=True)
        client.post(link_in(mails("order_confirmation")[0], "/activate/"), data={})
        set_path = link_in(mails("welcome", to="ingrid@bakeriet.example")[0], "/password/set/")
        client.post(set_path, data={"password": PASSWORD, "confirm": PASSWORD})
        client.post("/logout")
        return order
    return _trial_customer


@pytest.fixture
def customer_with_invoice(at):
    """customer_with_invoice(client, name=…, password=…): an annual customer activated on
    20 April 2026 with its first invoice issued the next morning; returns (subscription,
    its administrator, who has the password)."""
    def _customer_with_invoice(client, name="Bakeriet Lille AS", password="kunde-passord"):
        subscription = active_customer(dt.date(2026, 4, 20), name=name)
        at(2026, 4, 21, 9, 0)
        run_due_jobs()
        user = db.session.scalars(select(User).join(User.company).where(
            User.username == "user0",
            User.company_id == subscription.agreement.companies[0].id)).one()
        user.set_password(password)
        db.session.commit()
        return subscription, user
    return _customer_with_invoice
