"""Money in øre (integers) and the one rounding rule: half up to the nearest øre."""
from decimal import ROUND_HALF_UP, Decimal

VAT_PERCENT = 25


def round_ore(amount: Decimal) -> int:
    """Round an amount in øre to a whole øre, halves away from zero."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_ore: int, percent: int | Decimal) -> int:
    return round_ore(Decimal(amount_ore) * Decimal(percent) / 100)


def format_nok(amount_ore: int, locale: str = "nb") -> str:
    """Format øre as kroner: 'kr 1 234,50' (nb) or 'NOK 1,234.50' (en); a negative amount
    with a true minus sign after the currency: 'kr −1 234,50'."""
    sign = "\u2212" if amount_ore < 0 else ""
    kroner, ore = divmod(abs(amount_ore), 100)
    if locale == "en":
        return f"NOK {sign}{kroner:,}.{ore:02d}"
    grouped = f"{kroner:,}".replace(",", "\u00a0")
    return f"kr\u00a0{sign}{grouped},{ore:02d}"
