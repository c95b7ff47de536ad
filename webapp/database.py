"""Database helpers: write intent (SQLite takes its write lock at BEGIN) and idempotent inserts."""
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, cast

from sqlalchemy import CursorResult, Result

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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch job builds and writes many
    thousands of short-lived rows: they are freed by reference counting as always, and the
    collector's passes over them cost a job that issues 100 000 invoices about a tenth of its
    time. It runs again (as before) when the block ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def writing() -> Iterator[None]:
    """A short write transaction of its own: ends a read begun before (SQLite would refuse to
    turn it into a write while another process writes), takes the lock at BEGIN, and commits
    at the end or rolls back on an error."""
    from .extensions import db

    db.session.commit()
    with write_intent():
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


@contextmanager
def read_intent() -> Iterator[None]:
    """Inside a writing job, a stretch that only reads (SQLite: a plain BEGIN, no lock)."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        end_write_intent(token)


def writes(view):
    """For a GET view that writes: take the write lock at BEGIN (SQLite waits its turn with the
    busy timeout instead of failing when a read turns into a write)."""
    from functools import wraps

    from .extensions import db

    @wraps(view)
    def wrapper(*args, **kwargs):
        with write_intent():
            db.session.commit()  # end a read begun before the view; the next BEGIN takes the lock
            return view(*args, **kwargs)

    return wrapper


def wants_write_lock() -> bool:
    return _write_intent.get()


def insert_ignoring_conflicts(table):
    """INSERT … ON CONFLICT DO NOTHING for the database in use (SQLite or PostgreSQL)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from .extensions import db

    module = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def among(column, ids):
    """`column IN ids`, or for many ids close together `column BETWEEN lowest AND highest`
    (a range read instead of thousands of parameters): the caller keeps only the rows whose
    value is one of `ids`."""
    from sqlalchemy import false

    ids = list(ids)
    if not ids:
        return false()
    low, high = min(ids), max(ids)
    if len(ids) > 50 and high - low < 2 * len(ids):
        return column.between(low, high)
    return column.in_(ids)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through the session changed (the session types its
    result as a plain Result; the driver's cursor result carries the count)."""
    return cast("CursorResult[Any]", result).rowcount
