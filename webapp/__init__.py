"""Kvitt: ordering, licensing and subscription billing (the Flask application factory)."""
from __future__ import annotations

import os

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale

from . import config as config_module
from .extensions import babel, csrf, db, login_manager, migrate

LOCALES = ("nb", "en")


def select_locale() -> str:
    if not has_request_context():
        return "nb"  # jobs and commands speak bokmål unless they force a locale
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LOCALES:
        return session["lang"]
    return "nb"


def create_app(config: dict | None = None) -> Flask:
    """Create the application; `config` overrides values read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.from_environment())
    if config:
        app.config.update(config)
    _refuse_unsafe_production(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        os.makedirs(app.instance_path, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1)

    from .logs import configure_logging

    configure_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Sessions end by our own idle and lifetime rules (auth.expire_idle_sessions). Flask-Login's
    # "basic" protection would only mark sessions non-fresh, and doing so rewrote an anonymous
    # visitor's cookie from whichever request came first: a slow live price answered after the
    # shop had created the draft, and its cookie lost the draft.
    login_manager.session_protection = None

    from . import models  # noqa: F401  (register the tables)
    from .blueprints import register_blueprints
    from .cli import register_cli
    from .security import init_security
    from .templating import register_templating

    init_security(app)
    register_blueprints(app)
    register_cli(app)
    register_templating(app)
    _sqlite_pragmas(app)

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale())}

    @app.after_request
    def vary_on_htmx(response):
        response.vary.add("HX-Request")
        if request.headers.get("HX-Request") == "true" and request.method == "POST" \
                and response.status_code >= 400:
            # A refused form stays at the page it was sent from: a reload shows that page,
            # not the address that only takes the form.
            response.headers["HX-Push-Url"] = "false"
        return response
    return app


class UnsafeConfiguration(RuntimeError):
    """The configuration is not fit for production; the message says what to set."""


def _refuse_unsafe_production(app: Flask) -> None:
    if app.config.get("DEVELOPMENT") or app.config.get("TESTING"):
        return
    if app.config.get("SECRET_KEY") in (None, "", config_module.DEVELOPMENT_SECRET_KEY):
        raise UnsafeConfiguration(
            "Kvitt will not run in production with the development secret key. Set SECRET_KEY "
            "to a long random value (python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
            "), or KVITT_ENV=development on a developer's machine.")


def _sqlite_pragmas(app: Flask) -> None:
    """SQLite: enforce foreign keys, let readers work while a writer commits, and take the
    write lock at BEGIN for work that will write (jobs, form posts), so two writers queue up
    instead of failing when one upgrades a read to a write."""
    from sqlalchemy import event

    from .database import declare_write_intent, end_write_intent, wants_write_lock

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")

    @app.before_request
    def _writes_take_the_lock_early():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            g.write_intent_token = declare_write_intent()

    @app.teardown_request
    def _end_write_intent(_error):
        token = g.pop("write_intent_token", None)
        if token is not None:
            end_write_intent(token)
