"""The web shop: four steps at real URLs, the live price, confirmation and activation."""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from .. import clock
from ..domain import usernames
from ..domain.postal import city_for
from ..domain.statuses import OrderStatus
from ..extensions import db
from ..forms import LINE_LIMIT, TEXT_LIMIT, EmptyForm, without_control_characters
from ..forms.shop import (
    MAX_USERS,
    ActivationForm,
    CompanyForm,
    ProductForm,
    TermsForm,
    UserRowForm,
    UsersForm,
)
from ..models import Company, Order
from ..services import catalog, shop
from ..services.accounts import is_administrator
from ..services.billing import licensed
from ..services.tokens import TokenError
from .access import acting_company_id
from .common import is_htmx_fragment_request, locale, number_from, render

bp = Blueprint("shop", __name__)
# An order of the largest size fits in far less; anything larger is not an order.
SHOP_BODY_LIMIT = 2 * 1024 * 1024


@bp.before_request
def bounded_body() -> None:
    request.max_content_length = SHOP_BODY_LIMIT

STEPS = ("product", "company", "users", "terms")
MAX_DRAFTS_IN_SESSION = 20
_ROW_FIELD = re.compile(r"^users-(\d+)-(first_name|last_name|email|username|user_group)$")


# --- drafts -------------------------------------------------------------------------------

def remember_draft(order: Order) -> None:
    drafts = [d for d in session.get("drafts", []) if d != order.public_id]
    session["drafts"] = (drafts + [order.public_id])[-MAX_DRAFTS_IN_SESSION:]


def get_draft(public_id: str) -> Order:
    """Return this browser's draft, or 404 (a draft of someone else does not exist for you)."""
    if public_id not in session.get("drafts", []):
        abort(404)
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    if order is None:
        abort(404)
    return order


def buys_addons_only() -> bool:
    """A logged-in administrator of a customer may order add-ons only (product "None")."""
    return (current_user.is_authenticated and not current_user.is_operator
            and is_administrator(current_user, acting_company_id()))


def skipped_steps(order: Order) -> set[str]:
    return {"users"} if shop.selection(order)["edition"] is None and order.existing_company_id \
        else set()


def visible_steps(order: Order) -> list[str]:
    skipped = skipped_steps(order)
    return [step for step in STEPS if step not in skipped]


def step_form(order: Order, step: str, formdata=None, csrf: bool = True):
    """Build a step's form from posted data, or from the draft's saved raw input."""
    meta = {} if csrf else {"csrf": False}
    if formdata is None:
        saved = getattr(order, f"{step}_data") if step != "terms" else None
        formdata = _as_multidict(step, saved) if saved else None
    loc = locale()
    if step == "product":
        form = ProductForm(formdata=formdata, meta=meta, editions=catalog.shop_editions(),
                           plans=catalog.shop_plans(), addons=catalog.shop_addons(),
                           locale=loc, may_buy_addons_only=bool(order.existing_company_id)
                           or buys_addons_only())
        if formdata is None:
            asked = request.args.get("product")  # "Order Kvitt eFaktura" links to its plans
            if asked in dict(form.product.choices):
                form.product.data = asked
            form.product.data = form.product.data or form.product.choices[0][0]
            if request.args.get("trial") == "1" or session.get("trial_start"):
                form.mode.data = "trial"
    elif step == "company":
        monthly = catalog.is_plan(shop.selection(order)["edition"])
        form = CompanyForm(formdata=formdata, meta=meta,
                           intervals=catalog.intervals(monthly=monthly))
        if formdata is None:
            form.billing_interval.data = "annual"
            if order.existing_company_id:
                _prefill_existing_company(form, order)
        if monthly:  # Kvitt eFaktura has one interval, whatever was saved before
            form.billing_interval.data = "monthly"
    elif step == "users":
        selection = shop.selection(order)
        form = UsersForm(formdata=formdata, meta=meta,
                         licensed_users=licensed(selection["edition"], selection["users"]))
        if formdata is None:
            _prefill_first_user(form, order)
    else:
        form = TermsForm(formdata=formdata, meta=meta)
    return form


def _as_multidict(step: str, saved) -> MultiDict:
    if step == "users":
        pairs = [(f"users-{i}-{name}", value) for i, row in enumerate(saved)
                 for name, value in row.items()]
        return MultiDict(pairs)
    pairs = []
    for name, value in saved.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return MultiDict(pairs)


