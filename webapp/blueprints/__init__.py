"""Blueprints: thin views that parse, call a service and render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import auth, operator, pages, portal, sales, shop

    for module in (pages, shop, auth, portal, operator, sales):
        app.register_blueprint(module.bp)
    pages.register_error_pages(app)
