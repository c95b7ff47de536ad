"""Login (customer id + username + password), logout and setting a password from a link."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from .. import clock
from ..domain.statuses import COLLABORATION_OPEN, LICENCE_USABLE, LicenceStatus
from ..extensions import db, login_manager
from ..forms import EmptyForm
from ..forms.agreements import ApproveCollaborationForm
from ..forms.auth import AcceptTermsForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from ..links import external
from ..mail import queue_mail
from ..models import Collaboration, Company, LicenceSubscription, Membership, User
from ..services import collaboration as collaboration_service
from ..services import login as login_service
from ..services import terms
from ..services.accounts import find_login_user, has_access
from ..services.tokens import TokenError, find_token, issue_token, revoke_links
from .access import acting_company, acting_company_id, acting_licence
from .common import number_from, render

bp = Blueprint("auth", __name__)
RESET_LIFETIME = dt.timedelta(hours=2)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version:
        return None  # the password changed since: every older session is logged out
    acting = session.get("acting_company_id")
    if acting and acting != user.company_id and has_access(user.id, acting):
        g.acting = (user.id, acting)
    return user


def account_usable(user: User) -> bool:
    """Nothing is usable before activation (operators belong to the vendor, always usable);
    an ended trial may still log in, to buy."""
    if user.is_operator:
        return True
    return ended_trial(user) is not None or db.session.scalar(
        select(LicenceSubscription.id).where(
            LicenceSubscription.agreement_id == acting_company(user).agreement_id,
            LicenceSubscription.status.in_(LICENCE_USABLE))) is not None or db.session.scalar(
        # A client asked to approve a collaboration logs in to approve it.
        select(Collaboration.id).where(
            Collaboration.client_company_id == acting_company_id(user),
            Collaboration.status.in_(COLLABORATION_OPEN))) is not None


def ended_trial(user: User) -> LicenceSubscription | None:
    """The agreement's trial, when it has ended without being bought."""

    licence = acting_licence(user)
    return licence if licence is not None and licence.is_trial and \
        licence.status == LicenceStatus.DEACTIVATED else None


def landing(user: User) -> str:
    if user.is_operator:
        return url_for("operator.orders")
    return url_for("portal.buy") if ended_trial(user) else url_for("portal.home")


def _safe_next() -> str | None:
    """A page of this site to return to after logging in (never another site)."""
    target = request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next() or landing(current_user), 303)
    form = LoginForm()
    if form.validate_on_submit():
        account = login_service.account_id(form.login_id.data, form.username.data)
        outcome = login_service.attempt(
            form.login_id.data, form.username.data, form.password.data,
            request.remote_addr or "", account in _trusted_accounts(), clock.now())
        user = outcome.user
        if outcome.refusal == "throttled":
            form.password.errors.append(_(
                "Too many failed attempts. Wait 15 minutes and try again, or set a new "
                "password with the link below."))
        elif outcome.refusal == "wrong":
            form.password.errors.append(_("Wrong customer id, username or password."))
        elif not account_usable(user):
            form.login_id.errors.append(_("This account is not activated or is closed."))
        if user is None or not account_usable(user):
            db.session.commit()  # the failure is counted
            return render("auth/login.html", form=form, status=422, next=_safe_next())
        db.session.commit()
        _start_session(user)
        response = redirect(_terms_first(user, _safe_next() or landing(user)), 303)
        _trust_this_client(response, account)
        return response
    return render("auth/login.html", form=form, next=_safe_next(),
                  status=422 if request.method == "POST" else 200)


def _terms_first(user: User, target: str) -> str:
    """R-PLAN-5: a user who has not accepted the terms of service in force reads them first."""
    if terms.has_accepted(user):
        return target
    return url_for("auth.accept_terms", next=target)


@bp.route("/terms/accept", methods=["GET", "POST"])
@login_required
def accept_terms():
    """The terms of service in force, accepted once per user and version."""
    form = AcceptTermsForm()
    target = _safe_next() or landing(current_user)
    if terms.has_accepted(current_user):
        return redirect(target, 303)
    if request.method == "POST" and form.validate_on_submit():
        terms.accept(current_user, clock.now())
        db.session.commit()
        flash(_("Thank you. You accepted the terms of service, version %(version)s.",
                version=terms.TERMS_OF_SERVICE_VERSION))
        return redirect(target, 303)
    return render("auth/accept_terms.html", form=form, next=_safe_next(),
                  version=terms.TERMS_OF_SERVICE_VERSION,
                  status=422 if request.method == "POST" else 200)


# --- sessions -----------------------------------------------------------------------------

def _start_session(user: User) -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(user)
    session["signed_in_at"] = session["seen_at"] = clock.wall_clock().timestamp()


def _end_session() -> None:
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


@bp.before_app_request
def expire_idle_sessions():
    """A session ends after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS
    after the login whatever happens."""
    if "_user_id" not in session:
        return
    config = current_app.config
    now = clock.wall_clock().timestamp()
    signed_in, seen = session.get("signed_in_at"), session.get("seen_at")
    if (signed_in is None or seen is None
            or now - seen > config["SESSION_IDLE_MINUTES"] * 60
            or now - signed_in > config["SESSION_MAX_HOURS"] * 3600):
        _end_session()
        flash(_("You were logged out because the session had expired. Log in again."), "info")
    elif now - seen > 60:
        session["seen_at"] = now


