"""The customer portal: home with company, licence and users."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..domain.postal import city_for
from ..domain.statuses import LicenceStatus
from ..extensions import db
from ..forms import EmptyForm
from ..forms.billing import MandateForm
from ..forms.portal import (
    CompanyProfileForm,
    ContactForm,
    LicenceForm,
    SupportForm,
    SupportReplyForm,
)
from ..forms.shop import BuyNowForm
from ..models import (
    Collaboration,
    CustomerAgreement,
    Invoice,
    LicenceSubscription,
    SupportRequest,
    User,
)
from ..services import accounts, avtalegiro, cancellation, catalog, plans, trials
from ..services import collaboration as collaboration_service
from ..services import contacts as contacts_service
from ..services import support as support_service
from ..services.agreements import users_in_use
from ..services.billing import (
    INVOICE_FILTERS,
    active_addons,
    estimate_next_invoice,
    licence_invoices,
    paid_through,
)
from ..services.payments import invoice_payments
from ..templating import local_date, support_category_label
from .access import (
    acting_company,
    acting_company_id,
    acting_licence,
    can,
    get_customer_invoice,
    get_owned,
    require_permission,
)
from .auth import ended_trial
from .common import (
    act,
    invoice_download,
    locale,
    paginated,
    refuse,
    render,
    submit,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")


ENDED_TRIAL_PAGES = ("portal.buy", "portal.support", "portal.support_request")


@bp.before_request
@login_required
def require_customer():
    if current_user.is_operator:
        abort(404)
    if request.endpoint not in ENDED_TRIAL_PAGES and ended_trial(current_user) is not None:
        return redirect(url_for("portal.buy"), 303)  # an ended trial can buy, or ask us


def current_subscription() -> LicenceSubscription | None:
    return acting_licence()


@bp.route("/buy", methods=["GET", "POST"])
def buy():
    """R-TRIAL-2: "Buy now" checks edition, interval, company, contact, invoice e-mail and
    address, then converts the trial without losing anything."""
    require_permission("can_billing")
    subscription = current_subscription()
    if subscription is None or not subscription.is_trial:
        return redirect(url_for("portal.home"), 303)
    company = acting_company()
    agreement = subscription.agreement
    form = BuyNowForm(editions=catalog.shop_editions(), intervals=catalog.intervals(),
                      locale=locale())
    if request.method == "GET":
        form.edition.data = subscription.plan_code
        form.billing_interval.data = subscription.billing_interval
        form.company_name.data, form.contact_person.data = company.name, company.contact_person
        form.invoice_email.data = agreement.invoice_email
        form.address_line.data = agreement.invoice_address_line or company.address_line
        form.postal_code.data = agreement.invoice_postal_code or company.postal_code
        form.city.data = city_for(form.postal_code.data or "") or ""
    elif form.validate():
        trials.buy_now(subscription, company, clock.now(), edition=form.edition.data,
                       interval=form.billing_interval.data,
                       company_name=form.company_name.data.strip(),
                       contact_person=form.contact_person.data.strip(),
                       invoice_email=form.invoice_email.data,
                       address_line=form.address_line.data.strip(),
                       postal_code=form.postal_code.data.strip(),
                       city=city_for(form.postal_code.data))
        db.session.commit()
        flash(_("Thank you! Kvitt is yours; the first invoice comes tomorrow."))
        return redirect(url_for("portal.home"), 303)
    ended = subscription.status == LicenceStatus.DEACTIVATED
    addons = active_addons(subscription)
    quote = catalog.quote_order(form.edition.data or subscription.plan_code,
                                subscription.quantity, list(addons),
                                form.billing_interval.data or subscription.billing_interval,
                                locale())
    return render("portal/buy.html", form=form, ended=ended, subscription=subscription,
                  quote=quote, addons=addons,
                  interval=form.billing_interval.data or subscription.billing_interval,
                  status=422 if request.method == "POST" else 200)


@bp.get("/users")
@bp.get("/groups")
@bp.get("/agreements")
def moved_to_admin():
    """These Admin pages were under /portal before Admin had one area: bookmarks still work."""
    require_permission("can_admin")
    return redirect(request.full_path.rstrip("?").replace("/portal/", "/admin/", 1), 301)


@bp.get("/")
def home():
    company = acting_company()
    subscription = current_subscription()
    users = db.session.scalars(select(User).where(User.company_id == company.id, User.active)
                               .order_by(User.first_name, User.last_name)
                               .limit(HOME_USERS + 1)).all()
    used = users_in_use(company.agreement_id)
    today = clock.today()
    unpaid = licence_invoices("open", today, company.agreement_id or 0)
    overdue = db.session.scalar(select(func.count()).select_from(
        licence_invoices("overdue", today, company.agreement_id or 0).subquery()))
    open_invoices = db.session.scalars(unpaid.order_by(Invoice.due_date).limit(5)).all() \
        if can("can_billing") else []
    days_left = None
    if subscription is not None and subscription.status == LicenceStatus.TRIAL:
        days_left = max(0, (subscription.trial_ends_on - today).days)
    return render("portal/home.html", company=company, subscription=subscription,
                  users=users[:HOME_USERS], more_users=len(users) > HOME_USERS, used=used,
                  open_invoices=open_invoices, overdue=overdue, today=today,
                  days_left=days_left, next_invoice=_next_invoice(subscription),
                  paid_through=paid_through(subscription) if subscription else None,
                  addons=active_addons(subscription) if subscription else ())


# The portal home shows the first users; the users page has them all.
HOME_USERS = 10


def _next_invoice(subscription):
    """When the next licence invoice comes and what it will be as things stand."""
    if subscription is None:
        return None
    return estimate_next_invoice(subscription)


@bp.get("/invoices")
def invoices():
    require_permission("can_billing")
    status = request.args.get("status") if request.args.get("status") in INVOICE_FILTERS else ""
    query = licence_invoices(status, clock.today(), acting_company().agreement_id or 0)
    pagination = paginated(query.order_by(Invoice.invoice_date.desc(), Invoice.id.desc()))
    return render("portal/invoices.html", pagination=pagination, status_filter=status,
                  filters=INVOICE_FILTERS, today=clock.today())


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    require_permission("can_billing")
    found = get_customer_invoice(invoice_id)
    return render("portal/invoice.html", invoice=found, today=clock.today(),
                  payments=invoice_payments(found.id))


@bp.get("/invoices/<int:invoice_id>.<any(pdf, xml):extension>")
def invoice_file(invoice_id: int, extension: str):
    require_permission("can_billing")
    return invoice_download(get_customer_invoice(invoice_id), extension)


@bp.route("/cancel", methods=["GET", "POST"])
def cancel():
    """Cancel the subscription (an administrator only); the date follows the rules."""
    require_permission("can_admin")
    subscription = current_subscription()
    if subscription is None:
        abort(404)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            ends_on = cancellation.cancel(subscription, current_user, clock.now())
        except cancellation.CancellationError:
            db.session.rollback()
            flash(_("The subscription is already cancelled."))
            return redirect(url_for("portal.cancel"), 303)
        db.session.commit()
        flash(_("Cancelled. You have access until and including %(date)s; a confirmation is "
                "on its way by e-mail.", date=local_date(ends_on)))
        return redirect(url_for("portal.home"), 303)
    return render("portal/cancel.html", form=form, subscription=subscription,
                  ends_on=subscription.cancel_on or cancellation.effective_date(
                      subscription, clock.today()))


@bp.route("/company", methods=["GET", "POST"])
def company_profile():
    """R-PLAN-4: the company profile; an organisation number already registered is explained."""
    require_permission("can_admin")
    company = acting_company()
    agreement = company.agreement
    form = CompanyProfileForm(obj=company if request.method == "GET" else None)
    if request.method == "GET" and agreement is not None:
        form.buyer_reference.data = agreement.buyer_reference
        form.peppol_id.data, form.delivery.data = agreement.peppol_id, agreement.delivery
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            fields = ("name", "organisation_number", "address_line", "postal_code",
                      "vat_registered", "business_register", "bank_account", "iban", "bic",
                      "invoice_email", "payment_terms", "buyer_reference", "peppol_id",
                      "delivery")
            if submit(lambda: accounts.save_company_profile(company, **{
                    name: getattr(form, name).data for name in fields}),
                    form.organisation_number, form):
                flash(_("The company profile is saved."))
                return redirect(url_for("portal.company_profile"), 303)
    return render("portal/company.html", form=form, status=status)


CONTACT_MESSAGES = {
    "contact": lambda: _("The main contact is changed; the old and the new contact are told "
                         "by e-mail."),
    "invoice_email": lambda: _("Invoices go to the new e-mail address from now on; the old "
                               "and the new address are told by e-mail."),
    "invoice_address": lambda: _("The invoice address is changed."),
}


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    """R-PLAN-6: the main contact (one of the company's administrators) and the invoice
    e-mail and address of Kvitt's invoices, each change confirmed to the old and new address."""
    require_permission("can_admin")
    company = acting_company()
    agreement = company.agreement
    if agreement is None or agreement.owner_company_id != company.id:
        abort(404)  # a company in another's agreement: its owner decides
    administrators = contacts_service.administrators(company.id)
    form = ContactForm(administrators=administrators)
    status = 200
    if request.method == "GET":
        chosen = contacts_service.main_contact(company)
        form.contact_id.data = chosen.id if chosen else None
        form.invoice_email.data = agreement.invoice_email
        form.address_line.data = agreement.invoice_address_line
        form.postal_code.data = agreement.invoice_postal_code
    else:
        status = 422
        done = form.validate() and submit(lambda: contacts_service.change(
            company, current_user, clock.now(), contact_id=form.contact_id.data,
            invoice_email=form.invoice_email.data, address_line=form.address_line.data,
            postal_code=form.postal_code.data), form.contact_id, form)
        if done:
            for what in done.value:
                flash(CONTACT_MESSAGES[what]())
            if not done.value:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("portal.contact"), 303)
    return render("portal/contact.html", form=form, agreement=agreement, status=status)


