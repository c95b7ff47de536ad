"""Money in øre (integers) and the one rounding rule: half up to the nearest øre."""
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency

VAT_PERCENT = 25


def round_ore(amount: Decimal) -> int:
    """Round an amount in øre to a whole øre, halves away from zero."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_ore: int, percent: int | Decimal) -> int:
    return round_ore(Decimal(amount_ore) * Decimal(percent) / 100)


# Kvitt's amounts: the currency first, a true minus sign after it, two decimals always
# ("kr 1 234,50", "kr −5,00"; "NOK 1,234.50"); grouping and decimal marks from Babel's data.
_NOK_PATTERNS = {"nb": "¤\u00a0#,##0.00;¤\u00a0\u2212#,##0.00",
                 "en": "¤ #,##0.00;¤ \u2212#,##0.00"}
_LOCALES = {"nb": Locale.parse("nb"), "en": Locale.parse("en")}


@lru_cache(maxsize=8192)
def format_nok(amount_ore: int, locale: str = "nb") -> str:
    """Format øre as kroner: 'kr 1 234,50' (nb) or 'NOK 1,234.50' (en); a negative amount
    with a true minus sign after the currency: 'kr −1 234,50'. (Pages show the same prices
    again and again: each is formatted once.)"""
    language = "en" if locale == "en" else "nb"
    return format_currency(Decimal(amount_ore).scaleb(-2), "NOK", format=_NOK_PATTERNS[language],
                           locale=_LOCALES[language], currency_digits=False)
