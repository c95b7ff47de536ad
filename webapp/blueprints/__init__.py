"""Blueprints: thin views that parse, call a service and render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import admin, agreements, auth, operator, pages, partner, portal, sales, shop

    for module in (pages, shop, auth, portal, admin, agreements, partner, operator, sales):
        app.register_blueprint(module.bp)
    pages.register_error_pages(app)
