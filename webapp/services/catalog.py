"""Load the catalog data file into the database and read it back for pricing."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select

from ..domain.pricing import Band, PricedItem, Quote, quote
from ..extensions import db
from ..models import BillingInterval, CatalogItem, VolumeBand

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
    db.session.flush()
    return len(data["items"])


def item(code: str) -> CatalogItem | None:
    return db.session.scalar(select(CatalogItem).where(CatalogItem.code == code))


def shop_editions() -> list[CatalogItem]:
    return list(db.session.scalars(
        select(CatalogItem).where(CatalogItem.kind == "edition", CatalogItem.in_shop)
        .order_by(CatalogItem.sort_order)))


def shop_addons() -> list[CatalogItem]:
    return list(db.session.scalars(
        select(CatalogItem).where(CatalogItem.kind == "addon", CatalogItem.in_shop)
        .order_by(CatalogItem.sort_order)))


def intervals() -> list[BillingInterval]:
    return list(db.session.scalars(
        select(BillingInterval).where(BillingInterval.months > 1)
        .order_by(BillingInterval.sort_order)))


def bands(product: str) -> list[Band]:
    rows = db.session.scalars(select(VolumeBand).where(VolumeBand.product == product))
    return [Band(r.from_user, r.to_user, r.discount_percent) for r in rows]


def priced(item: CatalogItem, locale: str) -> PricedItem:
    return PricedItem(item.code, item.name(locale), item.price_ore or 0, item.per_user)


def quote_order(edition_code: str | None, users: int, addon_codes: list[str],
                interval_code: str, locale: str) -> Quote:
    """Price a shop selection from the catalog in the database."""
    wanted = set(addon_codes) | ({edition_code} if edition_code else set())
    items = {item.code: item for item in db.session.scalars(
        select(CatalogItem).where(CatalogItem.code.in_(wanted)))} if wanted else {}
    edition = items.get(edition_code) if edition_code else None
    addons = [priced(items[code], locale) for code in addon_codes if code in items]
    addons.sort(key=lambda a: items[a.code].sort_order)
    interval = db.session.get(BillingInterval, interval_code)
    months, discount = (interval.months, interval.discount_percent) if interval else (12, 0)
    return quote(priced(edition, locale) if edition else None, users, addons, bands("office"),
                 months, discount)
