"""R-PLAN-1, R-PLAN-2, R-BILL-6: administrators add, deactivate and delete users; the employee
record stays; users beyond the licence are warned about; Free must upgrade first."""
import datetime as dt

from sqlalchemy import select

from tests.billing_setup import active_customer
from webapp.extensions import db
from webapp.models import Employee, OutboxMail, User

NEW = {"first_name": "Per", "last_name": "Olsen", "email": "per@example.com",
       "username": "per", "user_group": "users"}


def test_r_plan_2_an_administrator_adds_a_user_who_gets_the_login_by_email(client, admin_of,
                                                                           log_in):
    subscription = active_customer(dt.date(2026, 4, 20), quantity=1)
    log_in(client, admin_of(subscription))
    response = client.post("/admin/users", data=NEW)
    assert response.status_code == 303
    page = client.get("/admin/users").get_data(as_text=True)
    assert "utover lisensen faktureres etterskuddsvis" in page  # R-BILL-6
    assert "2 av 1 i bruk" in page
    [mail] = db.session.scalars(select(OutboxMail).where(OutboxMail.to_address ==
                                                         "per@example.com"))
    assert "Brukernavn: per" in mail.body_text and "/password/set/" in mail.body_text
    again = client.post("/admin/users", data={**NEW, "username": "PER"})
    assert again.status_code == 422 and "allerede i bruk" in again.get_data(as_text=True)


def test_r_plan_1_free_must_upgrade_before_adding_users(client, admin_of, log_in):
    subscription = active_customer(dt.date(2026, 4, 20), "monthly", plan="efaktura-free",
                                   addons=())
    log_in(client, admin_of(subscription))
    response = client.post("/admin/users", data=NEW)
    assert response.status_code == 422
    assert "Oppgrader til Basic" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "per")) is None


