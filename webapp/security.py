"""What every request passes before a view sees it: ids a column can hold, query arguments
without control characters, security headers, no caching of personal data."""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from .forms import INTEGER_LIMIT, has_control_characters

# A query argument longer than this is no filter, page or search anyone types.
ARGUMENT_LIMIT = 2_000


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: an id no table holds is not found (404), however many digits."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=INTEGER_LIMIT, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def refuse_hostile_arguments() -> None:
    """Control characters or an endless value in the query string or the path are refused
    (400, 404) before a view or the database sees them."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and has_control_characters(value):
            abort(404)
    for values in request.args.listvalues():  # every value of a repeated argument too
        for value in values:
            if len(value) > ARGUMENT_LIMIT or has_control_characters(value):
                abort(400)


# The pages load their own script, style sheet and fonts and nothing else; no inline script,
# no page of Kvitt inside another site's frame.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def no_store(response):
    """Pages, PDFs and exports hold personal data: no browser or proxy keeps a copy. The
    static files (script, style sheet, fonts) may be cached."""
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_security(app: Flask) -> None:
    from flask_talisman import Talisman

    proxies = app.config.get("PROXIES", 0)
    if proxies:  # the client's address and scheme as the proxies in front report them
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap the WSGI app (mypy sees a method).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies,  # type: ignore[method-assign]
                                x_proto=proxies)
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_hostile_arguments)
    # HSTS is sent on HTTPS requests (directly or behind a proxy that says so); redirecting
    # plain HTTP is the proxy's work.
    Talisman(app, force_https=False, session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
             content_security_policy=CONTENT_SECURITY_POLICY, frame_options="DENY",
             referrer_policy="same-origin", strict_transport_security=True,
             strict_transport_security_include_subdomains=False)
    app.after_request(no_store)
