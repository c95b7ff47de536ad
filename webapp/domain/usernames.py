"""Usernames: suggestion from the first name, and the letters-and-digits rule."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

MAX_LENGTH = 30
_NORDIC = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "AE", "Ø": "O", "Å": "A"})
_ASCII_ALNUM = re.compile(r"^[A-Za-z0-9]+$")


@dataclass(frozen=True)
class UsernameCheck:
    error: str | None = None     # blocks the step
    warning: str | None = None   # shown, but allowed


def suggest(first_name: str, taken: Collection[str] = frozenset()) -> str:
    """Suggest a username from the first name: ASCII letters and digits, lower case, unique."""
    first = (first_name or "").strip().split(" ")[0].translate(_NORDIC)
    decomposed = unicodedata.normalize("NFKD", first)
    base = "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()
    base = base[:MAX_LENGTH - 3] or "user"
    taken_keys = {key(name) for name in taken}
    candidate, number = base, 1
    while key(candidate) in taken_keys:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def key(username: str) -> str:
    """The comparison key: usernames are unique without regard to case."""
    return (username or "").strip().casefold()


def check(username: str) -> UsernameCheck:
    """Letters and digits only; æ, ø, å and other non-English letters are allowed but warned."""
    name = (username or "").strip()
    if not name:
        return UsernameCheck(error="required")
    if len(name) > MAX_LENGTH:
        return UsernameCheck(error="too_long")
    if _ASCII_ALNUM.match(name):
        return UsernameCheck()
    if all(ch.isalnum() for ch in name):
        return UsernameCheck(warning="non_ascii_letters")
    return UsernameCheck(error="special_characters")