def _prefill_existing_company(form: CompanyForm, order: Order) -> None:
    company = db.session.get_one(Company, order.existing_company_id)
    form.company_name.data, form.contact_person.data = company.name, company.contact_person
    form.email.data, form.phone.data = company.email, company.phone
    if company.agreement:
        form.billing_interval.data = company.agreement.billing_interval


def _prefill_first_user(form: UsersForm, order: Order) -> None:
    """R-SHOP-5: the first user is suggested from the company step."""
    data = order.company_data or {}
    first, _, last = (data.get("contact_person") or "").strip().partition(" ")
    form.users.append_entry({
        "first_name": first, "last_name": last.strip(), "email": data.get("email", ""),
        "username": usernames.suggest(first) if first else "", "user_group": "administrators"})


def raw_input(step: str) -> dict | list:
    """The posted fields of a step as typed, within bounds: no field longer than a form
    accepts, no more user rows than an order may have, no control characters kept."""
    form = request.form
    if step == "product":
        return {"mode": _kept(form.get("mode")), "product": _kept(form.get("product")),
                "users": _kept(form.get("users")),
                "addons": [_kept(code) for code in form.getlist("addons")[:50]]}
    if step == "company":
        names = ("company_name", "organisation_number", "contact_person", "email", "phone",
                 "billing_interval", "employee_count", "comment", "is_partner")
        return {name: _kept(form.get(name), multiline=name == "comment") for name in names}
    if step == "users":
        rows: dict[int, dict] = {}
        for key, value in form.items():
            match = _ROW_FIELD.match(key)
            if match and int(match.group(1)) < MAX_USERS:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = _kept(value)
        return [rows[index] for index in sorted(rows)]
    return {}


def _kept(value: str | None, multiline: bool = False) -> str:
    limit = TEXT_LIMIT if multiline else LINE_LIMIT
    return without_control_characters((value or "")[:limit * 2], multiline)[:limit]


def first_incomplete_step(order: Order) -> str | None:
    """The first step whose saved input is missing or does not validate."""
    for step in visible_steps(order)[:-1]:
        saved = getattr(order, f"{step}_data")
        if not saved:
            return step
        if not step_form(order, step, _as_multidict(step, saved), csrf=False).validate():
            return step
    return None


def _store_clean(order: Order, step: str, form) -> None:
    """Keep the normalised values (e-mail, phone) after a step validates."""
    if step == "company":
        data = {name: form[name].data for name in ("company_name", "organisation_number",
                                                   "contact_person", "email", "phone",
                                                   "billing_interval", "comment")}
        data["employee_count"] = str(form.employee_count.data or "")
        data["is_partner"] = "y" if form.is_partner.data else ""
        shop.save_step(order, step, data, clock.now())
    elif step == "users":
        rows = [{name: (entry.form[name].data or "").strip() for name in
                 ("first_name", "last_name", "email", "username", "user_group")}
                for entry in form.users.entries]
        shop.save_step(order, step, rows, clock.now())
    elif step == "product":
        shop.save_step(order, step, raw_input(step), clock.now())


# --- pages --------------------------------------------------------------------------------

@bp.get("/order")
def start():
    """The first step of a new order. Nothing is stored until the customer sends it: the
    draft is made by the first POST (so a visit, a bot or a reload leaves no row behind)."""
    order = shop.unsaved_draft(clock.now())
    if buys_addons_only() and request.args.get("addons") == "1":
        order.existing_company_id = acting_company_id()
        order.product_data = {"mode": "buy", "product": "none", "users": "1", "addons": []}
    elif request.args.get("trial") == "1":
        order.product_data = {"mode": "trial", "product": "", "users": "1", "addons": []}
    form = step_form(order, "product")
    if not order.product_data.get("product"):
        # An edition is chosen from the start, and the price beside the form is its price.
        form.product.data = form.product.data or form.product.choices[0][0]
        order.product_data = {"mode": form.mode.data or "buy", "product": form.product.data,
                              "users": str(form.users.data or 1), "addons": []}
    return _render_step(order, "product", form)


@bp.post("/order")
def create():
    """The first step sent: the draft begins here, with what was typed, valid or not."""
    order = shop.new_draft(clock.now(), current_user if current_user.is_authenticated else None)
    remember_draft(order)
    return _post_step(order, "product")


