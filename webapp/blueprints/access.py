"""Loaders that 404 for what belongs to another customer and 403 without the permission."""
from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Company, Invoice, LicenceSubscription, Membership, UserGroup
from ..services.billing import agreement_licence


def acting_company_id(user=None) -> int:
    """The company the user (the logged-in one by default) works in during this request: its
    own, where it logs in, unless it switched to another it has access to (the login loader
    keeps that in `g` for the request)."""
    user = user or current_user
    chosen = g.get("acting")
    return chosen[1] if chosen is not None and chosen[0] == user.id else user.company_id


def acting_company(user=None) -> Company:
    user = user or current_user
    company_id = acting_company_id(user)
    if company_id == user.company_id:
        return user.company
    company = db.session.get(Company, company_id)
    if company is None:  # the company switched to is gone since
        abort(404)
    return company


def acting_licence(user=None) -> LicenceSubscription | None:
    """The licence subscription of the user's acting company's agreement, read once per
    request (the header, the checks before a view and the view all ask)."""
    agreement_id = acting_company(user).agreement_id
    found = g.setdefault("licences", {})
    if agreement_id not in found:
        found[agreement_id] = agreement_licence(agreement_id)
    return found[agreement_id]


def require_permission(permission: str) -> None:
    """403 unless the user's group in their company grants the module permission."""
    if not can(permission):
        abort(403)


def get_owned(model, object_id: int, owner: str = "company_id"):
    """An object of the user's own company (by its `owner` column), else 404."""
    found = db.session.get(model, object_id)
    if found is None or getattr(found, owner) != acting_company_id():
        abort(404)
    return found


def get_customer_invoice(invoice_id: int) -> Invoice:
    """The invoice if it belongs to the user's agreement, else 404."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.agreement_id is None or \
            invoice.agreement_id != acting_company().agreement_id:
        abort(404)
    return invoice


PERMISSIONS = ("can_admin", "can_billing", "can_sales", "can_reports", "can_vouchers")


def user_permissions() -> set[str]:
    """The module permissions of the current user's group in their company (once a request)."""
    from flask import g

    if not current_user.is_authenticated or current_user.is_operator:
        return set()
    if "kvitt_permissions" not in g:
        group = db.session.scalar(
            select(UserGroup).join(Membership, Membership.user_group_id == UserGroup.id)
            .where(Membership.user_id == current_user.id,
                   Membership.company_id == acting_company_id(), Membership.active))
        g.kvitt_permissions = {p for p in PERMISSIONS if group is not None and getattr(group, p)}
    return g.kvitt_permissions


def can(permission: str) -> bool:
    return permission in user_permissions()
