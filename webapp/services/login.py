"""Logging in without helping a guesser: attempts are counted per client address and per
account typed (known or not), a client that logged in to the account before is not held up
by guesses from elsewhere, and an unknown user costs the same time and gets the same answer
as a wrong password."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain import usernames
from ..models import User
from ..models.accounts import password_method
from . import throttle
from .accounts import find_login_user

# An office behind one address logs in many times a day; a guesser tries thousands.
ADDRESS_LIMIT = throttle.Limit("login-address", 100, dt.timedelta(minutes=15))
ACCOUNT_LIMIT = throttle.Limit("login-account", 10, dt.timedelta(minutes=15))
# Reset mails: a few per account typed, more per address; beyond that nothing is sent.
RESET_ACCOUNT_LIMIT = throttle.Limit("reset-account", 3, dt.timedelta(hours=1))
RESET_ADDRESS_LIMIT = throttle.Limit("reset-address", 20, dt.timedelta(hours=1))


@dataclass
class Outcome:
    user: User | None = None
    refusal: str | None = None  # "throttled", "wrong"


def account_id(login_id: str, username: str) -> str:
    """The account as typed, the way the login finds it (case and spaces do not matter)."""
    return f"{login_id.strip()}/{usernames.key(username)}"


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no account has this password", method=method)


def password_matches(user: User | None, password: str) -> bool:
    """Check the password, spending the same time when there is no user or no password."""
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = check_password_hash(stored or _dummy_hash(password_method()), password)
    return matches and stored is not None


def attempt(login_id: str, username: str, password: str, address: str, trusted: bool,
            now: dt.datetime) -> Outcome:
    """One login attempt. Each attempt is counted before the password is checked, in one
    statement, so however many arrive at once no more than the limit are ever checked.
    `trusted`: this client logged in to the account before (its device cookie), so guesses
    from other clients do not lock it out; it is still bound by its address's limit."""
    account_key = ACCOUNT_LIMIT.key(account_id(login_id, username))
    over = throttle.count(ADDRESS_LIMIT, ADDRESS_LIMIT.key(address), now) > ADDRESS_LIMIT.hits
    if not trusted:
        over = throttle.count(ACCOUNT_LIMIT, account_key, now) > ACCOUNT_LIMIT.hits or over
    if over:
        return Outcome(refusal="throttled")
    user = find_login_user(login_id, username)
    matches = password_matches(user, password)  # the same time whether or not there is one
    if user is None or not matches or not user.active:
        return Outcome(refusal="wrong")
    throttle.forget(account_key)  # the owner is in: earlier failures no longer count
    return Outcome(user=user)


def may_send_reset(login_id: str, username: str, address: str, now: dt.datetime) -> bool:
    """Count a request for a reset mail; False when this account or address asked too
    often (the answer to the requester stays the same)."""
    by_account = throttle.count(RESET_ACCOUNT_LIMIT,
                                RESET_ACCOUNT_LIMIT.key(account_id(login_id, username)), now)
    by_address = throttle.count(RESET_ADDRESS_LIMIT, RESET_ADDRESS_LIMIT.key(address), now)
    return by_account <= RESET_ACCOUNT_LIMIT.hits and by_address <= RESET_ADDRESS_LIMIT.hits