@bp.route("/order/<public_id>/<step>", methods=["GET", "POST"])
def step(public_id: str, step: str):
    if step not in STEPS:
        abort(404)
    order = get_draft(public_id)
    if order.status != OrderStatus.DRAFT:
        return redirect(url_for("shop.confirmed", public_id=public_id), 303)
    if step in skipped_steps(order):
        abort(404)
    if request.method == "GET":
        blocking = first_incomplete_step(order)
        if blocking and STEPS.index(blocking) < STEPS.index(step):
            return redirect(url_for("shop.step", public_id=public_id, step=blocking), 303)
        return _render_step(order, step, step_form(order, step))
    return _post_step(order, step)


def _post_step(order: Order, step: str):
    public_id = order.public_id
    action = request.form.get("action", "next")
    if step != "terms":
        shop.save_step(order, step, raw_input(step), clock.now())
    steps = visible_steps(order)
    position = steps.index(step)
    if action == "back" and position > 0:
        db.session.commit()
        return redirect(url_for("shop.step", public_id=public_id, step=steps[position - 1]), 303)
    if step == "users" and (action == "add" or action.startswith("remove-")):
        _edit_user_rows(order, action)
        db.session.commit()
        return redirect(url_for("shop.step", public_id=public_id, step="users") + "#users-end",
                        303)
    form = step_form(order, step, request.form)
    if not form.validate():
        db.session.commit()  # keep what was typed, even when it does not validate
        return _render_step(order, step, form, status=422)
    if step == "product" and form.product.data == "none":
        order.existing_company_id = acting_company_id()
    elif step == "product":
        order.existing_company_id = None
    _store_clean(order, step, form)
    if step == "terms":
        return _confirm(order, form)
    db.session.commit()
    next_step = visible_steps(order)[visible_steps(order).index(step) + 1]
    return redirect(url_for("shop.step", public_id=public_id, step=next_step), 303)


def _confirm(order: Order, form):
    blocking = first_incomplete_step(order)
    if blocking:
        db.session.rollback()
        return redirect(url_for("shop.step", public_id=order.public_id, step=blocking), 303)
    order.terms_accepted_at = clock.now()
    try:
        shop.place_order(order, clock.now(), locale())
        db.session.commit()
    except IntegrityError:
        # Two orders took the same customer id at once: try once more with the next one.
        db.session.rollback()
        order = get_draft(order.public_id)
        shop.place_order(order, clock.now(), locale())
        db.session.commit()
    return redirect(url_for("shop.confirmed", public_id=order.public_id), 303)


def _edit_user_rows(order: Order, action: str) -> None:
    rows = list(order.users_data or [])
    if action == "add":
        rows.append({"first_name": "", "last_name": "", "email": "", "username": "",
                     "user_group": "users"})
    else:
        position = action.removeprefix("remove-")
        index = int(position) if position.isascii() and position.isdigit() else -1
        if 0 <= index < len(rows):
            rows.pop(index)
    shop.save_step(order, "users", rows, clock.now())


def _render_step(order: Order, step: str, form, status: int = 200):
    context = {"order": order, "form": form, "step": step, "steps": visible_steps(order),
               "summary": shop.order_summary(order, locale()), "empty_form": EmptyForm()}
    if step == "product":
        context["addons"] = catalog.shop_addons()
        context["plans"] = catalog.shop_plans()
    context["monthly_plan"] = catalog.is_plan(context["summary"]["selection"]["edition"])
    return render(f"shop/{step}.html", status=status, **context)


@bp.post("/order/<public_id>/<step>/save")
def autosave(public_id: str, step: str):
    """Keep a step's input as it is typed, so a reload or a new tab loses nothing."""
    if step not in STEPS[:-1]:
        abort(404)
    order = get_draft(public_id)
    if order.status != OrderStatus.DRAFT:
        return "", 204
    shop.save_step(order, step, raw_input(step), clock.now())
    db.session.commit()
    return "", 204


# The live price is a pure function of what is asked, the language and the catalog revision:
# the fragment is drawn once per such question and process, then served from memory.
PRICE_FRAGMENTS_KEPT = 4096
_price_fragments: OrderedDict[tuple, str] = OrderedDict()
_price_fragments_lock = threading.Lock()