# A client that logged in to an account keeps a signed note of it for a year: failed guesses
# from elsewhere do not lock that client out of the account.
DEVICE_COOKIE = "kvitt_device"
DEVICE_ACCOUNTS_KEPT = 10


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kvitt-device")


def _trusted_accounts() -> list[str]:
    try:
        accounts = _device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def _trust_this_client(response, account: str) -> None:
    accounts = [a for a in _trusted_accounts() if a != account] + [account]
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(accounts[-DEVICE_ACCOUNTS_KEPT:]),
                        max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Send a link to set a new password; the answer is the same whether the user exists,
    and whether the mail was held back because the account or address asked too often."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        login_id, username = form.login_id.data, form.username.data
        allowed = login_service.may_send_reset(login_id, username, request.remote_addr or "",
                                               clock.now())
        user = find_login_user(login_id, username)
        if allowed and user is not None and user.active:
            token = issue_token("set_password", RESET_LIFETIME, user_id=user.id)
            queue_mail("password_reset", user.email, "password_reset.txt", user=user,
                       link=external("auth.set_password", token=token))
        db.session.commit()
        flash(_("If the account exists, a link to set a new password is on its way by "
                "e-mail."))
        return redirect(url_for("auth.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render("auth/forgot_password.html", form=form, status=status)


@bp.post("/logout")
def logout():
    """Logging out ends this session everywhere it was copied: the server refuses its
    cookie from now on."""
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        current_user.session_version += 1
        db.session.commit()
    _end_session()
    return redirect(url_for("pages.home"), 303)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        action = find_token("set_password", token)
    except TokenError as error:
        return render("auth/link_refused.html", reason=error.reason,
                      status=410 if error.reason in ("used", "expired") else 404)
    user = db.get_or_404(User, action.user_id)
    form = SetPasswordForm()
    form.known_words = [user.username, user.first_name, user.last_name, user.email,
                        user.company.name, user.company.login_id]
    if form.validate_on_submit():
        try:
            action = find_token("set_password", token, for_update=True)
        except TokenError as error:
            return render("auth/link_refused.html", reason=error.reason, status=410)
        user.set_password(form.password.data)
        revoke_links(user.id, clock.now())  # this link, older ones and newer ones alike
        db.session.commit()
        _start_session(user)
        response = redirect(_terms_first(user, landing(user)), 303)
        _trust_this_client(response, login_service.account_id(user.company.login_id,
                                                                user.username))
        return response
    status = 422 if request.method == "POST" else 200
    return render("auth/set_password.html", form=form, user=user, status=status)


@bp.route("/collaboration/approve/<token>", methods=["GET", "POST"])
def approve_collaboration(token: str):
    """R-COLLAB-5: the client's administrator logs in, reads what the firm asks for and
    approves it, once. Holding the link is not enough."""
    try:
        found = collaboration_service.approval(token)
    except TokenError as error:
        return render("auth/approval_refused.html", reason=error.reason,
                      status=410 if error.reason in ("used", "expired") else 404)
    if not current_user.is_authenticated:
        flash(_("Log in as an administrator of %(company)s to approve the collaboration.",
                company=found.client_company.name), "info")
        return redirect(url_for("auth.login", next=request.path), 303)
    if not collaboration_service.may_approve(current_user, found):
        return render("auth/approval_refused.html", reason="not_administrator",
                      company=found.client_company.name, status=403)
    form = ApproveCollaborationForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            found = collaboration_service.approve(token, current_user, clock.now(),
                                                  accepted_terms=form.accept.data)
        except TokenError as error:
            db.session.rollback()
            return render("auth/approval_refused.html", reason=error.reason, status=410)
        except collaboration_service.CollaborationError as error:
            db.session.rollback()
            if error.code != "terms":
                return render("auth/approval_refused.html", reason="not_administrator",
                              company=found.client_company.name, status=403)
            form.accept.errors = [_("Accept the terms to approve the collaboration.")]
        else:
            db.session.commit()
            return render("auth/approved.html", collaboration=found)
    return render("auth/approve.html", collaboration=found, form=form,
                  terms_version=collaboration_service.TERMS_VERSION,
                  group_name=collaboration_service.access_group_name(found),
                  status=422 if request.method == "POST" else 200)


@bp.post("/company")
@login_required
def switch_company():
    """Work in another company the user has access to (R-AGR-1: one login, several
    companies), or back in its own."""
    form = EmptyForm()
    wanted = number_from(request.form, "company_id")
    allowed = wanted == current_user.company_id or has_access(current_user.id, wanted)
    if not form.validate() or not allowed or current_user.is_operator:
        abort(404)
    session["acting_company_id"] = wanted
    company = db.session.get(Company, wanted)
    flash(_("You are working in %(company)s.", company=company.name))
    return redirect(url_for("portal.home"), 303)


def companies_of(user) -> list:
    """The companies a user can work in (its own first), for the company switcher."""
    if not user.is_authenticated or user.is_operator:
        return []
    rows = db.session.scalars(
        select(Company).join(Membership, Membership.company_id == Company.id)
        .where(Membership.user_id == user.id, Membership.active)
        .order_by(Company.id != user.company_id, Company.name)).all()
    return list(rows) if len(rows) > 1 else []
