"""Load the catalog data file into the database and read it back for pricing."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select

from ..domain.pricing import Band, PricedItem, Quote, plan_quote, quote
from ..extensions import db
from ..models import BillingInterval, CatalogItem, CatalogRevision, VolumeBand

CATALOG_FILE = Path(__file__).resolve().parent.parent / "catalog.json"
ITEM_DEFAULTS = {"product": None, "kind": None, "name_nb": None, "name_en": None,
                 "price_ore": None, "per_user": False, "included_licences": 0, "sort_order": 0,
                 "in_shop": False}


def load_catalog(path: Path = CATALOG_FILE) -> int:
    """Insert or update every catalog row from the data file; return the number of items."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["intervals"]:
        interval = db.session.get(BillingInterval, row["code"]) or BillingInterval(code=row["code"])
        interval.months, interval.discount_percent = row["months"], row["discount_percent"]
        interval.sort_order = row["sort_order"]
        db.session.add(interval)
    db.session.execute(delete(VolumeBand))
    for row in data["volume_bands"]:
        db.session.add(VolumeBand(**row))
    existing = {item.code: item for item in db.session.scalars(select(CatalogItem))}
    for row in data["items"]:
        item = existing.get(row["code"]) or CatalogItem(code=row["code"])
        for name, default in ITEM_DEFAULTS.items():
            setattr(item, name, row.get(name, default))
        db.session.add(item)
    catalog_changed()
    return len(data["items"])


def catalog_changed() -> None:
    """Mark the catalog as changed (call in the transaction that changes it)."""
    revision = db.session.get(CatalogRevision, 1) or CatalogRevision(id=1)
    revision.token = str(uuid.uuid4())
    db.session.add(revision)
    db.session.flush()
    global _price_list
    _price_list = None


def item(code: str) -> CatalogItem | None:
    return db.session.scalar(select(CatalogItem).where(CatalogItem.code == code))


def shop_editions() -> list[CatalogItem]:
    return list(db.session.scalars(
        select(CatalogItem).where(CatalogItem.kind == "edition", CatalogItem.in_shop)
        .order_by(CatalogItem.sort_order)))


def shop_plans() -> list[CatalogItem]:
    """Kvitt eFaktura's plans for sale in the shop (Enterprise is sold by quote)."""
    return list(db.session.scalars(
        select(CatalogItem).where(CatalogItem.kind == "plan", CatalogItem.in_shop)
        .order_by(CatalogItem.sort_order)))


def is_plan(code: str | None) -> bool:
    """Whether a product code is a Kvitt eFaktura plan (invoiced monthly, R-PLAN-3)."""
    found = price_list().items.get(code or "")
    return found is not None and found.kind == "plan"


def is_free_plan(code: str | None) -> bool:
    """Kvitt eFaktura Free: one user, never invoiced, no notice (R-PLAN-1, R-PLAN-3)."""
    found = price_list().items.get(code or "")
    return found is not None and found.kind == "plan" and found.price_ore == 0


def shop_addons() -> list[CatalogItem]:
    return list(db.session.scalars(
        select(CatalogItem).where(CatalogItem.kind == "addon", CatalogItem.in_shop)
        .order_by(CatalogItem.sort_order)))


def intervals(monthly: bool = False) -> list[BillingInterval]:
    """Kvitt Office's billing intervals, or Kvitt eFaktura's only one (monthly)."""
    chosen = BillingInterval.months == 1 if monthly else BillingInterval.months > 1
    return list(db.session.scalars(
        select(BillingInterval).where(chosen).order_by(BillingInterval.sort_order)))


@dataclass(frozen=True)
class PriceList:
    """An immutable snapshot of the prices, shared by the requests of one process."""

    token: str
    items: dict[str, CatalogItem]
    bands: dict[str, list[Band]]
    intervals: dict[str, tuple[int, int]]


# Each process looks at the catalog revision at most this often; an operator's price change
# reaches the live price of every process within that time (at once in its own process).
REVISION_CHECK_SECONDS = 1.0
_price_list: PriceList | None = None
_checked_at = 0.0
_price_list_lock = threading.Lock()


def price_list() -> PriceList:
    """Return the current prices, re-reading them only when the catalog revision changed."""
    global _price_list, _checked_at
    cached = _price_list
    if cached is not None and time.monotonic() - _checked_at < REVISION_CHECK_SECONDS:
        return cached
    token = db.session.scalar(select(CatalogRevision.token).where(CatalogRevision.id == 1))
    if cached is not None and cached.token == token:
        _checked_at = time.monotonic()
        return cached
    with _price_list_lock:
        items = {item.code: item for item in db.session.scalars(select(CatalogItem))}
        for item in items.values():
            db.session.expunge(item)  # detached, read-only copies
        all_bands: dict[str, list[Band]] = {}
        for row in db.session.scalars(select(VolumeBand).order_by(VolumeBand.from_user)):
            all_bands.setdefault(row.product, []).append(
                Band(row.from_user, row.to_user, row.discount_percent))
        periods = {row.code: (row.months, row.discount_percent)
                   for row in db.session.scalars(select(BillingInterval))}
        _price_list = PriceList(token or "", items, all_bands, periods)
        _checked_at = time.monotonic()
        return _price_list


def priced(item: CatalogItem, locale: str) -> PricedItem:
    return PricedItem(item.code, item.name(locale), item.price_ore or 0, item.per_user)


def quote_order(edition_code: str | None, users: int, addon_codes: list[str],
                interval_code: str, locale: str) -> Quote:
    """Price a shop selection from the catalog (unknown codes are left out). A Kvitt eFaktura
    plan is invoiced monthly and has no add-ons."""
    prices = price_list()
    edition = prices.items.get(edition_code) if edition_code else None
    if edition is not None and edition.kind == "plan" and edition.price_ore is not None:
        months, discount = prices.intervals.get("monthly", (1, 0))
        extra = prices.items.get("efaktura-extra-licence")
        plan = PricedItem(edition.code, edition.product_name(locale), edition.price_ore or 0,
                          False)
        return plan_quote(plan, edition.included_licences or 0,
                          priced(extra, locale) if extra is not None else None, users,
                          months, discount)
    if edition is not None and edition.kind != "edition":
        edition = None
    addons = sorted((prices.items[code] for code in set(addon_codes)
                     if code in prices.items and prices.items[code].kind == "addon"),
                    key=lambda item: item.sort_order)
    months, discount = prices.intervals.get(interval_code, prices.intervals.get("annual",
                                                                                (12, 0)))
    return quote(priced(edition, locale) if edition else None, users,
                 [priced(item, locale) for item in addons], prices.bands.get("office", []),
                 months, discount)
