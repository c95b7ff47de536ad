"""The customer portal: home with company, licence and users."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import LicenceSubscription, User
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
