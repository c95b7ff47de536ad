"""View helpers: fragment-or-page rendering and the htmx request checks."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import get_locale


def is_htmx_fragment_request() -> bool:
    """An htmx request wants a fragment unless it is boosted or a history restore."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """Render the fragment for a plain htmx request, the whole page otherwise."""
    template = fragment if fragment and is_htmx_fragment_request() else page
    return render_template(template, **context), status


def locale() -> str:
    return str(get_locale())


def field_error(field, message: str) -> None:
    """Show a service's refusal next to the field it concerns."""
    field.errors = list(field.errors) + [message]


def refusal_text(texts: dict, error) -> str:
    """The user's words for a service refusal (`error.code`), from a view's table."""
    return texts.get(error.code, lambda: error.code)()