# --- Plan, add-ons and billing interval ----------------------------------------------------

PLAN_MESSAGES = {
    "now": lambda: _("Upgraded. It works at once; the rest of the paid period is invoiced "
                     "tomorrow morning."),
    "next_period": lambda: _("The change takes effect from the next period."),
    "unchanged": lambda: _("Nothing changed."),
    "extras": lambda: _("Saved: new add-ons work at once and the rest of the paid period is "
                        "invoiced tomorrow morning; removed add-ons and a new billing interval "
                        "take effect from the next period."),
}


@bp.route("/avtalegiro", methods=["GET", "POST"])
def avtalegiro_page():
    """R-PAY-1: the customer asks for AvtaleGiro (the bank confirms it) or stops it."""
    require_permission("can_billing")
    agreement = db.get_or_404(CustomerAgreement, acting_company().agreement_id)
    mandate = avtalegiro.mandate_in_force(agreement.id)
    form = MandateForm()
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "stop" and mandate is not None:
            if EmptyForm().validate_on_submit():
                avtalegiro.cancel_mandate(mandate, clock.now())
                db.session.commit()
                flash(_("AvtaleGiro is stopped: invoices not yet debited are paid the ordinary "
                        "way. Remember to delete the agreement in your online bank too."))
            return redirect(url_for("portal.avtalegiro_page"), 303)
        if mandate is None and form.validate_on_submit():
            avtalegiro.request_mandate(agreement, clock.now(), limit_ore=form.limit_ore,
                                       notify=form.notify.data, user_id=current_user.id)
            db.session.commit()
            flash(_("Thank you. Confirm the agreement in your online bank with the KID shown "
                    "here; it is active when the bank confirms it to us."))
            return redirect(url_for("portal.avtalegiro_page"), 303)
        status = 422
    return render("portal/avtalegiro.html", agreement=agreement, mandate=mandate, form=form,
                  stop_form=EmptyForm(), kid=avtalegiro.mandate_kid(agreement.id),
                  account=avtalegiro.vendor_account(), status=status)


