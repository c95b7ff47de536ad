"""The customer portal: home with company, licence and users."""
from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import LicenceSubscription, User
from ..services.billing import agreement_invoices
from ..services.invoice_pdf import render_invoice_pdf
from .access import get_customer_invoice, require_permission
from .common import render

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.before_request
@login_required
def require_customer():
    if current_user.is_operator:
        abort(404)


@bp.get("/")
def home():
    company = current_user.company
    subscription = db.session.scalar(
        select(LicenceSubscription).where(LicenceSubscription.agreement_id == company.agreement_id)
        .order_by(LicenceSubscription.id.desc()))
    users = db.session.scalars(select(User).where(User.company_id == company.id, User.active)
                               .order_by(User.first_name, User.last_name)).all()
    days_left = None
    if subscription is not None and subscription.status == "trial":
        days_left = max(0, (subscription.trial_ends_on - clock.today()).days)
    return render("portal/home.html", company=company, subscription=subscription, users=users,
                  days_left=days_left)


@bp.get("/invoices")
def invoices():
    require_permission("can_billing")
    rows = agreement_invoices(current_user.company.agreement_id)
    return render("portal/invoices.html", invoices=rows, today=clock.today())


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    require_permission("can_billing")
    found = get_customer_invoice(invoice_id)
    return render("portal/invoice.html", invoice=found, today=clock.today())


@bp.get("/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id: int):
    require_permission("can_billing")
    found = get_customer_invoice(invoice_id)
    name = "kreditnota" if found.kind == "credit_note" else "faktura"
    return Response(render_invoice_pdf(found), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}-{found.number}.pdf"'})
