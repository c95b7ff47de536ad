"""The partner workspace (R-COLLAB-1…5): the accounting firm's clients with assignments, and
collaborations in Kvitt Regnskap activated for them."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..forms import EmptyForm
from ..forms.agreements import ActivateForm, AssignmentForm, ChangeCollaborationForm, ClientForm
from ..models import Collaboration, PartnerClient
from ..services import collaboration as service
from ..templating import local_date
from .access import acting_company, acting_company_id, get_owned, require_permission
from .common import act, locale, render, submit

bp = Blueprint("partner", __name__, url_prefix="/partner")




@bp.before_request
@login_required
def require_partner():
    if current_user.is_operator or acting_company().kind != "partner":
        abort(404)
    require_permission("can_admin")


def _client(client_id: int) -> PartnerClient:
    return get_owned(PartnerClient, client_id, "partner_company_id")


def _collaboration(collaboration_id: int) -> Collaboration:
    return get_owned(Collaboration, collaboration_id, "partner_company_id")


@bp.route("/clients", methods=["GET", "POST"])
def clients():
    form = ClientForm()
    if request.method == "POST" and form.validate():
        done = submit(lambda: service.add_client(
            acting_company(), clock.now(), name=form.name.data,
            organisation_number=form.organisation_number.data, email=form.email.data,
            customer_number=form.customer_number.data), form.organisation_number)
        if done is not None:
            client = done.value
            flash(_("%(name)s is in your client list. Add an assignment to work with it.",
                    name=client.name))
            return redirect(url_for("partner.client", client_id=client.id), 303)
    rows = [(c, service.open_collaboration(acting_company_id(), c.id))
            for c in service.clients(acting_company_id())]
    return render("partner/clients.html", rows=rows, form=form,
                  status=422 if request.method == "POST" else 200)


@bp.get("/clients/<int:client_id>")
def client(client_id: int):
    found = _client(client_id)
    return _client_page(found, _activate_form(found), AssignmentForm())


def _activate_form(found: PartnerClient) -> ActivateForm:
    form = ActivateForm(scenario=service.scenario(found), assignments=found.assignments,
                        variants=service.variants(), locale=locale(),
                        users=service.firm_users(acting_company_id()),
                        groups=service.access_groups(service.client_company(found)))
    if request.method == "GET":
        form.period.data, form.invoice_recipient.data = "12", "client"
        form.members.data, form.access_group.data = [current_user.id], "accountant"
    return form


def _client_page(found: PartnerClient, form: ActivateForm, assignment_form: AssignmentForm,
                 status: int = 200):
    company = service.client_company(found)
    return render("partner/client.html", client=found, form=form,
                  assignment_form=assignment_form, scenario=form.scenario,
                  service_subscription=service.current_service(company),
                  open_collaboration=service.open_collaboration(acting_company_id(),
                                                                found.id),
                  status=status)


@bp.post("/clients/<int:client_id>/assignments")
def add_assignment(client_id: int):
    found = _client(client_id)
    form = AssignmentForm()
    if not form.validate():
        return _client_page(found, _activate_form(found), form, status=422)
    service.add_assignment(found, form.title.data, clock.now())
    db.session.commit()
    flash(_("The assignment is added."))
    return redirect(url_for("partner.client", client_id=found.id), 303)


@bp.post("/clients/<int:client_id>/activate")
def activate(client_id: int):
    """R-COLLAB-1…4: activate with an assignment; the client approves by e-mail."""
    found = _client(client_id)
    form = _activate_form(found)
    if form.validate():
        done = submit(lambda: service.activate(
            acting_company(), found, current_user, clock.now(),
            assignment_id=form.assignment_id.data, variant=form.variant.data,
            recipient=form.invoice_recipient.data,
            period_months=int(form.period.data) if form.period.data else None,
            contact={"first_name": (form.contact_first_name.data or "").strip(),
                     "last_name": (form.contact_last_name.data or "").strip(),
                     "email": (form.contact_email.data or "").strip(),
                     "phone": (form.contact_phone.data or "").strip()},
            member_ids=form.members.data, access_group=form.access_group.data),
            form.assignment_id, form)
        if done is not None:
            collaboration = done.value
            flash(_("The collaboration waits for %(client)s to approve it: their "
                    "administrators have been asked by e-mail. It starts when they do.",
                    client=found.name))
            return redirect(url_for("partner.collaborations", _anchor=f"c{collaboration.id}"),
                            303)
    return _client_page(found, form, AssignmentForm(), status=422)


@bp.get("/collaborations")
def collaborations():
    rows = service.collaborations(acting_company_id())
    forms = {}
    for row in rows:
        form = ChangeCollaborationForm(prefix=f"c{row.id}", variants=service.variants(),
                                       locale=locale())
        form.variant.data = row.next_variant_code or row.variant_code
        form.invoice_recipient.data = row.next_invoice_recipient or row.invoice_recipient
        forms[row.id] = form
    return render("partner/collaborations.html", rows=rows, forms=forms,
                  action_form=EmptyForm())


@bp.post("/collaborations/<int:collaboration_id>/change")
def change(collaboration_id: int):
    """R-COLLAB-5: another variant or invoice recipient, from the next renewal."""
    found = _collaboration(collaboration_id)
    form = ChangeCollaborationForm(prefix=f"c{found.id}", variants=service.variants(),
                                   locale=locale())
    if form.validate():
        act(lambda: service.change(found, variant=form.variant.data,
                                   recipient=form.invoice_recipient.data),
            lambda _done: _("Saved. The change takes effect from the next renewal."))
    else:
        flash(_("Choose a variant and who pays."))
    return redirect(url_for("partner.collaborations", _anchor=f"c{found.id}"), 303)


@bp.post("/collaborations/<int:collaboration_id>/end")
def end(collaboration_id: int):
    found = _collaboration(collaboration_id)
    if not EmptyForm().validate():
        abort(400)
    act(lambda: service.end(found, clock.now(), by=current_user),
        lambda last_day: _("The collaboration has ended.") if last_day is None else
        _("The collaboration has ended. The service runs until and including %(date)s.",
          date=local_date(last_day)))
    return redirect(url_for("partner.collaborations"), 303)
