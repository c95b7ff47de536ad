"""Database helpers: write intent (SQLite takes its write lock at BEGIN) and idempotent inserts."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_write_intent: ContextVar[bool] = ContextVar("kvitt_write_intent", default=False)


def declare_write_intent() -> Token:
    return _write_intent.set(True)


def end_write_intent(token: Token) -> None:
    _write_intent.reset(token)


@contextmanager
def write_intent() -> Iterator[None]:
    token = declare_write_intent()
    try:
        yield
    finally:
        end_write_intent(token)


def wants_write_lock() -> bool:
    return _write_intent.get()


def insert_ignoring_conflicts(table):
    """INSERT … ON CONFLICT DO NOTHING for the database in use (SQLite or PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()