@bp.route("/plan", methods=["GET", "POST"])
def plan():
    require_permission("can_billing")
    subscription = current_subscription()
    if subscription is None or subscription.status != LicenceStatus.ACTIVE:
        return redirect(url_for("portal.home"), 303)
    current = catalog.price_list().items.get(subscription.plan_code or "")
    if request.method == "POST" and EmptyForm().validate_on_submit():
        def extras():  # what the form changes beside the plan
            return ({(a.addon_code, a.removed_from) for a in subscription.addons},
                    subscription.next_billing_interval)

        def change():  # the plan, and for an edition its add-ons and interval
            outcome = plans.change_plan(subscription, request.form.get("plan", ""), clock.now())
            if current is not None and current.kind == "edition":
                plans.set_addons(subscription, set(request.form.getlist("addons")), clock.now())
                plans.change_interval(subscription, request.form.get("interval", ""))
            return outcome

        before = extras()
        # The choices are the page's own lists: a refusal (a choice not on them) is shown over
        # the page as it is, with status 422.
        if not act(change, lambda outcome: PLAN_MESSAGES[
                "extras" if outcome == "unchanged" and extras() != before else outcome]()):
            return render("portal/plan.html", preview=None, status=422,
                          **_plan_context(subscription))
        return redirect(url_for("portal.plan"), 303)
    return render("portal/plan.html", preview=None, **_plan_context(subscription))


