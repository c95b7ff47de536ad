"""The web-shop price: graduated volume bands, add-ons, interval discount on the final sum, VAT.

Rounding: every amount is integer øre. Band unit prices and the interval discount are rounded
half up to the øre where they arise; VAT is 25 % of the discounted period total, rounded half up.
The lines shown always add up to the totals shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .money import VAT_PERCENT, percent_of


@dataclass(frozen=True)
class Band:
    from_user: int
    to_user: int | None
    discount_percent: int


@dataclass(frozen=True)
class PricedItem:
    code: str
    name: str
    price_ore: int
    per_user: bool


@dataclass(frozen=True)
class BandLine:
    from_user: int
    to_user: int
    users: int
    discount_percent: int
    unit_ore: int
    amount_ore: int


@dataclass(frozen=True)
class AddOnLine:
    code: str
    name: str
    quantity: int
    unit_ore: int
    amount_ore: int


@dataclass(frozen=True)
class Quote:
    users: int
    months: int
    interval_discount_percent: int
    band_lines: list[BandLine] = field(default_factory=list)
    addon_lines: list[AddOnLine] = field(default_factory=list)
    # A Kvitt eFaktura plan: the plan itself and the licences beyond those it includes.
    plan_lines: list[AddOnLine] = field(default_factory=list)
    edition_monthly_ore: int = 0
    addons_monthly_ore: int = 0
    monthly_ore: int = 0
    period_before_discount_ore: int = 0
    interval_discount_ore: int = 0
    period_ore: int = 0
    vat_ore: int = 0
    period_incl_vat_ore: int = 0
    list_price_per_user_ore: int = 0

    @property
    def average_per_user_ore(self) -> int:
        """Edition price per user per month after volume discount (rounded to the øre)."""
        if not self.users:
            return 0
        return (self.edition_monthly_ore * 2 + self.users) // (2 * self.users)

    @property
    def volume_discount_ore(self) -> int:
        return self.list_price_per_user_ore * self.users - self.edition_monthly_ore


def band_lines(price_ore: int, users: int, bands: list[Band]) -> list[BandLine]:
    """Price each user in the band it falls in (graduated, not all-units)."""
    lines = []
    for band in sorted(bands, key=lambda b: b.from_user):
        if users < band.from_user:
            break
        upper = users if band.to_user is None else min(users, band.to_user)
        count = upper - band.from_user + 1
        unit = price_ore - percent_of(price_ore, band.discount_percent)
        lines.append(BandLine(band.from_user, upper, count, band.discount_percent, unit,
                              unit * count))
    return lines


def quote(edition: PricedItem | None, users: int, addons: list[PricedItem], bands: list[Band],
          months: int, interval_discount_percent: int) -> Quote:
    """Return the full price of an order: per user, per month, per billing period, VAT."""
    if users < 0:
        raise ValueError("users must not be negative")
    lines = band_lines(edition.price_ore, users, bands) if edition else []
    edition_monthly = sum(line.amount_ore for line in lines)
    addon_lines = []
    for addon in addons:
        quantity = users if addon.per_user else 1
        addon_lines.append(AddOnLine(addon.code, addon.name, quantity, addon.price_ore,
                                     addon.price_ore * quantity))
    return _totals(users, months, interval_discount_percent, band_lines=lines,
                   addon_lines=addon_lines, edition_monthly_ore=edition_monthly,
                   list_price_per_user_ore=edition.price_ore if edition else 0)


def plan_quote(plan: PricedItem, included_licences: int, extra_licence: PricedItem | None,
               users: int, months: int, interval_discount_percent: int) -> Quote:
    """The price of a Kvitt eFaktura plan (R-PLAN-1): the plan's monthly price with its
    included licences, and each licence beyond them at the extra licence's price."""
    if users < 0:
        raise ValueError("users must not be negative")
    lines = [AddOnLine(plan.code, plan.name, 1, plan.price_ore, plan.price_ore)]
    extra = max(0, users - included_licences)
    if extra and extra_licence is not None:
        lines.append(AddOnLine(extra_licence.code, extra_licence.name, extra,
                               extra_licence.price_ore, extra_licence.price_ore * extra))
    return _totals(users, months, interval_discount_percent, plan_lines=lines,
                   edition_monthly_ore=sum(line.amount_ore for line in lines))


def _totals(users: int, months: int, interval_discount_percent: int, *,
            edition_monthly_ore: int, **parts: Any) -> Quote:
    """Per month, per billing period with the interval discount, VAT and the total."""
    addons_monthly = sum(line.amount_ore for line in parts.get("addon_lines", []))
    monthly = edition_monthly_ore + addons_monthly
    before_discount = monthly * months
    discount = percent_of(before_discount, interval_discount_percent)
    period = before_discount - discount
    vat = percent_of(period, VAT_PERCENT)
    return Quote(
        users=users, months=months, interval_discount_percent=interval_discount_percent,
        edition_monthly_ore=edition_monthly_ore, addons_monthly_ore=addons_monthly,
        monthly_ore=monthly, period_before_discount_ore=before_discount,
        interval_discount_ore=discount, period_ore=period, vat_ore=vat,
        period_incl_vat_ore=period + vat, **parts)
