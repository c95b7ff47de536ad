"""Signed, single-use, expiring links (activation, password, collaboration approval)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from .. import clock
from ..database import rowcount
from ..extensions import db
from ..models import ActionToken, User


class TokenError(Exception):
    """The link is tampered, unknown, expired or already used; `reason` says which."""

    def __init__(self, reason: str, token: ActionToken | None = None):
        super().__init__(reason)
        self.reason = reason
        self.token = token


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"kvitt-{purpose}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(purpose: str, lifetime: dt.timedelta, *, order_id: int | None = None,
                user_id: int | None = None, collaboration_id: int | None = None) -> str:
    """Create a token row and return the signed string for the link."""
    secret = secrets.token_urlsafe(24)
    now = clock.now()
    db.session.add(ActionToken(purpose=purpose, secret_hash=_hash(secret), created_at=now,
                               expires_at=now + lifetime, order_id=order_id, user_id=user_id,
                               collaboration_id=collaboration_id))
    db.session.flush()
    return _serializer(purpose).dumps(secret)


def find_token(purpose: str, signed: str, *, for_update: bool = False) -> ActionToken:
    """Return the usable token behind a signed string, or raise TokenError."""
    try:
        secret = _serializer(purpose).loads(signed)
    except BadSignature:
        raise TokenError("invalid") from None
    query = select(ActionToken).where(ActionToken.secret_hash == _hash(str(secret)),
                                      ActionToken.purpose == purpose)
    if for_update:
        query = query.with_for_update()
    token = db.session.scalar(query)
    if token is None:
        raise TokenError("invalid")
    if token.used_at is not None:
        raise TokenError("used", token)
    if clock.now() >= token.expires_at:
        raise TokenError("expired", token)
    if token.user_id is not None:
        user = db.session.get(User, token.user_id)
        if user is None or not user.active:
            raise TokenError("invalid")  # a deactivated or deleted user's links are dead
    return token


def revoke_links(user_id: int, now: dt.datetime) -> int:
    """The password is set: every password link of the user dies (the one used, older
    welcome and reset links, and any newer one)."""
    return rowcount(db.session.execute(
        update(ActionToken).where(ActionToken.user_id == user_id,
                                  ActionToken.purpose == "set_password",
                                  ActionToken.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)))
