"""Bring's Norwegian postal-code register (webapp/data/no_postal_codes.tsv)."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

REGISTER = Path(__file__).resolve().parent.parent / "data" / "no_postal_codes.tsv"
# Service codes (S) are not addresses a customer can live at.
ADDRESS_CATEGORIES = {"G", "P", "B"}


@lru_cache(maxsize=1)
def _register() -> dict[str, str]:
    with REGISTER.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {row["postal_code"]: row["city"] for row in rows
                if row["category"] in ADDRESS_CATEGORIES}


def city_for(postal_code: str) -> str | None:
    """Return the city of a Norwegian postal code, or None when it is not in the register."""
    code = (postal_code or "").strip()
    if len(code) != 4 or not code.isdigit():
        return None
    return _register().get(code)
