"""Links that leave the site (in e-mails and documents): absolute addresses at PUBLIC_URL.

Built from the configuration alone, so a job with no request builds the same link as a view,
and a request's own Host header can never put another site's address into a mail."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def external(endpoint: str, **values: Any) -> str:
    """The absolute address of `endpoint` with `values` (as `url_for`), at PUBLIC_URL."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/",
                                       url_scheme=public.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
