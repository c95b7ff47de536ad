"""Counting failures per key within a window, in the database every process shares.

One statement counts a failure (insert, or add one, or start a new window), so parallel
failures are all counted; a key at its limit is refused until its window ends."""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import case, delete, select

from ..database import rowcount
from ..extensions import db
from ..models import Throttle


@dataclass(frozen=True)
class Limit:
    """At most `hits` failures per `window`; `name` keeps the kinds of key apart."""
    name: str
    hits: int
    window: dt.timedelta

    def key(self, *parts: str) -> str:
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
        return f"{self.name}:{digest}"


def _insert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(Throttle)


def exhausted(limit: Limit, key: str, now: dt.datetime) -> bool:
    """Has the key used up its failures in the current window?"""
    hits = db.session.scalar(select(Throttle.hits).where(Throttle.key == key,
                                                         Throttle.window_ends > now))
    return (hits or 0) >= limit.hits


def count(limit: Limit, key: str, now: dt.datetime) -> int:
    """Count one failure; returns the failures in the window, this one included."""
    window_over = Throttle.window_ends <= now
    statement = _insert().values(key=key, hits=1, window_ends=now + limit.window)
    statement = statement.on_conflict_do_update(index_elements=[Throttle.key], set_={
        "hits": case((window_over, 1), else_=Throttle.hits + 1),
        "window_ends": case((window_over, now + limit.window), else_=Throttle.window_ends),
    }).returning(Throttle.hits)
    return db.session.execute(statement).scalar_one()


def forget(key: str) -> None:
    db.session.execute(delete(Throttle).where(Throttle.key == key))


def remove_expired(now: dt.datetime) -> int:
    return rowcount(db.session.execute(delete(Throttle).where(Throttle.window_ends <= now)))
