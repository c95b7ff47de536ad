"""Admin → Customer agreements (R-AGR-1…4): agreements with their companies and licences, the
new-company wizard, moves, access for users and the re-invoicing basis."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from .. import clock
from ..domain.postal import city_for
from ..extensions import db
from ..forms import EmptyForm
from ..forms.agreements import (
    AgreementForm,
    DraftAddressForm,
    DraftCompanyForm,
    InviteForm,
    MoveForm,
)
from ..models import Company, CompanyDraft, CustomerAgreement, Membership, UserGroup
from ..services import agreements as service
from .access import acting_company, acting_company_id, require_permission
from .common import act, is_htmx_fragment_request, paginated, render, submit

bp = Blueprint("agreements", __name__, url_prefix="/admin/agreements")




@bp.before_request
@login_required
def require_administrator():
    if current_user.is_operator:
        abort(404)
    require_permission("can_admin")


# --- loaders: another owner's things are 404 ----------------------------------------------

def _agreement(agreement_id: int) -> CustomerAgreement:
    found = db.session.get(CustomerAgreement, agreement_id)
    if found is None or found.deleted_at is not None \
            or found.owner_company_id != acting_company_id():
        abort(404)
    return found


def _company(company_id: int) -> Company:
    found = db.session.get(Company, company_id)
    if found is None or found.agreement is None \
            or found.agreement.owner_company_id != acting_company_id():
        abort(404)
    return found


def _draft(draft_id: int) -> CompanyDraft:
    found = db.session.get(CompanyDraft, draft_id)
    if found is None:
        abort(404)
    _agreement(found.agreement_id)
    return found


# --- the list -----------------------------------------------------------------------------

@bp.get("")
def index():
    return _index(AgreementForm())


def _index(form: AgreementForm, status: int = 200):
    owner = acting_company_id()
    pagination = paginated(service.owned_agreements_query(owner))
    return render("agreements/index.html", rows=service.summaries(pagination.items),
                  pagination=pagination, form=form, action_form=EmptyForm(),
                  moves=service.moves_of(service.owner_agreement_ids(owner), limit=20),
                  status=status)


@bp.post("")
def create():
    """R-AGR-2: create, then straight on into the new-company wizard."""
    form = AgreementForm()
    def create_with_draft():
        agreement = service.create_agreement(acting_company(), clock.now(),
                                             name=form.name.data,
                                             customer_number=form.customer_number.data)
        return agreement, service.start_draft(agreement, current_user, clock.now())

    if form.validate():
        done = submit(create_with_draft, form.name, form)
        if done is not None:
            agreement, draft = done.value
            flash(_("The agreement %(name)s is created. Now create its first company, or "
                    "continue later.", name=agreement.name))
            return redirect(url_for("agreements.wizard", draft_id=draft.id, step="company"), 303)
    return _index(form, status=422)


@bp.get("/<int:agreement_id>")
def show(agreement_id: int):
    agreement = _agreement(agreement_id)
    return _show(agreement, InviteForm(companies=agreement.companies))


def _show(agreement: CustomerAgreement, invite: InviteForm, status: int = 200):
    companies = sorted(agreement.companies, key=lambda c: c.name.lower())
    access: dict[int, list[tuple]] = {}
    for membership, user, group in service.access_rows([c.id for c in companies]):
        access.setdefault(membership.company_id, []).append((membership, user, group))
    [summary] = service.summaries([agreement])
    return render("agreements/show.html", agreement=agreement, companies=companies,
                  access=access, summary=summary, invite=invite, action_form=EmptyForm(),
                  moves=service.moves_of([agreement.id]), status=status)


@bp.post("/<int:agreement_id>/delete")
def delete(agreement_id: int):
    agreement = _agreement(agreement_id)
    if not EmptyForm().validate():
        abort(400)
    act(lambda: service.delete_agreement(agreement, clock.now()),
        lambda _done: _("The agreement %(name)s is deleted.", name=agreement.name))
    return redirect(url_for("agreements.index"), 303)


# --- the new-company wizard (R-AGR-2) -----------------------------------------------------

@bp.post("/<int:agreement_id>/companies")
def new_company(agreement_id: int):
    agreement = _agreement(agreement_id)
    if not EmptyForm().validate():
        abort(400)
    draft = service.start_draft(agreement, current_user, clock.now())
    db.session.commit()
    return redirect(url_for("agreements.wizard", draft_id=draft.id, step="company"), 303)


WIZARD_FORMS = {"company": DraftCompanyForm, "address": DraftAddressForm}


@bp.route("/drafts/<int:draft_id>/<step>", methods=["GET", "POST"])
def wizard(draft_id: int, step: str):
    draft = _draft(draft_id)
    if step not in service.WIZARD_STEPS:
        abort(404)
    if draft.company_id is not None:
        flash(service.AgreementError("draft_done").message)
        return redirect(url_for("agreements.show", agreement_id=draft.agreement_id), 303)
    data = draft.data or {}
    if step == "confirm":
        return _confirm(draft, data)
    form_class = WIZARD_FORMS[step]
    form = form_class(formdata=None, data=data) if request.method == "GET" else form_class()
    if request.method == "GET":
        return render("agreements/wizard.html", draft=draft, step=step, form=form)
    typed = {name: (request.form.get(name) or "").strip()
             for name in form_class().data if name != "csrf_token"}
    action = request.form.get("action", "next")
    if action in ("later", "back") or not form.validate():
        # Kept exactly as typed, valid or not: nothing is lost leaving or going back.
        service.save_draft(draft, typed, clock.now())
        db.session.commit()
        if action == "later":
            flash(_("Saved. Continue creating the company from the agreement when it suits "
                    "you."))
            return redirect(url_for("agreements.show", agreement_id=draft.agreement_id), 303)
        if action == "back":
            previous = service.WIZARD_STEPS[max(0, service.WIZARD_STEPS.index(step) - 1)]
            return redirect(url_for("agreements.wizard", draft_id=draft.id, step=previous), 303)
        return render("agreements/wizard.html", draft=draft, step=step, form=form, status=422)
    values = {name: value for name, value in form.data.items() if name != "csrf_token"}
    if step == "address":
        values["city"] = city_for(values.get("postal_code") or "") or ""
    service.save_draft(draft, {k: v or "" for k, v in values.items()}, clock.now())
    db.session.commit()
    following = service.WIZARD_STEPS[service.WIZARD_STEPS.index(step) + 1]
    return redirect(url_for("agreements.wizard", draft_id=draft.id, step=following), 303)


def _confirm(draft: CompanyDraft, data: dict):
    form = EmptyForm()
    # Steps left unfinished (abandoned, or typed and then gone back) send the user back.
    missing = next((step for step, form_class in WIZARD_FORMS.items()
                    if not form_class(formdata=MultiDict(
                        {k: v for k, v in data.items() if v}), meta={"csrf": False})
                    .validate()), None)
    if request.method == "POST" and form.validate_on_submit():
        if missing:
            return redirect(url_for("agreements.wizard", draft_id=draft.id, step=missing), 303)
        try:
            company = service.complete_draft(draft, clock.now())
        except service.AgreementError as error:
            db.session.rollback()
            return render("agreements/wizard.html", draft=draft, step="confirm", form=form,
                          data=data, error=error.message, status=422)
        db.session.commit()
        flash(_("%(name)s is created in the agreement. Invite its users below.",
                name=company.name))
        return redirect(url_for("agreements.show", agreement_id=draft.agreement_id), 303)
    return render("agreements/wizard.html", draft=draft, step="confirm", form=form, data=data,
                  missing=missing)


# --- moving (R-AGR-4) ---------------------------------------------------------------------

@bp.route("/companies/<int:company_id>/move", methods=["GET", "POST"])
def move(company_id: int):
    company = _company(company_id)
    others = [a for a in service.owned_agreements(acting_company_id())
              if a.id != company.agreement_id]
    form = MoveForm(agreements=others)
    if request.method == "POST" and form.validate():
        target = None
        if form.target.data != "new":
            target = db.session.get(CustomerAgreement, int(form.target.data))
        done = submit(lambda: service.move_company(
            company, target, current_user, clock.now(), new_name=form.new_name.data,
            new_customer_number=form.new_customer_number.data), form.target, form)
        if done is not None:
            moved = done.value
            flash(_("%(company)s is moved to %(agreement)s from today.", company=company.name,
                    agreement=moved.to_agreement.name))
            destination = url_for("agreements.show", agreement_id=moved.to_agreement_id)
            if is_htmx_fragment_request():
                return Response(status=204, headers={"HX-Redirect": destination})
            return redirect(destination, 303)
    status = 422 if request.method == "POST" else 200
    return render("agreements/move.html", "agreements/_move_dialog.html", company=company,
                  form=form, status=status)


# --- access (invite, remove) --------------------------------------------------------------

@bp.post("/<int:agreement_id>/invite")
def invite(agreement_id: int):
    agreement = _agreement(agreement_id)
    form = InviteForm(companies=agreement.companies)
    if not form.validate():
        return _show(agreement, form, status=422)
    company = _company(form.company_id.data)
    group = db.session.scalar(select(UserGroup).where(UserGroup.company_id == company.id,
                                                      UserGroup.key == form.user_group.data))
    done = submit(lambda: service.invite_user(
        company, current_user, clock.now(), first_name=form.first_name.data,
        last_name=form.last_name.data, email=form.email.data,
        group_id=group.id if group else 0), form.email)
    if done is None:
        return _show(agreement, form, status=422)
    user, created = done.value
    if created:
        flash(_("%(name)s has access to %(company)s and gets an invitation by e-mail.",
                name=user.full_name, company=company.name))
    else:
        flash(_("%(name)s now also has access to %(company)s (still one licence in this "
                "agreement).", name=user.full_name, company=company.name))
    return redirect(url_for("agreements.show", agreement_id=agreement.id), 303)


@bp.post("/access/<int:membership_id>/remove")
def remove_access(membership_id: int):
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404)
    company = _company(membership.company_id)
    if not EmptyForm().validate():
        abort(400)
    act(lambda: service.remove_access(membership, current_user, clock.now()),
        lambda _done: _("%(name)s no longer has access to %(company)s.",
                        name=membership.user.full_name, company=company.name))
    return redirect(url_for("agreements.show", agreement_id=company.agreement_id), 303)


# --- the re-invoicing basis ---------------------------------------------------------------

def _month() -> tuple[dt.date, str | None]:
    """The month asked for (YYYY-MM), this month by default; an error text for bad input."""
    typed = (request.args.get("month") or "").strip()
    this_month = clock.today().replace(day=1)
    if not typed:
        return this_month, None
    try:
        return dt.datetime.strptime(typed, "%Y-%m").date(), None
    except ValueError:
        return this_month, _("Write the month like 2026-11.")


@bp.get("/basis")
def basis():
    month, error = _month()
    rows = service.reinvoicing_basis(acting_company_id(), month)
    return render("agreements/basis.html", rows=rows, month=month, error=error,
                  typed=request.args.get("month", ""), status=422 if error else 200)


@bp.get("/basis.xlsx")
def basis_export():
    month, error = _month()
    if error:
        abort(422)
    content = service.basis_workbook(
        service.reinvoicing_basis(acting_company_id(), month),
                                     month)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition":
                            f'attachment; filename="viderefakturering-{month:%Y-%m}.xlsx"'})