LICENCE_MESSAGES = {
    "now": lambda: _("More licences: they work at once and the rest of the paid period is "
                     "invoiced tomorrow morning."),
    "next_period": lambda: _("Fewer licences from the next period."),
    "unchanged": lambda: _("Nothing changed."),
}


def _active_subscription():
    """The agreement's running licence subscription, for the plan and licence forms."""
    require_permission("can_billing")
    subscription = current_subscription()
    if subscription is None or subscription.status != LicenceStatus.ACTIVE:
        abort(404)
    return subscription


@bp.post("/licences")
def licences():
    """R-PLAN-6: more licences at once (the rest of the period invoiced the next morning),
    fewer from the next period; never fewer than the users in use."""
    subscription = _active_subscription()
    form = LicenceForm()
    done = form.validate_on_submit() and submit(
        lambda: plans.change_quantity(subscription, form.licences.data, clock.now()),
        form.licences, form)
    if done:
        flash(LICENCE_MESSAGES[done.value]())
        return redirect(url_for("portal.plan"), 303)
    body, status = render("portal/plan.html", "portal/_licence_form.html", preview=None,
                          status=422, **_plan_context(subscription, form))
    # A refusal replaces the licence form only, and the address stays the plan page's.
    return body, status, {"HX-Retarget": "#licences", "HX-Reswap": "outerHTML",
                          "HX-Push-Url": "false"}


@bp.post("/licences/preview")
def licence_preview():
    """What the licence form would do if saved now (nothing is kept)."""
    subscription = _active_subscription()
    form = LicenceForm()
    shown = None
    if form.validate_on_submit():
        try:
            shown = plans.preview_quantity(subscription, form.licences.data, clock.now())
        except plans.PlanError as error:
            db.session.rollback()
            refuse(error, form.licences, form)
    return render("portal/plan.html", "portal/_licence_form.html", preview=None,
                  licence_preview=shown, **_plan_context(subscription, form))


def _plan_context(subscription, licence_form: LicenceForm | None = None) -> dict:
    prices = catalog.price_list()
    current = prices.items.get(subscription.plan_code or "")
    choices = sorted((item for item in prices.items.values() if current is not None
                      and item.kind == current.kind and item.product == current.product
                      and item.price_ore is not None), key=lambda item: item.sort_order)
    return {"subscription": subscription, "choices": choices, "form": EmptyForm(),
            "addons": catalog.shop_addons() if current and current.kind == "edition" else [],
            "intervals": catalog.intervals(), "chosen_addons": set(active_addons(subscription)),
            "next_invoice": _next_invoice(subscription),
            "licence_form": licence_form or LicenceForm(formdata=None, data={
                "licences": subscription.next_quantity or subscription.quantity}),
            "users_in_use": users_in_use(subscription.agreement_id),
            "licences_fixed": plans.licences_fixed(subscription.plan_code)}


