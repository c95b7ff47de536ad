"""Template filters and globals: money, dates and the labels of codes."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_babel import get_locale, gettext as _
from . import clock
from .domain.money import format_nok
from .services import catalog
from .services.accounts import group_label


def interval_label(code: str) -> str:
    return {"annual": _("Annual"), "semiannual": _("Semi-annual"), "quarterly": _("Quarterly"),
            "monthly": _("Monthly")}.get(code, code)


def order_status_label(status: str) -> str:
    return {"draft": _("Draft"), "submitted": _("Awaiting activation"),
            "activated": _("Activated"), "expired": _("Expired")}.get(status, status)


def mail_status_label(status: str) -> str:
    return {"pending": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"),
            "failed": _("Failed")}.get(status, status)


def edition_name(code: str | None) -> str:
    found = catalog.item(code) if code else None
    return found.name(str(get_locale())) if found else (code or "")


def nok(amount_ore: int | None) -> str:
    return "" if amount_ore is None else format_nok(amount_ore, str(get_locale()))


def local_datetime(moment: dt.datetime | None) -> str:
    return "" if moment is None else clock.local(moment).strftime("%d.%m.%Y %H:%M")


def register_templating(app: Flask) -> None:
    app.add_template_filter(nok, "nok")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(edition_name, "edition_name")
    for helper in (interval_label, order_status_label, mail_status_label, edition_name,
                   group_label):
        app.add_template_global(helper)