def test_r_plan_2_deactivate_and_delete_keep_the_employee_and_one_administrator(client, admin_of,
                                                                                log_in):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = admin_of(subscription)
    log_in(client, admin)
    other = db.session.scalar(select(User).where(User.username == "user1",
                                                 User.company_id == admin.company_id))
    assert client.post(f"/admin/users/{other.id}/delete").status_code == 303
    db.session.refresh(other)
    assert not other.active and other.password_hash is None
    employee = db.session.scalar(select(Employee).where(Employee.email == "user1@example.com"))
    assert employee is not None and employee.user_id is None
    client.post(f"/admin/users/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.active  # the last administrator stays
    client.post(f"/admin/employees/{employee.id}/employed", data={"employed": "0"})
    table = client.get("/admin/users").get_data(as_text=True).split("<table")[1]
    assert "User1" not in table
    assert "User1" in client.get("/admin/users?show=all").get_data(as_text=True).split(
        "<table")[1]


def test_r_plan_2_users_of_another_company_are_not_found(client, admin_of, log_in):
    mine = active_customer(dt.date(2026, 4, 20))
    theirs = active_customer(dt.date(2026, 4, 20), name="Andre AS", users=2)
    log_in(client, admin_of(mine))
    target = admin_of(theirs)
    assert client.post(f"/admin/users/{target.id}/deactivate").status_code == 404
    employee = db.session.scalar(select(Employee).where(Employee.user_id == target.id))
    assert client.post(f"/admin/employees/{employee.id}/employed",
                       data={"employed": "0"}).status_code == 404
    db.session.refresh(target)
    assert target.active


def test_a_custom_group_without_sales_loses_the_sales_pages(client, admin_of, log_in):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = admin_of(subscription)
    log_in(client, admin)
    assert client.post("/admin/groups", data={"name": "Regnskap", "can_billing": "y",
                                               "can_reports": "y"}).status_code == 303
    duplicate = client.post("/admin/groups", data={"name": "regnskap"})
    assert duplicate.status_code == 422 and "finnes allerede" in duplicate.get_data(
        as_text=True)
    from webapp.models import UserGroup

    group = db.session.scalar(select(UserGroup).where(UserGroup.name == "Regnskap"))
    member = db.session.scalar(select(User).where(User.username == "user1",
                                                  User.company_id == admin.company_id))
    assert client.post(f"/admin/users/{member.id}/group",
                       data={"group_id": group.id}).status_code == 303
    client.post("/logout")
    log_in(client, member)
    home = client.get("/portal/").get_data(as_text=True)
    assert "/portal/invoices" in home and "/admin/sales/frequencies" not in home
    assert client.get("/admin/sales/frequencies").status_code == 403
    assert client.get("/portal/invoices").status_code == 200


def test_administrators_keep_the_admin_module(client, admin_of, log_in):
    subscription = active_customer(dt.date(2026, 4, 20))
    admin = admin_of(subscription)
    log_in(client, admin)
    from webapp.models import UserGroup

    administrators = db.session.scalar(select(UserGroup).where(
        UserGroup.company_id == admin.company_id, UserGroup.key == "administrators"))
    client.post(f"/admin/groups/{administrators.id}", data={"can_billing": "y"})
    db.session.refresh(administrators)
    assert administrators.can_admin
    users = db.session.scalar(select(UserGroup).where(
        UserGroup.company_id == admin.company_id, UserGroup.key == "users"))
    client.post(f"/admin/users/{admin.id}/group", data={"group_id": users.id})
    assert client.get("/admin/users").status_code == 200  # still an administrator


def test_r_plan_2_an_administrator_edits_a_user_and_the_employee_follows(client, admin_of, log_in):
    subscription = active_customer(dt.date(2026, 4, 20), users=2)
    admin = admin_of(subscription)
    log_in(client, admin)
    other = db.session.scalar(select(User).where(User.username == "user1",
                                                 User.company_id == admin.company_id))
    page = client.get(f"/admin/users/{other.id}/edit").get_data(as_text=True)
    assert 'value="User1"' in page
    taken = client.post(f"/admin/users/{other.id}/edit", data={
        "first_name": "Kari", "last_name": "Li", "email": "kari@example.com",
        "username": "USER0"})
    assert taken.status_code == 422 and "allerede i bruk" in taken.get_data(as_text=True)
    assert client.post(f"/admin/users/{other.id}/edit", data={
        "first_name": "Kari", "last_name": "Li", "email": "kari@example.com",
        "username": "kari"}).status_code == 303
    employee = db.session.scalar(select(Employee).where(Employee.user_id == other.id))
    assert (employee.first_name, employee.email) == ("Kari", "kari@example.com")


def test_r_bill_6_a_user_beyond_the_licence_raises_the_next_invoice(client, admin_of, log_in,
                                                                    run_jobs, at):

    subscription = active_customer(dt.date(2026, 4, 20), "quarterly", quantity=1)
    at(2026, 4, 21, 9, 0)
    run_jobs()
    log_in(client, admin_of(subscription))
    at(2026, 6, 1, 9, 0)

    def next_invoice():
        home = client.get("/portal/").get_data(as_text=True)
        return home.split("data-next-invoice>")[1].split("</dd>")[0]

    before = next_invoice()
    assert before.startswith("11.07.2026, ")
    client.post("/admin/users", data=NEW)
    after = next_invoice()
    # Professional + Mobile Edition (378 kr a month) for Per from 1 June to 10 July:
    # 378 + 378 × 10/31 = 499,935 → 499,94 net (one rounding per line). VAT is 25 % of the
    # invoice's net total: 1 134,00 → 1 633,94 net moves VAT from 283,50 to 408,49 (408,485
    # rounded half up), so the total grows by 499,94 + 124,99 = 624,93.
    def amount(text):
        return int(text.split(", ")[1].replace("kr\u00a0", "").replace(
            "\u00a0", "").replace(" inkl. mva.", "").replace(",", ""))

    assert amount(after) - amount(before) == 62_493


def test_one_set_of_username_rules_in_the_shop_and_the_portal(client, admin_of, log_in):
    """Seed 000: the portal refuses what the shop refuses, suggests a username from the first
    name (one not taken) and warns about æ, ø, å, as the shop does."""
    subscription = active_customer(dt.date(2026, 4, 20), quantity=3)
    log_in(client, admin_of(subscription))
    for refused in ("kåre!", "li se"):
        response = client.post("/admin/users", data={**NEW, "username": refused})
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and "bare bokstaver og tall" in text
        assert 'value="per@example.com"' in text  # nothing typed is lost
    htmx = {"HX-Request": "true"}
    suggested = client.get("/admin/users/username?first_name=User&username=",
                           headers=htmx).get_data(as_text=True)
    assert 'value="user"' in suggested  # "user0" is taken by the administrator, "user" is free
    warned = client.get("/admin/users/username?first_name=K%C3%A5re&username=",
                        headers=htmx).get_data(as_text=True)
    assert 'value="kare"' in warned
    accented = client.get("/admin/users/username?username=k%C3%A5re",
                          headers=htmx).get_data(as_text=True)
    assert "Unngå æ, ø, å" in accented and 'class="error"' not in accented
    assert client.get("/admin/users/username?username=x").status_code == 303


def test_r_plan_6_main_contact_and_invoice_email_changed_with_word_to_old_and_new(
        client, admin_of, log_in, run_jobs, at):
    """Seed 000: e-mail is the most important channel; an administrator changes the main
    contact and the invoice e-mail and address, and the old and the new addresses are told.
    The next invoice goes to the new address."""
    from webapp.models import CustomerAgreement, Invoice
    from webapp.services.accounts import add_user

    subscription = active_customer(dt.date(2026, 1, 5), quantity=3)
    admin = admin_of(subscription)
    company = admin.company
    second = add_user(company, admin.created_at, first_name="Ola", last_name="Berg",
                      email="ola@bakeriet.example", username="ola",
                      group_key="administrators")
    guest = add_user(company, admin.created_at, first_name="Gro", last_name="Gjest",
                     email="gro@bakeriet.example", username="gro", group_key="guests")
    db.session.commit()
    log_in(client, admin)
    page = client.get("/portal/contact").get_data(as_text=True)
    assert "faktura@bakeriet.example" in page and "Ola Berg" in page and "Gro Gjest" not in page
    bad = client.post("/portal/contact", data={"contact_id": str(guest.id),
                                               "invoice_email": "ikke-en-adresse",
                                               "address_line": "Storgata 1",
                                               "postal_code": "0150"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Velg en av selskapets administratorer." in text
    assert 'value="ikke-en-adresse"' in text  # nothing typed is lost
    saved = client.post("/portal/contact", data={"contact_id": str(second.id),
                                                 "invoice_email": "regnskap@bakeriet.example",
                                                 "address_line": "Kirkegata 2",
                                                 "postal_code": "7010"})
    assert saved.status_code == 303
    told = {(mail.kind, mail.to_address) for mail in db.session.scalars(
        select(OutboxMail).where(OutboxMail.kind.in_(["contact_changed",
                                                      "invoice_email_changed"])))}
    assert told == {("contact_changed", admin.email), ("contact_changed", "ola@bakeriet.example"),
                    ("invoice_email_changed", "faktura@bakeriet.example"),
                    ("invoice_email_changed", "regnskap@bakeriet.example")}
    agreement = db.session.get(CustomerAgreement, subscription.agreement_id)
    assert (agreement.invoice_address_line, agreement.invoice_postal_code,
            agreement.invoice_city) == ("Kirkegata 2", "7010", "TRONDHEIM")
    assert db.session.get(User, second.id).is_main_contact and not \
        db.session.get(User, admin.id).is_main_contact
    at(2026, 1, 6, 9, 0)
    run_jobs()
    invoice = db.session.scalar(select(Invoice).where(Invoice.agreement_id == agreement.id))
    assert (invoice.buyer_email, invoice.buyer_address_line, invoice.buyer_city) == (
        "regnskap@bakeriet.example", "Kirkegata 2", "TRONDHEIM")


def test_admin_is_one_area_under_admin_with_its_pages_in_one_row(client, admin_of, log_in):
    """Users, user groups and customer agreements live under /admin, each page shows the
    area's tabs with its own marked; the old /portal addresses lead there."""
    subscription = active_customer(dt.date(2026, 4, 20))
    log_in(client, admin_of(subscription))
    for page, tab in (("/admin/users", "Ansatte og brukere"), ("/admin/groups", "Brukergrupper"),
                      ("/admin/agreements", "Kundeavtaler")):
        html = client.get(page).get_data(as_text=True)
        tabs = html[html.index('<nav class="tabs"'):html.index("</nav>", html.index(
            '<nav class="tabs"'))]
        assert f'href="{page}" aria-current="page">{tab}</a>' in tabs
        assert tabs.count('aria-current="page"') == 1
    for old in ("/portal/users", "/portal/groups", "/portal/agreements"):
        moved = client.get(old + "?q=Per")
        assert moved.status_code == 301
        assert moved.headers["Location"] == old.replace("/portal/", "/admin/") + "?q=Per"