@bp.post("/plan/preview")
def plan_preview():
    """What the plan form would do if saved now: the invoice the next morning and the next
    regular invoice (nothing is kept)."""
    subscription = _active_subscription()
    current = catalog.price_list().items.get(subscription.plan_code or "")
    editions = current is not None and current.kind == "edition"
    try:
        shown = plans.preview(subscription, request.form.get("plan", ""),
                              set(request.form.getlist("addons")) if editions else None,
                              request.form.get("interval", "") if editions else None,
                              clock.now())
    except plans.PlanError:
        db.session.rollback()
        shown = None
    return render("portal/plan.html", "portal/_plan_preview.html", preview=shown,
                  **_plan_context(subscription))


# --- Collaborations with accounting firms (seed 004, the client's side) ---------------------

@bp.get("/collaborations")
def collaborations():
    """R-COLLAB-7: the client's administrators see the firms they work with and end one."""
    require_permission("can_admin")
    rows = collaboration_service.client_collaborations(acting_company_id())
    return render("portal/collaborations.html", rows=rows, action_form=EmptyForm(),
                  group_name=collaboration_service.access_group_name)


@bp.post("/collaborations/<int:collaboration_id>/end")
def end_collaboration(collaboration_id: int):
    require_permission("can_admin")
    found = get_owned(Collaboration, collaboration_id, "client_company_id")
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        last_day = collaboration_service.end(found, clock.now(), by=current_user)
    except collaboration_service.CollaborationError:
        db.session.rollback()
        flash(_("The collaboration has already ended."), "error")
    else:
        db.session.commit()
        flash(_("The collaboration with %(partner)s has ended; the firm's users no longer have "
                "access to the company.", partner=found.partner.name) +
              (" " + _("The service runs until and including %(date)s.",
                       date=local_date(last_day)) if last_day else ""))
    return redirect(url_for("portal.collaborations"), 303)


# --- Support requests (R-SUPPORT-1) ------------------------------------------------------------



def _sees_all_requests() -> bool:
    return can("can_admin")


@bp.route("/support", methods=["GET", "POST"])
def support():
    """Ask the vendor for help (users and licences, more trial days, add-ons, a quote, an
    error…); the requests sent and their answers."""
    form = SupportForm(labels=support_category_label)
    status = 200
    if request.method == "GET":
        form.category.data = request.args.get("category") or ""
        form.page.data = (request.args.get("from") or request.referrer or "")[:300]
    else:
        status = 422
        done = form.validate() and submit(lambda: support_service.create_request(
            acting_company(), current_user, clock.now(), category=form.category.data,
            text=form.text.data, page=form.page.data), form.text, form)
        if done:
            flash(_("Thank you: request %(number)s is sent. We answer by e-mail and here.",
                    number=done.value.id))
            return redirect(url_for("portal.support_request", request_id=done.value.id), 303)
    pagination = paginated(support_service.visible_requests(
        acting_company_id(), current_user, _sees_all_requests()))
    return render("portal/support.html", form=form, pagination=pagination, status=status)


@bp.route("/support/<int:request_id>", methods=["GET", "POST"])
def support_request(request_id: int):
    found = get_owned(SupportRequest, request_id)
    if found.user_id != current_user.id and not _sees_all_requests():
        abort(404)
    form = SupportReplyForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate() and submit(lambda: support_service.customer_writes(
                found, current_user, form.text.data, clock.now()), form.text, form):
            flash(_("Your message is sent."))
            return redirect(url_for("portal.support_request", request_id=found.id), 303)
    return render("portal/support_request.html", request_=found, form=form, status=status)
