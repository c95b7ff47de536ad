"""R-PLAN-1, R-PLAN-2, R-BILL-6: administrators add, deactivate and delete users; the employee
record stays; users beyond the licence are warned about; Free must upgrade first."""
import datetime as dt

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Employee, OutboxMail, User
from tests.billing_setup import active_customer
from tests.views.test_access_matrix import _admin_of, _log_in

NEW = {"first_name": "Per", "last_name": "Olsen", "email": "per@example.com",
       "username": "per", "user_group": "users"}


def test_r_plan_2_an_administrator_adds_a_user_who_gets_the_login_by_email(client):
    subscription = active_customer(dt.date(2026, 4, 20), quantity=1)
    _log_in(client, _admin_of(subscription))
    response = client.post("/portal/users", data=NEW)
    assert response.status_code == 303
    page = client.get("/portal/users").get_data(as_text=True)
    assert "utover lisensen faktureres etterskuddsvis" in page  # R-BILL-6
    assert "2 av 1 i bruk" in page
    [mail] = db.session.scalars(select(OutboxMail).where(OutboxMail.to_address ==
                                                         "per@example.com"))
    assert "Brukernavn: per" in mail.body_text and "/password/set/" in mail.body_text
    again = client.post("/portal/users", data={**NEW, "username": "PER"})
    assert again.status_code == 422 and "allerede i bruk" in again.get_data(as_text=True)


def test_r_plan_1_free_must_upgrade_before_adding_users(client):
    subscription = active_customer(dt.date(2026, 4, 20), "monthly", plan="efaktura-free",
                                   addons=())
    _log_in(client, _admin_of(subscription))
    response = client.post("/portal/users", data=NEW)
    assert response.status_code == 422
    assert "Oppgrader til Basic" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "per")) is None


def test_r_plan_2_deactivate_and_delete_keep_the_employee_and_one_administrator(client):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = _admin_of(subscription)
    _log_in(client, admin)
    other = db.session.scalar(select(User).where(User.username == "user1",
                                                 User.company_id == admin.company_id))
    assert client.post(f"/portal/users/{other.id}/delete").status_code == 303
    db.session.refresh(other)
    assert not other.active and other.password_hash is None
    employee = db.session.scalar(select(Employee).where(Employee.email == "user1@example.com"))
    assert employee is not None and employee.user_id is None
    client.post(f"/portal/users/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.active  # the last administrator stays
    client.post(f"/portal/employees/{employee.id}/employed", data={"employed": "0"})
    table = client.get("/portal/users").get_data(as_text=True).split("<table")[1]
    assert "User1" not in table
    assert "User1" in client.get("/portal/users?show=all").get_data(as_text=True).split(
        "<table")[1]


def test_r_plan_2_users_of_another_company_are_not_found(client):
    mine = active_customer(dt.date(2026, 4, 20))
    theirs = active_customer(dt.date(2026, 4, 20), name="Andre AS", users=2)
    _log_in(client, _admin_of(mine))
    target = _admin_of(theirs)
    assert client.post(f"/portal/users/{target.id}/deactivate").status_code == 404
    employee = db.session.scalar(select(Employee).where(Employee.user_id == target.id))
    assert client.post(f"/portal/employees/{employee.id}/employed",
                       data={"employed": "0"}).status_code == 404
    db.session.refresh(target)
    assert target.active


def test_a_custom_group_without_sales_loses_the_sales_pages(client):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = _admin_of(subscription)
    _log_in(client, admin)
    assert client.post("/portal/groups", data={"name": "Regnskap", "can_billing": "y",
                                               "can_reports": "y"}).status_code == 303
    duplicate = client.post("/portal/groups", data={"name": "regnskap"})
    assert duplicate.status_code == 422 and "finnes allerede" in duplicate.get_data(
        as_text=True)
    from webapp.models import UserGroup

    group = db.session.scalar(select(UserGroup).where(UserGroup.name == "Regnskap"))
    member = db.session.scalar(select(User).where(User.username == "user1",
                                                  User.company_id == admin.company_id))
    assert client.post(f"/portal/users/{member.id}/group",
                       data={"group_id": group.id}).status_code == 303
    client.post("/logout")
    _log_in(client, member)
    home = client.get("/portal/").get_data(as_text=True)
    assert "/portal/invoices" in home and "/admin/sales/frequencies" not in home
    assert client.get("/admin/sales/frequencies").status_code == 403
    assert client.get("/portal/invoices").status_code == 200


def test_administrators_keep_the_admin_module(client):
    subscription = active_customer(dt.date(2026, 4, 20))
    admin = _admin_of(subscription)
    _log_in(client, admin)
    from webapp.models import UserGroup

    administrators = db.session.scalar(select(UserGroup).where(
        UserGroup.company_id == admin.company_id, UserGroup.key == "administrators"))
    client.post(f"/portal/groups/{administrators.id}", data={"can_billing": "y"})
    db.session.refresh(administrators)
    assert administrators.can_admin
    users = db.session.scalar(select(UserGroup).where(
        UserGroup.company_id == admin.company_id, UserGroup.key == "users"))
    client.post(f"/portal/users/{admin.id}/group", data={"group_id": users.id})
    assert client.get("/portal/users").status_code == 200  # still an administrator


def test_r_plan_2_an_administrator_edits_a_user_and_the_employee_follows(client):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = _admin_of(subscription)
    _log_in(client, admin)
    other = db.session.scalar(select(User).where(User.username == "user1",
                                                 User.company_id == admin.company_id))
    page = client.get(f"/portal/users/{other.id}/edit").get_data(as_text=True)
    assert 'value="User1"' in page
    taken = client.post(f"/portal/users/{other.id}/edit", data={
        "first_name": "Kari", "last_name": "Li", "email": "kari@example.com",
        "username": "USER0"})
    assert taken.status_code == 422 and "allerede i bruk" in taken.get_data(as_text=True)
    assert client.post(f"/portal/users/{other.id}/edit", data={
        "first_name": "Kari", "last_name": "Li", "email": "kari@example.com",
        "username": "kari"}).status_code == 303
    employee = db.session.scalar(select(Employee).where(Employee.user_id == other.id))
    assert (employee.first_name, employee.email) == ("Kari", "kari@example.com")


def test_r_bill_6_a_user_beyond_the_licence_raises_the_next_invoice(client):
    from tests.services.test_billing import at
    from tests.conftest import run_due_jobs

    subscription = active_customer(dt.date(2026, 4, 20), "quarterly", quantity=1)
    at(2026, 4, 21, 9, 0)
    run_due_jobs()
    _log_in(client, _admin_of(subscription))
    at(2026, 6, 1, 9, 0)

    def next_invoice():
        home = client.get("/portal/").get_data(as_text=True)
        return home.split("data-next-invoice>")[1].split("</dd>")[0]

    before = next_invoice()
    assert before.startswith("11.07.2026, ")
    client.post("/portal/users", data=NEW)
    after = next_invoice()
    # Professional + Mobile Edition (378 kr a month) for Per from 1 June to 10 July:
    # 378 + 378 × 10/31 = 499,935 → 499,94 net (one rounding per line). VAT is 25 % of the
    # invoice's net total: 1 134,00 → 1 633,94 net moves VAT from 283,50 to 408,49 (408,485
    # rounded half up), so the total grows by 499,94 + 124,99 = 624,93.
    amount = lambda text: int(text.split(", ")[1].replace("kr\u00a0", "").replace(
        "\u00a0", "").replace(" inkl. mva.", "").replace(",", ""))
    assert amount(after) - amount(before) == 62_493
