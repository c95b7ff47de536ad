"""Admin → Employees and users (R-PLAN-1, R-PLAN-2, R-BILL-6): add, deactivate, delete."""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from .. import clock
from ..domain import usernames
from ..domain.refusals import Refusal
from ..extensions import db
from ..models import ActionToken, Company, Employee, Membership, User, UserGroup
from . import catalog
from .accounts import add_user, close_access, send_welcome_mail
from .agreements import users_in_use
from .billing import agreement_licence

WELCOME_LINK_LIFETIME = dt.timedelta(days=14)


class UserAdminError(Refusal):
    """A refusal of a change to users, their access or groups."""

    fields = {"username_taken": "username"}

    messages = {
        "upgrade_first": lambda: _("Kvitt eFaktura Free includes one user. Upgrade to Basic "
                                   "before you add users."),
        "username_taken": lambda: _("The username is already in use in your company."),
        "last_admin": lambda: _("The company must keep at least one administrator."),
        "no_access": lambda: _("The user has no access to this company."),
    }


def licensed_users(company: Company) -> tuple[int, int]:
    """(active users with access to the agreement's companies, licences in the subscription)."""
    used = users_in_use(company.agreement_id)
    subscription = agreement_licence(company.agreement_id)
    if subscription is None:
        return used, 0
    plan = catalog.price_list().items.get(subscription.plan_code or "")
    licensed = subscription.quantity
    if plan is not None and plan.kind == "plan" and (plan.price_ore or 0) == 0:
        licensed = plan.included_licences  # Free: the included licence only
    return used, licensed


def employee_query(company_id: int, include_former: bool = False, search: str = ""):
    """The company's employees (the employed only, unless `include_former`) with their
    logins loaded in the same round trip, by name; `search` matches name, e-mail or
    username."""
    from sqlalchemy.orm import selectinload

    query = select(Employee).where(Employee.company_id == company_id) \
        .options(selectinload(Employee.user))
    if not include_former:
        query = query.where(Employee.employed)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.outerjoin(User, User.id == Employee.user_id).where(
            func.lower(Employee.first_name + " " + Employee.last_name).like(pattern)
            | func.lower(Employee.email).like(pattern) | func.lower(User.username).like(pattern))
    return query.order_by(Employee.first_name, Employee.last_name, Employee.id)


def is_free_plan(company: Company) -> bool:
    subscription = agreement_licence(company.agreement_id)
    plan = catalog.price_list().items.get(subscription.plan_code or "") if subscription else None
    return plan is not None and plan.kind == "plan" and (plan.price_ore or 0) == 0


def usernames_taken(company_id: int) -> set[str]:
    """The usernames of the company's logins (a suggestion avoids them)."""
    return set(db.session.scalars(select(User.username).where(User.company_id == company_id)))


def create_user(company: Company, now: dt.datetime, **fields) -> tuple[User, bool]:
    """Add a user who gets the login by e-mail. Returns (user, beyond the licence?)."""
    used, licensed = licensed_users(company)
    if is_free_plan(company) and used >= licensed:
        raise UserAdminError("upgrade_first")
    if db.session.scalar(select(User.id).where(
            User.company_id == company.id,
            User.username_key == usernames.key(fields["username"]))):
        raise UserAdminError("username_taken")
    user = add_user(company, now, first_name=fields["first_name"],
                    last_name=fields["last_name"], email=fields["email"],
                    username=fields["username"], group_key=fields["group_key"])
    with force_locale("nb"):
        send_welcome_mail(user, company, WELCOME_LINK_LIFETIME)
    return user, used + 1 > licensed


def _administrators_left(company: Company, without: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Membership)
        .join(UserGroup, UserGroup.id == Membership.user_group_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.company_id == company.id, UserGroup.can_admin, User.active,
               Membership.active, User.id != without.id)) or 0


def deactivate_user(company: Company, user: User, now: dt.datetime) -> None:
    if _administrators_left(company, user) == 0:
        raise UserAdminError("last_admin")
    user.active, user.deactivated_at = False, now
    close_access(user.id, clock.local(now).date())
    user.session_version += 1  # logged out at once
    db.session.flush()


def delete_user(company: Company, user: User, now: dt.datetime) -> None:
    """Delete the login; the employee record stays (it keeps the history)."""
    if _administrators_left(company, user) == 0:
        raise UserAdminError("last_admin")
    if user.active:
        deactivate_user(company, user, now)
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    db.session.execute(delete(ActionToken).where(ActionToken.user_id == user.id))
    for employee in db.session.scalars(select(Employee).where(Employee.user_id == user.id)):
        employee.user_id = None
    user.username = user.username_key = f"deleted-{user.id}"
    user.password_hash = None
    db.session.flush()


def set_employed(employee: Employee, employed: bool) -> None:
    employee.employed = employed
    db.session.flush()


def create_group(company: Company, name: str, permissions: set[str]) -> UserGroup:
    """A custom user group with its module permissions."""
    if db.session.scalar(select(UserGroup.id).where(UserGroup.company_id == company.id,
                                                    func.lower(UserGroup.name) == name.lower())):
        raise UserAdminError("group_exists")
    count = db.session.scalar(select(func.count()).select_from(UserGroup).where(
        UserGroup.company_id == company.id))
    group = UserGroup(company_id=company.id, key=f"custom{(count or 0) + 1}", name=name,
                      **{p: p in permissions for p in GROUP_PERMISSIONS})
    db.session.add(group)
    db.session.flush()
    return group


def set_group_permissions(group: UserGroup, permissions: set[str]) -> None:
    """Change a group's permissions; Administrators always keep the Admin module."""
    if group.key == "administrators" and "can_admin" not in permissions:
        raise UserAdminError("last_admin")
    for permission in GROUP_PERMISSIONS:
        setattr(group, permission, permission in permissions)
    db.session.flush()


def move_to_group(company: Company, user: User, group: UserGroup) -> None:
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.company_id == company.id))
    if membership is None:
        raise UserAdminError("no_access")
    if not group.can_admin and _administrators_left(company, user) == 0:
        raise UserAdminError("last_admin")
    membership.user_group_id = group.id
    db.session.flush()


GROUP_PERMISSIONS = ("can_admin", "can_billing", "can_sales", "can_reports", "can_vouchers")


def update_user(user: User, *, first_name: str, last_name: str, email: str,
                username: str) -> None:
    """Change a user's name, e-mail or username; the employee record follows."""
    if usernames.key(username) != user.username_key and db.session.scalar(
            select(User.id).where(User.company_id == user.company_id,
                                  User.username_key == usernames.key(username))):
        raise UserAdminError("username_taken")
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.username, user.username_key = username, usernames.key(username)
    for employee in db.session.scalars(select(Employee).where(Employee.user_id == user.id)):
        employee.first_name, employee.last_name, employee.email = first_name, last_name, email
    db.session.flush()
