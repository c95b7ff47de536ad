"""Every status an aggregate can be in, and what may follow what.

A status is one of its enum's members, stored as its value (a CHECK keeps the column to them).
It changes only through `move` (one row in Python) or `step` (a guarded UPDATE of many rows),
both of which refuse a change its transition table does not hold with `StatusError`. A
support request's status follows events instead (`domain.support`)."""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar


class OrderStatus(StrEnum):
    DRAFT = "draft"          # the web shop's steps, kept server-side
    SUBMITTED = "submitted"  # confirmed; waiting for activation by e-mail
    ACTIVATED = "activated"  # the link was followed: company, users and licence exist
    EXPIRED = "expired"      # never activated in time


class LicenceStatus(StrEnum):
    PENDING = "pending"          # ordered, not activated
    TRIAL = "trial"              # a 30-day trial (or an extension)
    ACTIVE = "active"            # in force and invoiced
    SUSPENDED = "suspended"      # kept, not usable (a handed-over debt)
    CANCELLED = "cancelled"      # ended at its last paid day
    DEACTIVATED = "deactivated"  # a trial that ran out (bought or extended later)
    EXPIRED = "expired"          # the order was never activated


class CollaborationStatus(StrEnum):
    INVITED = "invited"  # the firm asked; the client's main contact has not approved
    ACTIVE = "active"
    ENDED = "ended"


class MandateStatus(StrEnum):
    REQUESTED = "requested"  # AvtaleGiro mandate asked for, not confirmed by the bank
    ACTIVE = "active"
    CANCELLED = "cancelled"


class ClaimStatus(StrEnum):
    PENDING = "pending"        # an AvtaleGiro claim not yet in a file to the bank
    SENT = "sent"
    PAID = "paid"
    FAILED = "failed"          # the bank did not pay it
    CANCELLING = "cancelling"  # withdrawn after it was sent: the deletion is on its way
    CANCELLED = "cancelled"


class MailStatus(StrEnum):
    PENDING = "pending"  # in the outbox, due at its next attempt
    SENDING = "sending"  # leased to one delivery run
    SENT = "sent"
    FAILED = "failed"    # refused for good or cannot be built: parked for an operator


class PaymentStatus(StrEnum):
    MATCHED = "matched"      # paid to an invoice by its KID or by hand
    UNMATCHED = "unmatched"  # parked until an operator places it


Status = TypeVar("Status", bound=StrEnum)

# A licence its users can use (and cancel); one still in force (a suspended one too); one not
# ended yet (ordered and waiting for activation too); a trial's, ongoing or run out.
LICENCE_USABLE = (LicenceStatus.ACTIVE, LicenceStatus.TRIAL)
LICENCE_IN_FORCE = (*LICENCE_USABLE, LicenceStatus.SUSPENDED)
LICENCE_OPEN = (*LICENCE_IN_FORCE, LicenceStatus.PENDING)
LICENCE_TRIAL = (LicenceStatus.TRIAL, LicenceStatus.DEACTIVATED)
# A collaboration asked for or in force.
COLLABORATION_OPEN = (CollaborationStatus.INVITED, CollaborationStatus.ACTIVE)

ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.SUBMITTED}),
    OrderStatus.SUBMITTED: frozenset({OrderStatus.ACTIVATED, OrderStatus.EXPIRED}),
    OrderStatus.ACTIVATED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}

LICENCE_TRANSITIONS: Mapping[LicenceStatus, frozenset[LicenceStatus]] = {
    LicenceStatus.PENDING: frozenset({LicenceStatus.TRIAL, LicenceStatus.ACTIVE,
                                      LicenceStatus.EXPIRED, LicenceStatus.CANCELLED}),
    LicenceStatus.TRIAL: frozenset({LicenceStatus.ACTIVE, LicenceStatus.DEACTIVATED,
                                    LicenceStatus.CANCELLED}),
    LicenceStatus.DEACTIVATED: frozenset({LicenceStatus.TRIAL, LicenceStatus.ACTIVE}),
    LicenceStatus.ACTIVE: frozenset({LicenceStatus.SUSPENDED, LicenceStatus.CANCELLED}),
    LicenceStatus.SUSPENDED: frozenset({LicenceStatus.ACTIVE, LicenceStatus.CANCELLED}),
    LicenceStatus.CANCELLED: frozenset(),
    LicenceStatus.EXPIRED: frozenset(),
}

