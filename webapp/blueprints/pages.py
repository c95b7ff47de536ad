"""Public pages: the front page, user guide, support, and friendly error pages."""
from flask import Blueprint, Flask, render_template

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


@bp.get("/healthz")
def healthz():
    """A trivial endpoint (also the benchmark's baseline)."""
    return "ok"


def register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(404)
    def not_found(_error):
        return render_template("pages/error.html", code=404), 404

    @app.errorhandler(403)
    def forbidden(_error):
        return render_template("pages/error.html", code=403), 403

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return render_template("pages/error.html", code=400, csrf=True), 400

    @app.errorhandler(500)
    def server_error(_error):
        return render_template("pages/error.html", code=500), 500
