"""Public pages: the front page, user guide, support, health, and friendly error pages."""
import datetime as dt

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..extensions import db
from ..forms.shop import QuoteRequestForm
from ..services import support as support_service
from ..services import throttle
from .common import render

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.get("/guide")
def guide():
    return render_template("pages/guide.html")


@bp.get("/support")
def support():
    return render_template("pages/support.html")


QUOTE_LIMIT = throttle.Limit("quote", 5, dt.timedelta(hours=1))


@bp.route("/quote", methods=["GET", "POST"])
def quote():
    """R-PLAN-5: ask for a quote for integrated services (Kvitt eFaktura Enterprise). A
    customer asks from the portal's support page, where the answer is kept with its company."""
    if current_user.is_authenticated and not current_user.is_operator:
        return redirect(url_for("portal.support", category="quote", **{"from": "/quote"}), 303)
    form = QuoteRequestForm()
    if request.method == "GET":
        return render("pages/quote.html", form=form)
    if form.validate():
        now = clock.now()
        key = QUOTE_LIMIT.key(request.remote_addr or "")
        if throttle.count(QUOTE_LIMIT, key, now) > QUOTE_LIMIT.hits:
            db.session.commit()
            form.text.errors = [_("Too many requests from here just now. Try again in an hour, "
                                  "or write to support@kvitt.example.")]
            return render("pages/quote.html", form=form, status=429)
        try:
            asked = support_service.create_quote_request(
                now, name=form.contact_person.data, email=form.email.data,
                phone=form.phone.data, company_name=form.company_name.data,
                organisation_number=form.organisation_number.data, text=form.text.data)
        except support_service.SupportError:
            db.session.rollback()
            form.text.errors = [_("Write what you need, so we can make a quote.")]
        else:
            db.session.commit()
            return render("pages/quote_sent.html", number=asked.id, email=asked.visitor_email)
    return render("pages/quote.html", form=form, status=422)


@bp.get("/favicon.ico")
def favicon():
    """For browsers and tools that ask for /favicon.ico whatever the page links."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.get("/healthz")
def healthz():
    """For a load balancer or container runtime: 200 when the database answers and the
    scheduler ticked within three intervals, else 503; the body says which check failed."""
    from jobs import last_heartbeat

    interval = current_app.config["SCHEDULER_INTERVAL_SECONDS"]
    checks = {"database": "ok", "scheduler": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        heartbeat = last_heartbeat()
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = checks["scheduler"] = "unreachable"
    else:
        if heartbeat is None:
            checks["scheduler"] = "never ticked"
        else:
            age = (clock.wall_clock() - heartbeat).total_seconds()
            if age > 3 * interval + 5:
                checks["scheduler"] = f"last tick {age:.0f} s ago"
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "unhealthy", **checks}, 200 if healthy else 503


def register_error_pages(app: Flask) -> None:
    """A styled, translated page for every error; a failed request's transaction is rolled
    back first, so the page itself can read the database."""
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import HTTPException, InternalServerError

    def page(code: int, **context):
        db.session.rollback()
        headers = {}
        if request.headers.get("HX-Request") == "true":
            # Whatever part of the page asked, the error page takes the whole page, with a
            # way back (never a click that silently does nothing).
            headers = {"HX-Retarget": "body", "HX-Reswap": "innerHTML", "HX-Push-Url": "false"}
        return render_template("pages/error.html", code=code, **context), code, headers

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return page(400, csrf=True)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400 or error.code in (401,):
            return error
        return page(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(_error):
        return page(500)  # Flask has logged the traceback with the request id
