"""Admin: employees and users, user groups (seed 000). Customer agreements (/admin/agreements)
and sales (/admin/sales) are the area's other parts, each in its own module."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..domain import usernames
from ..extensions import db
from ..forms import EmptyForm, has_control_characters
from ..forms.portal import EditUserForm, NewUserForm
from ..models import Employee, Membership, User, UserGroup
from ..services import users as users_service
from ..services.accounts import group_label
from .access import PERMISSIONS, acting_company, acting_company_id, get_owned, require_permission
from .auth import ended_trial
from .common import act, is_htmx_fragment_request, number_from, paginated, render, submit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_administrator():
    if current_user.is_operator:
        abort(404)
    if ended_trial(current_user) is not None:
        return redirect(url_for("portal.buy"), 303)  # an ended trial can buy, or ask us
    require_permission("can_admin")
    return None


# --- Admin → Employees and users ---------------------------------------------------------



@bp.get("/users/username")
def suggest_username():
    """Inline check of a new user's username, suggested from the first name when empty, by
    the same rules as the shop (seed 000)."""
    if not is_htmx_fragment_request():
        return redirect(url_for("admin.users"), 303)
    form = NewUserForm(formdata=request.args, meta={"csrf": False})
    username = (form.username.data or "").strip()
    if not username and (form.first_name.data or "").strip():
        username = usernames.suggest(form.first_name.data, users_service.usernames_taken(
            acting_company_id()))
    form.username.data = username
    form.username.validate(form)
    return render("admin/users.html", "admin/_username_field.html", form=form)


@bp.route("/users", methods=["GET", "POST"])
def users():
    company = acting_company()
    form = NewUserForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            done = submit(lambda: users_service.create_user(
                company, clock.now(), first_name=form.first_name.data,
                last_name=form.last_name.data, email=form.email.data,
                username=form.username.data, group_key=form.user_group.data),
                form.first_name, form)
            if done is not None:
                user, beyond = done.value
                used, licensed = users_service.licensed_users(company)
                flash(_("%(name)s is added and gets the login by e-mail.", name=user.full_name))
                if beyond:
                    flash(_("You now have %(used)s users and %(licensed)s licences: the users "
                            "beyond the licence are billed afterwards on the next invoice.",
                            used=used, licensed=licensed))
                return redirect(url_for("admin.users"), 303)
    show_all = request.args.get("show") == "all"
    search = (request.args.get("q") or "").strip()
    pagination = paginated(users_service.employee_query(company.id, show_all, search))
    used, licensed = users_service.licensed_users(company)
    groups_of_company = db.session.scalars(select(UserGroup).where(
        UserGroup.company_id == company.id).order_by(UserGroup.id)).all()
    user_ids = [e.user_id for e in pagination.items if e.user_id]
    group_of = dict(db.session.execute(select(Membership.user_id, Membership.user_group_id)
                                       .where(Membership.company_id == company.id,
                                              Membership.user_id.in_(user_ids))).all())
    return render("admin/users.html", form=form, pagination=pagination, used=used,
                  licensed=licensed, action_form=EmptyForm(), show_all=show_all, search=search,
                  groups=groups_of_company, group_of=group_of, status=status)


@bp.post("/users/<int:user_id>/<action>")
def user_action(user_id: int, action: str):
    user = get_owned(User, user_id)
    if action not in ("deactivate", "delete") or not EmptyForm().validate_on_submit():
        abort(404)
    change = users_service.deactivate_user if action == "deactivate" \
        else users_service.delete_user
    act(lambda: change(acting_company(), user, clock.now()),
        lambda _done: _("Done: %(name)s.", name=user.full_name))
    return redirect(url_for("admin.users"), 303)


@bp.post("/employees/<int:employee_id>/employed")
def employee_employed(employee_id: int):
    employee = get_owned(Employee, employee_id)
    if EmptyForm().validate_on_submit():
        users_service.set_employed(employee, request.form.get("employed") == "1")
        db.session.commit()
    return redirect(url_for("admin.users"), 303)


# --- Admin → User groups -----------------------------------------------------------------

@bp.route("/groups", methods=["GET", "POST"])
def groups():
    """The four default groups and custom ones, each with its module permissions."""
    company = acting_company()
    error = None
    if request.method == "POST" and EmptyForm().validate_on_submit():
        name = (request.form.get("name") or "").strip()
        if not name or len(name) > 80 or has_control_characters(name):
            error = _("Give the group a name of at most 80 characters.")
        else:
            try:
                users_service.create_group(company, name, {
                    p for p in PERMISSIONS if request.form.get(p) == "y"})
                db.session.commit()
                flash(_("The group %(name)s is created.", name=name))
                return redirect(url_for("admin.groups"), 303)
            except users_service.UserAdminError:
                db.session.rollback()
                error = _("There is already a group with this name.")
    rows = db.session.scalars(select(UserGroup).where(UserGroup.company_id == company.id)
                              .order_by(UserGroup.id)).all()
    return render("admin/groups.html", groups=rows, permissions=PERMISSIONS, error=error,
                  form=EmptyForm(), status=422 if error else 200)


@bp.post("/groups/<int:group_id>")
def group_permissions(group_id: int):
    group = get_owned(UserGroup, group_id)
    if EmptyForm().validate_on_submit():
        act(lambda: users_service.set_group_permissions(group, {
            p for p in PERMISSIONS if request.form.get(p) == "y"}),
            lambda _done: _("The permissions of %(name)s are saved.", name=group.name))
    return redirect(url_for("admin.groups"), 303)


@bp.post("/users/<int:user_id>/group")
def user_group(user_id: int):
    user = get_owned(User, user_id)
    group = get_owned(UserGroup, number_from(request.form, "group_id") or 0)
    if EmptyForm().validate_on_submit():
        act(lambda: users_service.move_to_group(acting_company(), user, group),
            lambda _done: _("%(name)s is now in the group %(group)s.", name=user.full_name,
                        group=group_label(group.key) if not group.key.startswith("custom")
                        else group.name))
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = get_owned(User, user_id)
    form = EditUserForm(obj=user if request.method == "GET" else None)
    if request.method == "POST":
        if form.validate():
            if submit(lambda: users_service.update_user(
                    user, first_name=form.first_name.data.strip(),
                    last_name=form.last_name.data.strip(), email=form.email.data,
                    username=form.username.data.strip()), form.username, form):
                flash(_("%(name)s is saved.", name=user.full_name))
                return redirect(url_for("admin.users"), 303)
        return render("admin/edit_user.html", form=form, user=user, status=422)
    return render("admin/edit_user.html", form=form, user=user)
