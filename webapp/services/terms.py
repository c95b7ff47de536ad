"""Terms of service (R-PLAN-5): each user's acceptance is recorded per version; a user who has
not accepted the version in force is shown it at login until accepted."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..extensions import db
from ..models import TermsAcceptance, User

# The version in force; a new version is shown to every user at their next login.
TERMS_OF_SERVICE_VERSION = "2026-11"


def has_accepted(user: User, version: str | None = None) -> bool:
    version = version or TERMS_OF_SERVICE_VERSION
    return user.is_operator or db.session.scalar(select(TermsAcceptance.id).where(
        TermsAcceptance.user_id == user.id, TermsAcceptance.version == version)) is not None


def accept(user: User, now: dt.datetime, version: str | None = None) -> None:
    """Record the acceptance (once per user and version)."""
    version = version or TERMS_OF_SERVICE_VERSION
    if not has_accepted(user, version):
        db.session.add(TermsAcceptance(user_id=user.id, version=version, accepted_at=now))
        db.session.flush()
