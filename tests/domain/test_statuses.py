"""Statuses: one enum and one transition table per aggregate; a change the table does not hold
is refused, and no status is written as a bare string outside its enum."""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from webapp.domain.statuses import (
    TRANSITIONS,
    ClaimStatus,
    LicenceStatus,
    OrderStatus,
    StatusError,
    move,
    step,
)

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"


@pytest.mark.parametrize("enum", list(TRANSITIONS), ids=lambda enum: enum.__name__)
def test_every_status_has_its_row_and_leads_only_to_its_own_kind(enum):
    table = TRANSITIONS[enum]
    assert set(table) == set(enum)
    for following in table.values():
        assert all(isinstance(status, enum) for status in following)


def test_move_changes_an_allowed_status_and_refuses_any_other():
    order = SimpleNamespace(id=7, status="submitted")  # as read from the database
    assert move(order, OrderStatus.ACTIVATED) is OrderStatus.ACTIVATED
    assert order.status == OrderStatus.ACTIVATED
    with pytest.raises(StatusError, match="activated → draft"):
        move(order, OrderStatus.DRAFT)
    assert order.status == OrderStatus.ACTIVATED  # left as it was


def test_an_ended_licence_never_comes_back():
    for ended in (LicenceStatus.CANCELLED, LicenceStatus.EXPIRED):
        for status in LicenceStatus:
            with pytest.raises(StatusError):
                move(SimpleNamespace(id=1, status=ended), status)


def test_step_guards_a_bulk_update_from_each_status_it_names():
    assert step((ClaimStatus.PENDING,), ClaimStatus.SENT) is ClaimStatus.SENT
    with pytest.raises(StatusError):
        step((ClaimStatus.SENT, ClaimStatus.PAID), ClaimStatus.FAILED)  # a paid claim stays paid


STATUS_VALUES = sorted({status.value for enum in TRANSITIONS for status in enum}
                       | {"new", "in_progress", "answered", "closed"})
# `status` compared with, set to or looked up among quoted status values.
BARE = re.compile(r"status\w*(?:\s*(?:==|!=|=)\s*|\s+(?:not\s+)?in\s*\(*\s*|\.in_\(\(*)\"(?:"
                  + "|".join(STATUS_VALUES) + r")\"")


def test_no_status_literal_outside_its_enum():
    found = []
    for path in WEBAPP.rglob("*.py"):
        if "migrations" in path.parts or path.name == "statuses.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if BARE.search(line):
                found.append(f"{path.relative_to(WEBAPP)}:{number}: {line.strip()}")
    assert found == []
