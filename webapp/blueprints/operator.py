"""The operator console: orders, the mail log and the test clock."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..cli import parse_delta
from ..extensions import db
from ..forms import EmptyForm
from ..models import Order, OutboxMail
from .common import render

bp = Blueprint("operator", __name__, url_prefix="/operator")
PAGE_SIZE = 50


@bp.before_request
@login_required
def require_operator():
    if not current_user.is_operator:
        abort(404)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int))


@bp.get("/")
def orders():
    status = request.args.get("status") or ""
    query = select(Order).where(Order.status != "draft") if not status else \
        select(Order).where(Order.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Order.id.desc()).offset((_page() - 1) * PAGE_SIZE)
                              .limit(PAGE_SIZE)).all()
    return render("operator/orders.html", orders=rows, status_filter=status, total=total, page=_page(),
                  page_size=PAGE_SIZE)


@bp.get("/mail")
def mail_log():
    query = select(OutboxMail)
    to = (request.args.get("to") or "").strip()
    if to:
        query = query.where(OutboxMail.to_address.ilike(f"%{to}%"))
    rows = db.session.scalars(query.order_by(OutboxMail.id.desc())
                              .offset((_page() - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return render("operator/mail_log.html", mails=rows, to=to, page=_page(),
                  page_size=PAGE_SIZE)


@bp.get("/mail/<int:mail_id>")
def mail_message(mail_id: int):
    mail = db.get_or_404(OutboxMail, mail_id)
    return render("operator/mail_message.html", mail=mail)


@bp.route("/clock", methods=["GET", "POST"])
def test_clock():
    allowed = current_app.config["TEST_CLOCK_ALLOWED"]
    form = EmptyForm()
    error = None
    if request.method == "POST":
        if not allowed:
            abort(403)
        if form.validate_on_submit():
            try:
                if request.form.get("action") == "reset":
                    clock.reset_test_clock()
                elif request.form.get("advance"):
                    clock.advance_test_clock(parse_delta(request.form["advance"]))
                else:
                    clock.set_test_clock(dt.datetime.fromisoformat(request.form.get("moment", "")))
            except ValueError:
                db.session.rollback()
                error = _("Use a date and time like 2026-04-20T08:00, or an advance like 3d.")
            else:
                db.session.commit()
                flash(_("The clock now shows %(now)s.",
                        now=clock.local(clock.now()).strftime("%Y-%m-%d %H:%M")))
                return redirect(url_for("operator.test_clock"), 303)
    return render("operator/clock.html", form=form, allowed=allowed, now=clock.local(clock.now()),
                  frozen=clock.is_test_clock(), error=error,
                  status=422 if error else 200)
