"""Admin → Sales: frequencies, the customer register and subscriptions (R-FREQ-1 … 5)."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from .. import clock
from ..domain.documents import VAT_CHOICES, vat_choice
from ..domain.postal import city_for
from ..domain.recurrence import describe
from ..extensions import db
from ..forms import EmptyForm
from ..forms.billing import CreditForm
from ..forms.sales import CustomerForm, FrequencyForm, SubscriptionForm
from ..models import Customer, Frequency, Invoice, Subscriber, Subscription, SubscriptionLine
from ..services import sales
from ..services.invoicing import missing_seller_details
from ..templating import local_date
from .access import acting_company, acting_company_id, get_owned, require_permission
from .common import (
    act,
    credit_from_form,
    invoice_download,
    is_htmx_fragment_request,
    locale,
    page_number,
    paginated,
    render,
)

bp = Blueprint("sales", __name__, url_prefix="/admin/sales")
PAGE_SIZE = 50


@bp.before_request
@login_required
def require_sales():
    if current_user.is_operator:
        abort(404)
    require_permission("can_sales")


def get_frequency(frequency_id: int) -> Frequency:
    return get_owned(Frequency, frequency_id)


def get_subscription(subscription_id: int) -> Subscription:
    return get_owned(Subscription, subscription_id)


# --- frequencies -------------------------------------------------------------------------

def _list_args() -> dict:
    show = request.args.get("show") if request.args.get("show") in sales.FILTERS else "active"
    sort = request.args.get("sort") if request.args.get("sort") in sales.SORTABLE \
        else "next_date"
    return {"show": show, "sort": sort, "descending": request.args.get("dir") == "desc"}


@bp.get("/frequencies")
def frequencies():
    args = _list_args()
    page = page_number()
    query = sales.frequency_query(acting_company_id(), current_user.id, **args)
    rows = db.session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return render("sales/frequencies.html", "sales/_frequency_table.html",
                  rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page, **args,
                  pattern_text=lambda f: describe(f.pattern(), locale()),
                  end_text=sales.end_text, toggle_form=EmptyForm())


@bp.get("/frequencies/export.xlsx")
def export_frequencies():
    query = sales.frequency_query(acting_company_id(), current_user.id, **_list_args())
    content = sales.export_frequencies(db.session.execute(query).all(), locale())
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition": 'attachment; filename="frekvenser.xlsx"'})


def _frequency_form_page(form, frequency=None, status=200):
    in_dialog = form.context.data == "dialog"
    template = "sales/_frequency_form.html" if in_dialog or is_htmx_fragment_request() \
        else "sales/frequency_form.html"
    from flask import render_template

    return render_template(template, form=form, frequency=frequency), status


@bp.route("/frequencies/new", methods=["GET", "POST"])
def new_frequency():
    form = FrequencyForm(today=clock.today())
    if request.method == "GET":
        form.start_date.data = clock.today()
        form.month_day.data = clock.today().day
        form.context.data = request.args.get("context", "")
        return _frequency_form_page(form)
    if not form.validate():
        return _frequency_form_page(form, status=422)
    frequency = sales.save_frequency(acting_company_id(), current_user, form.pattern(),
                                     form.name.data, clock.now(), locale=locale())
    db.session.commit()
    if form.context.data == "dialog":
        # R-FREQ-5: created inside the subscription dialog; the choice list gets it, chosen.
        from flask import render_template

        body = render_template("sales/_frequency_select.html",
                               frequencies=sales.active_frequencies(acting_company_id()),
                               selected=frequency.id)
        return body, 200, {"HX-Retarget": "#field-frequency_id", "HX-Reswap": "outerHTML"}
    flash(_("The frequency %(name)s is saved.", name=frequency.display_name(locale())))
    return redirect(url_for("sales.frequencies"), 303)


@bp.route("/frequencies/<int:frequency_id>/edit", methods=["GET", "POST"])
def edit_frequency(frequency_id: int):
    frequency = get_frequency(frequency_id)
    if request.method == "GET":
        pattern = frequency.pattern()
        form = FrequencyForm(formdata=None, data={
            "name": "" if frequency.auto_name else frequency.name, "kind": pattern.kind,
            "interval": pattern.interval, "weekdays": list(pattern.weekdays),
            "day_mode": "weekday" if pattern.ordinal else "date",
            "month_day": pattern.month_day, "ordinal": pattern.ordinal or 1,
            "weekday": pattern.weekday or 0, "month": pattern.month or 1,
            "start_date": pattern.start,
            "end_kind": "count" if pattern.count else "until" if pattern.until else "never",
            "count": pattern.count, "until": pattern.until})
        return _frequency_form_page(form, frequency)
    form = FrequencyForm(today=clock.today())
    if not form.validate():
        return _frequency_form_page(form, frequency, status=422)
    sales.save_frequency(acting_company_id(), current_user, form.pattern(),
                         form.name.data,
                         clock.now(), frequency=frequency, locale=locale())
    db.session.commit()
    flash(_("The frequency %(name)s is saved.", name=frequency.display_name(locale())))
    return redirect(url_for("sales.frequencies"), 303)


@bp.post("/frequencies/<int:frequency_id>/active")
def toggle_frequency(frequency_id: int):
    frequency = get_frequency(frequency_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    name = frequency.display_name(locale())
    act(lambda: sales.set_frequency_active(frequency, active, current_user, clock.now()),
        lambda _done: _("The frequency %(name)s is active again.", name=name) if active else
        _("The frequency %(name)s is deactivated: no subscription can choose it now.",
          name=name))
    shown: dict[str, Any] = request.args.to_dict()  # the list as it was: filter and order
    return redirect(url_for("sales.frequencies", **shown), 303)


# --- customers ---------------------------------------------------------------------------

@bp.route("/customers", methods=["GET", "POST"])
def customers():
    form = CustomerForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            exists = form.organisation_number.data and db.session.scalar(
                select(Customer.id).where(Customer.company_id == acting_company_id(),
                                          Customer.organisation_number ==
                                          form.organisation_number.data))
            if exists:
                form.organisation_number.errors.append(
                    _("A customer with this organisation number is already registered."))
                status = 422
            else:
                db.session.add(Customer(
                    company_id=acting_company_id(), name=form.name.data.strip(),
                    organisation_number=form.organisation_number.data or None,
                    email=form.email.data, address_line=form.address_line.data or None,
                    postal_code=form.postal_code.data or None,
                    city=city_for(form.postal_code.data or "") or None,
                    vat_registered=form.vat_registered.data,
                    buyer_reference=form.buyer_reference.data or None,
                    peppol_id=form.peppol_id.data or None, delivery=form.delivery.data,
                    created_at=clock.now()))
                db.session.commit()
                flash(_("The customer is registered."))
                return redirect(url_for("sales.customers"), 303)
        else:
            status = 422
    pagination = paginated(select(Customer).where(
        Customer.company_id == acting_company_id()).order_by(
        func.lower(Customer.name), Customer.id))
    return render("sales/customers.html", form=form, customers=pagination.items,
                  pagination=pagination, status=status)


# --- subscriptions -----------------------------------------------------------------------

@bp.get("/subscriptions")
def subscriptions():
    pagination = paginated(select(Subscription).where(
        Subscription.company_id == acting_company_id()).order_by(
        func.lower(Subscription.name), Subscription.id))
    return render("sales/subscriptions.html", subscriptions=pagination.items,
                  pagination=pagination, today=clock.today(),
                  preview=sales.preview,
                  missing=missing_seller_details(acting_company()))


def _subscription_form(formdata=None, subscription=None):
    company_id = acting_company_id()
    frequencies = sales.active_frequencies(company_id)
    if subscription is not None and not subscription.frequency.active:
        frequencies.append(subscription.frequency)  # keep showing the current choice
    form = SubscriptionForm(formdata=formdata, frequencies=frequencies,
                            customers=sales.company_customers(company_id))
    return form, frequencies


def _subscription_page(form, frequencies, subscription=None, status=200):
    return render("sales/subscription_form.html", form=form, frequencies=frequencies,
                  subscription=subscription, status=status,
                  customers=sales.company_customers(acting_company_id()),
                  missing=missing_seller_details(acting_company()),
                  preview=sales.preview(subscription, clock.today()) if subscription else [],
                  delete_form=EmptyForm())


def _edit_rows(action: str) -> MultiDict | None:
    """'Add line' / 'Add subscriber' / 'Remove …' rebuild the posted rows without saving."""
    data = MultiDict(request.form)
    for prefix in ("lines", "subscribers"):
        indexes = sorted({int(match.group(1)) for k in data
                          if (match := re.match(rf"^{prefix}-(\d+)-", k))})
        if action == f"add-{prefix}":
            new = (max(indexes) + 1) if indexes else 0
            if prefix == "lines":
                data[f"lines-{new}-quantity"] = "1"
                data[f"lines-{new}-vat_percent"] = "25"
                data[f"lines-{new}-product_text"] = ""
                data[f"lines-{new}-unit_price"] = ""
            else:
                data[f"subscribers-{new}-customer_id"] = ""
                data[f"subscribers-{new}-active"] = "y"
    removal = re.fullmatch(r"remove:(lines|subscribers):(\d+)", action)
    if removal:
        prefix, index = removal.groups()
        for key in [k for k in data if k.startswith(f"{prefix}-{index}-")]:
            del data[key]
    return data


def _save_subscription(form, subscription: Subscription | None) -> Subscription:
    if subscription is None:
        subscription = Subscription(company_id=acting_company_id(),
                                    created_at=clock.now(),
                                    active=True)
        db.session.add(subscription)
    subscription.name = form.name.data.strip()
    subscription.frequency_id = form.frequency_id.data
    subscription.active = bool(form.active.data)
    subscription.lines = [
        SubscriptionLine(position=index, product_text=entry.form.product_text.data.strip(),
                         quantity=entry.form.quantity.data, unit_ore=entry.form.unit_ore,
                         vat_category=VAT_CHOICES[entry.form.vat_percent.data][0],
                         vat_percent=VAT_CHOICES[entry.form.vat_percent.data][1])
        for index, entry in enumerate(form.lines.entries, start=1)]
    existing = {s.customer_id: s for s in subscription.subscribers}
    kept = []
    for entry in form.subscribers.entries:
        subscriber = existing.get(entry.form.customer_id.data) or Subscriber(
            customer_id=entry.form.customer_id.data)
        subscriber.start_date = entry.form.start_date.data or subscriber.start_date \
            or clock.today()
        subscriber.end_date = entry.form.end_date.data
        subscriber.active = bool(entry.form.active.data)
        kept.append(subscriber)
    subscription.subscribers = kept
    db.session.flush()
    return subscription


def _check_subscribers(form, subscription: Subscription | None, frequency: Frequency) -> bool:
    """R-FREQ-2, R-FREQ-6: an invoiced subscriber cannot be removed (deactivate it), and a start
    date in the past is saved only when the user confirms the invoices it creates at once."""
    valid = True
    existing = {s.customer_id: s for s in subscription.subscribers} if subscription else {}
    if subscription is not None:
        kept = {entry.form.customer_id.data for entry in form.subscribers.entries}
        customers = {c.id: c.name for c in sales.company_customers(subscription.company_id)}
        removed = [customers.get(cid, "") for cid in sales.invoiced_subscribers(subscription.id)
                   if cid not in kept]
        if removed:
            form.subscribers.errors = list(form.subscribers.errors) + [
                _("%(names)s has been invoiced and cannot be removed; deactivate the "
                  "subscriber instead.", names=", ".join(sorted(removed)))]
            valid = False
    today = clock.today()
    pattern = frequency.pattern()
    for entry in form.subscribers.entries:
        start = entry.form.start_date.data
        before = existing.get(entry.form.customer_id.data)
        if start is None or start >= today or (before is not None and
                                               before.start_date == start):
            continue
        count = sales.past_invoices(pattern, start, today, entry.form.end_date.data)
        if count and not form.confirm_past.data:
            entry.form.start_date.errors = list(entry.form.start_date.errors) + [
                ngettext("Starting on %(date)s creates %(num)d invoice at once, for a past "
                         "date. Tick the confirmation below to go ahead.",
                         "Starting on %(date)s creates %(num)d invoices at once, for past "
                         "dates. Tick the confirmation below to go ahead.", count,
                         date=local_date(start))]
            valid = False
    return valid


def _handle_subscription_post(subscription: Subscription | None):
    action = request.form.get("action", "save")
    if action != "save":
        form, frequencies = _subscription_form(_edit_rows(action), subscription)
        return _subscription_page(form, frequencies, subscription)
    form, frequencies = _subscription_form(request.form, subscription)
    chosen = db.session.get(Frequency, form.frequency_id.data) if form.frequency_id.data \
        else None
    valid = form.validate()
    if chosen is None or chosen.company_id != acting_company_id() or (
            not chosen.active and (subscription is None
                                   or subscription.frequency_id != chosen.id)):
        form.frequency_id.errors = list(form.frequency_id.errors) + [
            _("Choose an active frequency.")]
        valid = False
    owned = {c.id for c in sales.company_customers(acting_company_id())}
    if any(entry.form.customer_id.data not in owned for entry in form.subscribers.entries):
        valid = False
    if chosen is not None and not _check_subscribers(form, subscription, chosen):
        valid = False
    if not valid:
        return _subscription_page(form, frequencies, subscription, status=422)
    saved = _save_subscription(form, subscription)
    db.session.commit()
    flash(_("The subscription %(name)s is saved.", name=saved.name))
    return redirect(url_for("sales.edit_subscription", subscription_id=saved.id), 303)


@bp.post("/subscriptions/<int:subscription_id>/delete")
def delete_subscription(subscription_id: int):
    subscription = get_subscription(subscription_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    name = subscription.name
    if not act(lambda: sales.delete_subscription(subscription),
               lambda _done: _("The subscription %(name)s is deleted.", name=name)):
        return redirect(url_for("sales.edit_subscription", subscription_id=subscription_id), 303)
    return redirect(url_for("sales.subscriptions"), 303)


@bp.route("/subscriptions/new", methods=["GET", "POST"])
def new_subscription():
    if request.method == "POST":
        return _handle_subscription_post(None)
    form, frequencies = _subscription_form()
    return _subscription_page(form, frequencies)


@bp.route("/subscriptions/<int:subscription_id>", methods=["GET", "POST"])
def edit_subscription(subscription_id: int):
    subscription = get_subscription(subscription_id)
    if request.method == "POST":
        return _handle_subscription_post(subscription)
    data = MultiDict({"name": subscription.name, "frequency_id": str(subscription.frequency_id)})
    if subscription.active:
        data["active"] = "y"
    for index, line in enumerate(subscription.lines):
        data.update({f"lines-{index}-product_text": line.product_text,
                     f"lines-{index}-quantity": str(line.quantity),
                     f"lines-{index}-unit_price":
                         f"{line.unit_ore // 100},{line.unit_ore % 100:02d}",
                     f"lines-{index}-vat_percent": vat_choice(line.vat_category,
                                                              line.vat_percent)})
    for index, subscriber in enumerate(subscription.subscribers):
        data.update({f"subscribers-{index}-customer_id": str(subscriber.customer_id),
                     f"subscribers-{index}-start_date":
                         subscriber.start_date.isoformat() if subscriber.start_date else "",
                     f"subscribers-{index}-end_date":
                         subscriber.end_date.isoformat() if subscriber.end_date else ""})
        if subscriber.active:
            data[f"subscribers-{index}-active"] = "y"
    form, frequencies = _subscription_form(data, subscription)
    return _subscription_page(form, frequencies, subscription)


# --- the company's own invoices ----------------------------------------------------------

def get_sales_invoice(invoice_id: int) -> Invoice:
    """An invoice the user's company sent (as the seller), else 404."""
    found = db.session.get(Invoice, invoice_id)
    if found is None or found.seller_company_id != acting_company_id():
        abort(404)
    return found


@bp.get("/invoices")
def invoices():
    pagination = paginated(select(Invoice).where(
        Invoice.seller_company_id == acting_company_id())
        .order_by(Invoice.invoice_date.desc(), Invoice.id.desc()))
    return render("sales/invoices.html", invoices=pagination.items, pagination=pagination,
                  today=clock.today())


def _invoice_page(invoice, credit_form=None, status=200):
    return render("sales/invoice.html", invoice=invoice, today=clock.today(),
                  credit_form=credit_form or CreditForm(invoice=invoice), status=status)


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return _invoice_page(get_sales_invoice(invoice_id))


@bp.post("/invoices/<int:invoice_id>/credit")
def credit(invoice_id: int):
    """R-DOC-3: the company credits its own sales invoice (chosen lines or an amount)."""
    found = get_sales_invoice(invoice_id)
    return credit_from_form(found, CreditForm(invoice=found), _invoice_page, "sales.invoice")


@bp.get("/invoices/<int:invoice_id>.<any(pdf, xml):extension>")
def invoice_file(invoice_id: int, extension: str):
    return invoice_download(get_sales_invoice(invoice_id), extension)
