"""Login (customer id + username + password), logout and setting a password from a link."""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from .. import clock
from ..extensions import db, login_manager
from ..forms import EmptyForm
from ..forms.auth import LoginForm, SetPasswordForm
from ..models import LicenceSubscription, User
from ..services.accounts import find_login_user
from ..services.tokens import TokenError, find_token
from .common import render

bp = Blueprint("auth", __name__)
USABLE_STATUSES = ("trial", "active")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version:
        return None  # the password changed since: every older session is logged out
    return user


def account_usable(user: User) -> bool:
    """Nothing is usable before activation (operators belong to the vendor, always usable)."""
    if user.is_operator:
        return True
    agreement_id = user.company.agreement_id
    return db.session.scalar(select(LicenceSubscription.id).where(
        LicenceSubscription.agreement_id == agreement_id,
        LicenceSubscription.status.in_(USABLE_STATUSES))) is not None


def landing(user: User) -> str:
    return url_for("operator.orders") if user.is_operator else url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing(current_user), 303)
    form = LoginForm()
    if form.validate_on_submit():
        user = find_login_user(form.customer_id.data, form.username.data)
        if user is None or not user.active or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong customer id, username or password."))
        elif not account_usable(user):
            form.customer_id.errors.append(_("This account is not activated or is closed."))
        else:
            login_user(user)
            return redirect(landing(user), 303)
        return render("auth/login.html", form=form, status=422)
    return render("auth/login.html", form=form, status=422 if request.method == "POST" else 200)


@bp.post("/logout")
def logout():
    EmptyForm().validate_on_submit()
    logout_user()
    return redirect(url_for("pages.home"), 303)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        action = find_token("set_password", token)
    except TokenError as error:
        return render("auth/link_refused.html", reason=error.reason,
                      status=410 if error.reason in ("used", "expired") else 404)
    user = db.session.get(User, action.user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            action = find_token("set_password", token, for_update=True)
        except TokenError as error:
            return render("auth/link_refused.html", reason=error.reason, status=410)
        action.used_at = clock.now()
        user.set_password(form.password.data)
        db.session.commit()
        logout_user()
        login_user(user)
        return redirect(landing(user), 303)
    status = 422 if request.method == "POST" else 200
    return render("auth/set_password.html", form=form, user=user, status=status)