COLLABORATION_TRANSITIONS: Mapping[CollaborationStatus, frozenset[CollaborationStatus]] = {
    CollaborationStatus.INVITED: frozenset({CollaborationStatus.ACTIVE,
                                            CollaborationStatus.ENDED}),
    CollaborationStatus.ACTIVE: frozenset({CollaborationStatus.ENDED}),
    CollaborationStatus.ENDED: frozenset(),
}

MANDATE_TRANSITIONS: Mapping[MandateStatus, frozenset[MandateStatus]] = {
    MandateStatus.REQUESTED: frozenset({MandateStatus.ACTIVE, MandateStatus.CANCELLED}),
    MandateStatus.ACTIVE: frozenset({MandateStatus.CANCELLED}),
    MandateStatus.CANCELLED: frozenset(),
}

CLAIM_TRANSITIONS: Mapping[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.PENDING: frozenset({ClaimStatus.SENT, ClaimStatus.CANCELLED}),
    ClaimStatus.SENT: frozenset({ClaimStatus.PAID, ClaimStatus.FAILED,
                                 ClaimStatus.CANCELLING}),
    ClaimStatus.CANCELLING: frozenset({ClaimStatus.CANCELLED}),
    ClaimStatus.FAILED: frozenset({ClaimStatus.PAID}),  # paid by hand or late after all
    ClaimStatus.PAID: frozenset(),
    ClaimStatus.CANCELLED: frozenset(),
}

MAIL_TRANSITIONS: Mapping[MailStatus, frozenset[MailStatus]] = {
    MailStatus.PENDING: frozenset({MailStatus.SENDING}),
    # A lease that ran out is taken again by the next run.
    MailStatus.SENDING: frozenset({MailStatus.SENT, MailStatus.FAILED, MailStatus.PENDING,
                                   MailStatus.SENDING}),
    MailStatus.FAILED: frozenset({MailStatus.PENDING}),  # an operator puts it back
    MailStatus.SENT: frozenset(),
}

PAYMENT_TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.UNMATCHED: frozenset({PaymentStatus.MATCHED}),
    PaymentStatus.MATCHED: frozenset(),
}

TRANSITIONS: Mapping[type[StrEnum], Mapping[Any, frozenset[Any]]] = {
    OrderStatus: ORDER_TRANSITIONS, LicenceStatus: LICENCE_TRANSITIONS,
    CollaborationStatus: COLLABORATION_TRANSITIONS, MandateStatus: MANDATE_TRANSITIONS,
    ClaimStatus: CLAIM_TRANSITIONS, MailStatus: MAIL_TRANSITIONS,
    PaymentStatus: PAYMENT_TRANSITIONS,
}


class StatusError(Exception):
    """A status change its transition table does not hold (a bug, never the user's input)."""

    def __init__(self, what: str, current: str, new: str) -> None:
        super().__init__(f"{what}: {current} → {new} is not allowed")
        self.what, self.current, self.new = what, current, new


def allowed(current: Status, new: Status) -> bool:
    return new in TRANSITIONS[type(new)][type(new)(current)]


def move(row: Any, new: Status) -> Status:
    """Set `row.status` to `new` if its table lets the row's status be followed by it."""
    current = type(new)(row.status)
    if not allowed(current, new):
        raise StatusError(f"{type(row).__name__} {getattr(row, 'id', '')}", current, new)
    row.status = new
    return new


def step(current: Status | tuple[Status, ...], new: Status) -> Status:
    """`new`, for a guarded UPDATE that moves rows in `current` (one status or several) to it:
    refused unless the table allows each of them to be followed by `new`."""
    for status in current if isinstance(current, tuple) else (current,):
        if not allowed(status, new):
            raise StatusError(type(new).__name__, status, new)
    return new
