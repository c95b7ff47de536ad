"""The vendor's price list, loaded from webapp/catalog.json and editable by operators."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

PRODUCT_LINES = {"office": "Kvitt Office", "efaktura": "Kvitt eFaktura",
                 "regnskap": "Kvitt Regnskap"}


class CatalogItem(Model):
    """An edition, plan, add-on or service variant with its monthly price in øre (excl. VAT)."""

    __tablename__ = "catalog_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    product: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    name_nb: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    price_ore: Mapped[int | None] = mapped_column()
    per_user: Mapped[bool] = mapped_column(default=False)
    included_licences: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)
    in_shop: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        CheckConstraint("price_ore is null or price_ore >= 0", name="ck_catalog_price"),
        CheckConstraint("kind in ('edition','addon','plan','extra_licence','variant',"
                        "'transaction')",
                        name="ck_catalog_kind"),
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_nb

    def product_name(self, locale: str) -> str:
        """The name a customer buys: "Kvitt Office Enterprise", "Kvitt eFaktura Basic"."""
        line = PRODUCT_LINES.get(self.product)
        return f"{line} {self.name(locale)}" if line else self.name(locale)


class VolumeBand(Model):
    """Graduated volume discount: users from_user..to_user pay discount_percent less."""

    __tablename__ = "volume_band"
    id: Mapped[int] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(String(40))
    from_user: Mapped[int] = mapped_column()
    to_user: Mapped[int | None] = mapped_column()
    discount_percent: Mapped[int] = mapped_column()

    __table_args__ = (
        CheckConstraint("discount_percent between 0 and 100", name="ck_band_percent"),
        CheckConstraint("from_user >= 1", name="ck_band_from"),
    )


class BillingInterval(Model):
    __tablename__ = "billing_interval"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    months: Mapped[int] = mapped_column()
    discount_percent: Mapped[int] = mapped_column()
    sort_order: Mapped[int] = mapped_column(default=0)

    __table_args__ = (CheckConstraint("months in (1,3,6,12)", name="ck_interval_months"),)


class CatalogRevision(Model):
    """Changes whenever the catalog changes, so each process knows when to re-read its prices."""

    __tablename__ = "catalog_revision"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(36))

    __table_args__ = (CheckConstraint("id = 1", name="ck_catalog_revision_single_row"),)
