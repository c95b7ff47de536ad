"""Template filters and globals: money, dates and the labels of codes."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import phonenumbers
from flask import Flask
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from markupsafe import Markup

from .domain.formats import format_day, format_moment
from .domain.money import format_nok
from .domain.postal import city_for
from .domain.statuses import (
    LICENCE_USABLE,
    ClaimStatus,
    CollaborationStatus,
    LicenceStatus,
    MailStatus,
    OrderStatus,
)
from .domain.support import SupportStatus
from .services import catalog
from .services.accounts import group_label


def interval_label(code: str) -> str:
    return {"annual": _("Annual"), "semiannual": _("Semi-annual"), "quarterly": _("Quarterly"),
            "monthly": _("Monthly")}.get(code, code)


def order_status_label(status: str) -> str:
    labels: dict[str, str] = {OrderStatus.DRAFT: _("Draft"),
                              OrderStatus.SUBMITTED: _("Awaiting activation"),
                              OrderStatus.ACTIVATED: _("Activated"),
                              OrderStatus.EXPIRED: _("Expired")}
    return labels.get(status, status)


def mail_status_label(status: str) -> str:
    labels: dict[str, str] = {MailStatus.PENDING: _("Waiting"), MailStatus.SENDING: _("Sending"),
                              MailStatus.SENT: _("Sent"), MailStatus.FAILED: _("Parked")}
    return labels.get(status, status)


def job_label(name: str) -> str:
    return {
        "activation_reminders": _("Activation reminders"), "expire_orders": _("Order expiry"),
        "trial_mails": _("Trial e-mails"), "expire_trials": _("Trial expiry"),
        "close_cancelled": _("Closing cancelled accounts"),
        "collaboration_changes": _("Collaboration changes"), "plan_changes": _("Plan changes"),
        "issue_invoices": _("Licence invoicing"), "frequency_next_dates": _("Frequency dates"),
        "subscription_invoices": _("Subscription invoicing"),
        "avtalegiro": _("AvtaleGiro claims"),
        "send_invoices": _("Sending invoices"), "dunning": _("Dunning"),
        "deliver_mail": _("E-mail delivery"),
        "remove_abandoned": _("Removing abandoned drafts"),
    }.get(name, name)


def invoice_status_label(status: str) -> str:
    return {"open": _("Open"), "partly_paid": _("Partly paid"), "overdue": _("Overdue"),
            "paid": _("Paid"), "overpaid": _("Overpaid"), "credited": _("Credited"),
            "credit_note": _("Credit note"),
            "debt_collection": _("Debt collection")}.get(status, status)


def invoice_filter_label(name: str) -> str:
    return {"open": _("Open"), "overdue": _("Overdue"), "paid": _("Paid"),
            "credited": _("Credited"), "credit_notes": _("Credit notes"),
            "debt_collection": _("Debt collection")}.get(name, name)


def valid_kid(kid: str) -> bool:
    from .services.bank_files import valid_kid as check

    return check(kid)


def payment_source_label(source: str) -> str:
    return {"manual": _("Registered by hand"), "import": _("Bank file"),
            "ocr": _("OCR giro file"), "camt054": _("camt.054 file"),
            "avtalegiro": "AvtaleGiro"}.get(source, source)


def payment_outcome_label(outcome: str | None) -> str:
    return {"full": _("Paid in full"), "partial": _("Part payment"), "over": _("Overpayment"),
            None: _("No invoice with this KID")}.get(outcome, outcome or "")


def claim_status_label(status: str) -> str:
    labels: dict[str, str] = {ClaimStatus.PENDING: _("To be sent"),
                              ClaimStatus.SENT: _("Sent to the bank"), ClaimStatus.PAID: _("Paid"),
                              ClaimStatus.FAILED: _("Failed: dunning as usual"),
                              ClaimStatus.CANCELLING: _("Cancellation to be sent"),
                              ClaimStatus.CANCELLED: _("Cancelled")}
    return labels.get(status, status)


def parked_reason_label(reason: str) -> str:
    return {"duplicate": _("Already registered: not applied again"),
            "not_positive": _("Zero or negative amount: not a payment"),
            "reversal": _("Reversal: check with the bank")}.get(reason, reason)


def dunning_stage_label(stage: int) -> str:
    return {0: _("No dunning"), 1: _("Payment reminder sent"),
            2: _("Debt collection warning sent"),
            3: _("Handed over to debt collection; access suspended")}.get(stage, str(stage))


def collaboration_status_label(status: str) -> str:
    labels: dict[str, str] = {CollaborationStatus.INVITED: _("Waiting for the client's approval"),
                              CollaborationStatus.ACTIVE: _("Active"),
                              CollaborationStatus.ENDED: _("Ended")}
    return labels.get(status, status)


def support_status_label(status: str) -> str:
    labels: dict[str, str] = {SupportStatus.NEW: _("Sent, waiting for us"),
                              SupportStatus.IN_PROGRESS: _("We are working on it"),
                              SupportStatus.ANSWERED: _("Answered"),
                              SupportStatus.CLOSED: _("Closed")}
    return labels.get(status, status)


def support_category_label(category: str) -> str:
    return {"users": _("Users and licences"), "trial": _("More trial days"),
            "addons": _("Add-ons"), "quote": _("Quote for integrated services"),
            "error": _("Something does not work"), "other": _("Other")}.get(category, category)


def in_trial() -> bool:
    """The user's company is in a trial it can buy from (seed 000: "Buy now" top left on
    every page of a trial); read once per request."""
    from flask import g
    from flask_login import current_user

    if "in_trial" not in g:
        g.in_trial = False
        if current_user.is_authenticated and not current_user.is_operator and \
                can_buy(current_user):
            g.in_trial = True
    return g.in_trial


def can_buy(user) -> bool:
    from .blueprints.access import acting_licence

    subscription = acting_licence(user)
    return subscription is not None and subscription.is_trial and \
        subscription.status in (*LICENCE_USABLE, LicenceStatus.DEACTIVATED)


def local_date(day: dt.date | None) -> str:
    """A day in the reader's language: "24.11.2026" (nb), "24 Nov 2026" (en)."""
    return "" if day is None else format_day(day, str(get_locale()))


