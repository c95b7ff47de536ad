"""Fixtures: the app on a real database (SQLite file, or PostgreSQL), a real SMTP server."""
from __future__ import annotations

import contextvars
import datetime as dt
import os
import re
import socket
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import event, text

from webapp import clock, create_app
from webapp.extensions import db
from webapp.services.catalog import load_catalog

TEST_DATABASE_URL = os.environ.get("KVITT_TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        _reset_postgres(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kvitt-test.sqlite'}"


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
    """Run every job as the scheduler does; a test fails when a job fails."""
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
def set_clock(app):
    """Set the test clock to an Oslo wall time: set_clock(2026, 4, 20, 9, 0)."""
    def _set(*parts: int) -> dt.datetime:
        moment = clock.set_test_clock(dt.datetime(*parts, tzinfo=clock.OSLO))
        db.session.commit()
        return moment
    return _set


class Inbox:
    """Collects what a real SMTP server on loopback received."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def links(message) -> list[str]:
        return re.findall(r"https?://\S+", Inbox.body(message))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