@bp.get("/order/price")
def price():
    """The live price as a fragment (pure: reads the catalog, writes nothing)."""
    product = request.args.get("product") or request.args.get("edition") or ""  # Buy now
    users = min(number_from(request.args, "users", 0), 9999)
    interval = "monthly" if catalog.is_plan(product) else \
        request.args.get("billing_interval") or "annual"
    addons = tuple(request.args.getlist("addons")[:20])
    trial = request.args.get("mode") == "trial"
    language = locale()

    def draw(template: str) -> str:
        quote = catalog.quote_order(None if product in ("", "none") else product, users,
                                    list(addons), interval, language)
        return render_template(template, quote=quote, interval=interval, trial=trial)

    if not is_htmx_fragment_request():
        return draw("shop/price_page.html")
    key = (product, users, addons, interval, trial, language, catalog.price_list().token)
    with _price_fragments_lock:
        body = _price_fragments.get(key)
        if body is not None:
            _price_fragments.move_to_end(key)
            return body
    body = draw("shop/_price.html")
    with _price_fragments_lock:
        _price_fragments[key] = body
        if len(_price_fragments) > PRICE_FRAGMENTS_KEPT:
            _price_fragments.popitem(last=False)
    return body


@bp.get("/order/<public_id>/users/suggest")
def suggest_username(public_id: str):
    """Inline check of one user row's username, with a suggestion from the first name."""
    order = get_draft(public_id)
    if not is_htmx_fragment_request():  # a link followed by hand: the step it belongs to
        return redirect(url_for("shop.step", public_id=public_id, step="users"), 303)
    row = number_from(request.args, "row", None)
    if row is None or row >= MAX_USERS:
        abort(404)
    prefix = f"users-{row}-"
    username = (request.args.get(prefix + "username") or "").strip()
    first_name = request.args.get(prefix + "first_name") or ""
    if not username and first_name.strip():
        taken = {value for key, value in request.args.items()
                 if key.endswith("-username") and key != prefix + "username"}
        username = usernames.suggest(first_name, taken)
    row_form = UserRowForm(MultiDict({"username": username}))
    row_form.validate()  # only the username's verdict is shown
    return render("shop/users.html", "shop/_username_field.html", order=order, index=row,
                  value=username, errors=row_form.username.errors,
                  warning=row_form.username_warning)


@bp.get("/order/<public_id>/confirmed")
def confirmed(public_id: str):
    order = get_draft(public_id)
    if order.status == OrderStatus.DRAFT:
        return redirect(url_for("shop.step", public_id=public_id, step="terms"), 303)
    return render("shop/confirmed.html", order=order,
                  summary=shop.order_summary(order, locale()))


@bp.get("/postal-code")
def postal_code():
    """The city of a postal code (fills the city field as the code is typed)."""
    code = (request.args.get("postal_code") or "").strip()
    return render("shop/postal_page.html", "shop/_city.html", code=code, city=city_for(code))


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str):
    try:
        order = shop.activation_order(token)
    except TokenError as error:
        return render("shop/activation_refused.html", reason=error.reason,
                      status=410 if error.reason in ("used", "expired") else 404)
    summary = shop.order_summary(order, locale())
    trial = summary["selection"]["trial"]
    needs_address = shop.needs_invoice_address(order)  # not for a trial or Free
    form = ActivationForm() if needs_address else EmptyForm()
    page = {"order": order, "form": form, "trial": trial, "needs_address": needs_address,
            "summary": summary, "token": token}
    if request.method == "POST":
        if not form.validate():
            return render("shop/activate.html", "shop/_activation_form.html", status=422,
                          **page)
        address = None if not needs_address else {
            "address_line": form.address_line.data.strip(),
            "postal_code": form.postal_code.data.strip(),
            "city": city_for(form.postal_code.data)}
        try:
            shop.activate_order(token, clock.now(), locale(), address)
        except TokenError as error:
            db.session.rollback()
            return render("shop/activation_refused.html", reason=error.reason, status=410)
        db.session.commit()
        return redirect(url_for("shop.activated", public_id=order.public_id), 303)
    return render("shop/activate.html", **page)


@bp.get("/activated/<public_id>")
def activated(public_id: str):
    order = db.session.scalar(select(Order).where(Order.public_id == public_id,
                                                  Order.status == OrderStatus.ACTIVATED))
    if order is None:
        abort(404)
    return render("shop/activated.html", order=order, company=order.company)
