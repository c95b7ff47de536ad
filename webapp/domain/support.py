"""Support requests (R-SUPPORT-1): their statuses and what may follow what."""
from __future__ import annotations

from enum import StrEnum


class SupportStatus(StrEnum):
    NEW = "new"                  # waiting for the vendor (sent, or the customer wrote again)
    IN_PROGRESS = "in_progress"  # an operator is on it
    ANSWERED = "answered"        # the vendor answered; waiting for the customer, if at all
    CLOSED = "closed"            # done; the customer writes a new request for more


class SupportCategory(StrEnum):
    USERS = "users"      # users and licences
    TRIAL = "trial"      # more trial days
    ADDONS = "addons"
    QUOTE = "quote"      # integrated services (Enterprise)
    ERROR = "error"
    OTHER = "other"


# What may follow each status, and on what: the customer writes, an operator takes it, answers
# or closes it.
TRANSITIONS: dict[SupportStatus, dict[str, SupportStatus]] = {
    SupportStatus.NEW: {"take": SupportStatus.IN_PROGRESS, "answer": SupportStatus.ANSWERED,
                        "close": SupportStatus.CLOSED, "customer_writes": SupportStatus.NEW},
    SupportStatus.IN_PROGRESS: {"answer": SupportStatus.ANSWERED,
                                "close": SupportStatus.CLOSED,
                                "customer_writes": SupportStatus.IN_PROGRESS},
    SupportStatus.ANSWERED: {"answer": SupportStatus.ANSWERED, "close": SupportStatus.CLOSED,
                             "customer_writes": SupportStatus.NEW,
                             "take": SupportStatus.IN_PROGRESS},
    SupportStatus.CLOSED: {},
}


class SupportTransitionError(Exception):
    """The event is not allowed in the request's status."""

    def __init__(self, status: SupportStatus, event: str):
        super().__init__(f"{event} not allowed when {status}")
        self.status, self.event = status, event


def after(status: str, event: str) -> SupportStatus:
    """The status that follows `event`, or SupportTransitionError."""
    current = SupportStatus(status)
    following = TRANSITIONS[current].get(event)
    if following is None:
        raise SupportTransitionError(current, event)
    return following