def frequency_name(frequency) -> str:
    return frequency.display_name(str(get_locale()))


def edition_name(code: str | None) -> str:
    found = catalog.price_list().items.get(code or "")  # the cached prices: no query a row
    return found.name(str(get_locale())) if found else (code or "")


def phone_display(number: str | None) -> str:
    """A stored number (E.164) as people read it: "+47 91 23 45 67"."""
    try:
        parsed = phonenumbers.parse(number or "", "NO")
    except phonenumbers.NumberParseException:
        return number or ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def product_name(code: str | None) -> str:
    """"Kvitt Office Enterprise", "Kvitt eFaktura Basic"."""
    found = catalog.price_list().items.get(code or "")
    return found.product_name(str(get_locale())) if found else (code or "")


@pass_context
def nok(context, amount_ore: int | None) -> str:
    locale = context.get("current_locale") or context.get("locale") or str(get_locale())
    return "" if amount_ore is None else format_nok(amount_ore, locale)


def local_datetime(moment: dt.datetime | None) -> str:
    """An instant in Oslo time in the reader's language: "24.11.2026, 09:05"."""
    return "" if moment is None else format_moment(moment, str(get_locale()))


def _newstyle(translations):
    """Jinja's new-style gettext callables bound to one catalog.

    Flask-Babel resolves the catalog again on every call; binding it once per render (inside
    force_locale too, since context processors run at render time) keeps templates fast."""

    @pass_context
    def gettext(context, string, **variables):
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def catalog_price(code: str) -> int | None:
    """The price list's monthly price of an item (øre), for a page that states it."""
    from .services import catalog

    item = catalog.price_list().items.get(code)
    return item.price_ore if item is not None else None


def register_templating(app: Flask) -> None:
    from .blueprints.access import acting_company, acting_company_id, can
    from .blueprints.auth import companies_of
    from .services.invoice_pdf import account_text, seller_lines, vat_label
    from .services.invoicing import document_of

    app.add_template_global(can)
    app.add_template_global(acting_company)
    app.add_template_global(acting_company_id)
    app.add_template_global(companies_of)
    for document_helper in (document_of, seller_lines, account_text, vat_label):
        app.add_template_global(document_helper)
    @app.context_processor
    def bound_gettext():
        return _newstyle(get_translations())

    app.add_template_filter(nok, "nok")
    app.add_template_filter(phone_display, "phone")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(edition_name, "edition_name")
    helper: Callable[..., object]
    for helper in (interval_label, order_status_label, mail_status_label, edition_name,
                   product_name,
                   job_label, group_label, invoice_status_label, collaboration_status_label,
                   invoice_filter_label, dunning_stage_label, city_for, payment_source_label,
                   payment_outcome_label, parked_reason_label, valid_kid, claim_status_label,
                   catalog_price, frequency_name, support_status_label,
                   support_category_label, in_trial):
        app.add_template_global(helper)
