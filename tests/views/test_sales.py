"""R-FREQ-1 … R-FREQ-5 and subscriptions: the list, the forms, the export and the invoices."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.selling import LAST_FRIDAY_6, WEEKLY_FRIDAY, post_frequency, post_subscription
from webapp.extensions import db
from webapp.models import (
    Company,
    Customer,
    Frequency,
    Invoice,
    LicenceSubscription,
    Subscription,
    User,
)
from webapp.services.demo import DEMO_ADMIN

D = dt.date


@pytest.fixture
def admin(client, at, log_in_demo):
    at(2026, 1, 1, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    return db.session.scalar(select(User).where(User.username == DEMO_ADMIN["username"]))



def test_r_freq_3_a_new_frequency_is_named_from_its_pattern(client, admin):
    assert post_frequency(client, WEEKLY_FRIDAY).status_code == 303
    assert post_frequency(client, LAST_FRIDAY_6, name="Kvartalsvask").status_code == 303
    names = db.session.scalars(select(Frequency.name).order_by(Frequency.id)).all()
    assert names == ["Hver 2. uke på fredag", "Kvartalsvask"]
    frequency = db.session.scalar(select(Frequency).where(Frequency.name == "Kvartalsvask"))
    assert frequency.next_date == D(2026, 1, 30)


@pytest.mark.parametrize("change, field, message", [
    ({"kind": "monthly", "day_mode": "date", "month_day": "0"}, "month_day",
     "Velg en dag som finnes i måneden."),
    ({"interval": "0"}, "interval", "Hver 1. til 99."),
    ({"weekdays": []}, "weekdays", "Velg minst én ukedag."),
    ({"end_kind": "until", "until": "2025-12-01"}, "until", "Sluttdatoen er før startdatoen."),
    ({"weekdays": ["0"], "end_kind": "until", "until": "2026-01-04"}, "until",
     "Mønsteret har ingen dato"),
    ({"kind": "yearly", "day_mode": "date", "month": "4", "month_day": "31"}, "month_day",
     "Velg en dag som finnes i måneden."),
    ({"end_kind": "count", "count": ""}, "count", "Skriv hvor mange ganger."),
    ({"start_date": "2025-01-03", "end_kind": "until", "until": "2025-06-30"}, "until",
     "ingen dato fra i dag"),
    ({"start_date": "2025-01-03", "end_kind": "count", "count": "3"}, "count",
     "ingen dato fra i dag"),
])
def test_r_freq_1_impossible_patterns_get_a_message_and_nothing_is_saved(client, admin,
                                                                         change, field,
                                                                         message):
    response = post_frequency(client, {**WEEKLY_FRIDAY, **change}, name="Beholdes")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.split(f'id="field-{field}"')[1].split("</fieldset>")[0] \
        if field == "weekdays" else message in html.split(f'id="field-{field}"')[1].split(
            "</div>")[0]
    assert 'value="Beholdes"' in html
    assert db.session.scalar(select(func.count()).select_from(Frequency)) == 0


def _seed_list(client):
    for data, name in [(WEEKLY_FRIDAY, "B ukentlig"), (LAST_FRIDAY_6, "A siste fredag"),
                       ({**WEEKLY_FRIDAY, "weekdays": ["0"], "start_date": "2026-03-02"},
                        "C mars")]:
        assert post_frequency(client, data, name=name).status_code == 303


def test_r_freq_4_list_filters_sorts_and_exports_as_shown(client, admin):
    _seed_list(client)
    last = db.session.scalar(select(Frequency).where(Frequency.name == "C mars"))
    client.post(f"/admin/sales/frequencies/{last.id}/active", data={"active": "0"})
    page = client.get("/admin/sales/frequencies").get_data(as_text=True)
    page = page.split('id="frequency-table"')[1]
    assert "A siste fredag" in page and "C mars" not in page  # default: all active
    assert page.index("B ukentlig") < page.index("A siste fredag")  # next date: 2 vs 30 Jan
    by_name = client.get("/admin/sales/frequencies?sort=name&dir=desc",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert by_name.lstrip().startswith('<div id="frequency-table">')
    assert by_name.index("B ukentlig") < by_name.index("A siste fredag")
    deactivated = client.get("/admin/sales/frequencies?show=deactivated").get_data(
        as_text=True).split('id="frequency-table"')[1]
    assert "C mars" in deactivated and "B ukentlig" not in deactivated
    export = client.get("/admin/sales/frequencies/export.xlsx?show=all&sort=name")
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Navn", "Mønster", "Neste dato", "Slutt", "I bruk", "Sist endret",
                       "Av")
    assert [row[0] for row in rows[1:]] == ["A siste fredag", "B ukentlig", "C mars"]
    assert rows[1][1] == "Siste fredag hver 2. måned, 6 ganger" and rows[1][3] == \
        "Etter 6 ganger"
    assert rows[2][2].date() == D(2026, 1, 2) and rows[2][4] == 0 and rows[2][6] == "KN"


def test_r_freq_5_created_inside_the_subscription_dialog(client, admin):
    form = client.get("/admin/sales/frequencies/new?context=dialog",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert form.lstrip().startswith('<form id="frequency-form"') and 'hx-post=' in form
    response = post_frequency(client, LAST_FRIDAY_6, context="dialog")
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#field-frequency_id"
    html = response.get_data(as_text=True)
    assert "selected>Siste fredag hver 2. måned, 6 ganger</option>" in html


def _customer(name, email):
    company = db.session.scalar(select(Company).where(Company.name == "Fjordkaffe AS"))
    customer = Customer(company_id=company.id, name=name, email=email,
                        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    db.session.add(customer)
    db.session.commit()
    return customer



def test_subscription_invoices_every_subscriber_on_every_occurrence(client, admin, at, run_jobs):
    post_frequency(client, LAST_FRIDAY_6)
    frequency = db.session.scalar(select(Frequency))
    first = _customer("Kafé Nord", "nord@example.com")
    second = _customer("Kafé Sør", "sor@example.com")
    assert post_subscription(client, frequency.id, [first, second],
                         end_dates=("", "2026-04-30")).status_code == 303
    assert "1" in client.get("/admin/sales/frequencies").get_data(as_text=True)
    at(2026, 1, 30, 9, 0)
    run_jobs()
    run_jobs()
    at(2026, 6, 1, 9, 0)  # catching up after downtime: 27 March and 29 May
    run_jobs()
    issued = db.session.scalars(select(Invoice).where(Invoice.customer_id.is_not(None))
                                .order_by(Invoice.invoice_date, Invoice.buyer_name)).all()
    assert [(i.buyer_name, i.invoice_date) for i in issued] == [
        ("Kafé Nord", D(2026, 1, 30)), ("Kafé Sør", D(2026, 1, 30)),
        ("Kafé Nord", D(2026, 3, 27)), ("Kafé Sør", D(2026, 3, 27)),
        ("Kafé Nord", D(2026, 5, 29))]
    invoice = issued[0]
    # 2 × 249,50 at 15 % and 400 at 25 %: net 899,00, VAT 74,85 + 100,00
    assert (invoice.net_ore, invoice.vat_ore, invoice.total_ore) == (89_900, 17_485, 107_385)
    assert [line.vat_percent for line in invoice.lines] == [15, 25]
    assert invoice.seller.name == "Fjordkaffe AS"
    assert sorted(i.number for i in issued) == [1, 2, 3, 4, 5]  # the company's own series
    assert {m for m in db.session.scalars(select(Invoice.sent_at))} != {None}


def test_subscription_invoices_are_marked_in_a_trial(client, admin, at, run_jobs):
    subscription = db.session.scalar(select(LicenceSubscription))
    subscription.status = "trial"
    db.session.commit()
    post_frequency(client, WEEKLY_FRIDAY)
    post_subscription(client, db.session.scalar(select(Frequency.id)),
                  [_customer("Kafé Nord", "nord@example.com")])
    at(2026, 1, 2, 9, 0)
    run_jobs()
    assert db.session.scalar(select(Invoice.is_trial).where(Invoice.customer_id.is_not(None)))


def test_r_freq_4_a_frequency_in_use_cannot_be_deactivated_and_inactive_cannot_be_chosen(
        client, admin):
    post_frequency(client, WEEKLY_FRIDAY)
    post_frequency(client, LAST_FRIDAY_6)
    used, spare = db.session.scalars(select(Frequency).order_by(Frequency.id)).all()
    post_subscription(client, used.id, [_customer("Kafé Nord", "nord@example.com")])
    response = client.post(f"/admin/sales/frequencies/{used.id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert db.session.get(Frequency, used.id).active
    client.post(f"/admin/sales/frequencies/{spare.id}/active", data={"active": "0"})
    form = client.get("/admin/sales/subscriptions/new").get_data(as_text=True)
    assert spare.name not in form.split('id="frequency_id"')[1].split("</select>")[0]
    refused = post_subscription(client, spare.id, [])
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_subscription_form_refuses_bad_lines_and_keeps_them(client, admin):
    post_frequency(client, WEEKLY_FRIDAY)
    response = client.post("/admin/sales/subscriptions/new", data={
        "name": "", "frequency_id": str(db.session.scalar(select(Frequency.id))),
        "action": "save", "lines-0-product_text": "Kaffe", "lines-0-quantity": "0",
        "lines-0-unit_price": "gratis", "lines-0-vat_percent": "25"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Kaffe"' in html and 'value="gratis"' in html
    assert "1234,50" in html


def test_sales_of_another_company_are_not_found(client, admin, app):
    post_frequency(client, WEEKLY_FRIDAY)
    frequency = db.session.scalar(select(Frequency))
    frequency.company_id = db.session.scalar(select(Company.id).where(Company.kind == "vendor"))
    db.session.commit()
    assert client.get(f"/admin/sales/frequencies/{frequency.id}/edit").status_code == 404
    assert client.post(f"/admin/sales/frequencies/{frequency.id}/active",
                       data={"active": "0"}).status_code == 404


def test_the_company_sees_its_own_sales_invoices_and_no_one_else_does(
        client, admin, at, run_jobs, log_in_operator):
    post_frequency(client, WEEKLY_FRIDAY)
    post_subscription(client, db.session.scalar(select(Frequency.id)),
                  [_customer("Kafé Nord", "nord@example.com")])
    at(2026, 1, 2, 9, 0)
    run_jobs()
    invoice = db.session.scalar(select(Invoice).where(Invoice.customer_id.is_not(None)))
    listing = client.get("/admin/sales/invoices").get_data(as_text=True)
    assert "Kafé Nord" in listing and "02.01.2026" in listing
    assert client.get(f"/admin/sales/invoices/{invoice.id}.pdf").data.startswith(b"%PDF")
    assert "Fjordkaffe AS" in client.get(f"/admin/sales/invoices/{invoice.id}").get_data(
        as_text=True)
    client.post("/logout")

    log_in_operator(client)
    assert client.get(f"/operator/invoices/{invoice.id}").status_code == 404


@pytest.mark.parametrize("action", ["remove:lines", "remove:x:y:z", "add-nothing", "remove:"])
def test_odd_form_actions_never_break_the_subscription_form(client, admin, action):
    post_frequency(client, WEEKLY_FRIDAY)
    response = client.post("/admin/sales/subscriptions/new", data={
        "name": "Kaffe", "frequency_id": str(db.session.scalar(select(Frequency.id))),
        "action": action, "lines-x-product_text": "Kaffe", "lines-0-product_text": "Te"})
    assert response.status_code == 200 and 'value="Te"' in response.get_data(as_text=True)


EVERY_2ND_FRIDAY_FROM_SEPTEMBER = {**WEEKLY_FRIDAY, "start_date": "2025-09-05"}


def _sales_invoices(customer=None):
    query = select(Invoice).where(Invoice.customer_id.is_not(None), Invoice.kind == "invoice")
    if customer is not None:
        query = query.where(Invoice.customer_id == customer.id)
    return [i.invoice_date for i in db.session.scalars(query.order_by(Invoice.invoice_date))]


def test_r_freq_6_a_subscriber_is_invoiced_from_the_day_it_is_added(client, admin, at, run_jobs):
    """The frequency began in September; a subscriber added on 1 January is not invoiced for
    the autumn: its first occurrence is the first on or after the day it was added."""
    post_frequency(client, EVERY_2ND_FRIDAY_FROM_SEPTEMBER)
    frequency = db.session.scalar(select(Frequency))
    nord = _customer("Kafé Nord", "nord@example.com")
    assert post_subscription(client, frequency.id, [nord]).status_code == 303
    subscriber = db.session.scalar(select(Subscription)).subscribers[0]
    assert subscriber.start_date == D(2026, 1, 1)
    at(2026, 1, 1, 9, 0)
    run_jobs()
    assert _sales_invoices() == []
    at(2026, 1, 23, 9, 0)
    run_jobs()
    assert _sales_invoices() == [D(2026, 1, 9), D(2026, 1, 23)]


def test_r_freq_6_an_earlier_start_is_saved_only_when_its_invoices_are_confirmed(
        client, admin, at, run_jobs):
    post_frequency(client, EVERY_2ND_FRIDAY_FROM_SEPTEMBER)
    frequency = db.session.scalar(select(Frequency))
    nord = _customer("Kafé Nord", "nord@example.com")
    refused = post_subscription(client, frequency.id, [nord], start_dates=("2025-12-01",))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    # 12 and 26 December: two invoices at once, said next to the start date.
    assert "Starting on 01.12.2025 creates 2 invoices at once" in html \
        or "Med start 01.12.2025 lages 2 fakturaer med en gang" in html
    assert 'value="2025-12-01"' in html and 'name="confirm_past"' in html
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
    saved = post_subscription(client, frequency.id, [nord], start_dates=("2025-12-01",),
                          confirm_past="y")
    assert saved.status_code == 303
    at(2026, 1, 1, 9, 0)
    run_jobs()
    assert _sales_invoices() == [D(2025, 12, 12), D(2025, 12, 26)]


def test_r_freq_2_after_n_occurrences_counts_per_subscriber(client, admin, at, run_jobs):
    post_frequency(client, LAST_FRIDAY_6)
    frequency = db.session.scalar(select(Frequency))
    nord, sor = _customer("Kafé Nord", "nord@example.com"), _customer("Kafé Sør", "sor@example.com")
    post_subscription(client, frequency.id, [nord])
    at(2026, 5, 1, 9, 0)
    run_jobs()
    subscription = db.session.scalar(select(Subscription))
    edited = _subscription_edit(client, subscription, [nord, sor])
    assert edited.status_code == 303
    at(2027, 12, 31, 9, 0)
    run_jobs()
    assert _sales_invoices(nord) == [D(2026, 1, 30), D(2026, 3, 27), D(2026, 5, 29),
                                     D(2026, 7, 31), D(2026, 9, 25), D(2026, 11, 27)]
    # Sør's six begin at its own start, 1 May.
    assert _sales_invoices(sor) == [D(2026, 5, 29), D(2026, 7, 31), D(2026, 9, 25),
                                    D(2026, 11, 27), D(2027, 1, 29), D(2027, 3, 26)]


def _subscription_edit(client, subscription, customers, active=(), running=True):
    data = {"name": subscription.name, "frequency_id": str(subscription.frequency_id),
            "action": "save", "active": "y" if running else ""}
    for index, line in enumerate(subscription.lines):
        data.update({f"lines-{index}-product_text": line.product_text,
                     f"lines-{index}-quantity": str(line.quantity),
                     f"lines-{index}-unit_price": str(line.unit_ore // 100),
                     f"lines-{index}-vat_percent": str(line.vat_percent)})
    for index, customer in enumerate(customers):
        data[f"subscribers-{index}-customer_id"] = str(customer.id)
        if index >= len(active) or active[index]:
            data[f"subscribers-{index}-active"] = "y"
    return client.post(f"/admin/sales/subscriptions/{subscription.id}", data=data)


def test_r_freq_2_deactivated_subscribers_and_subscriptions_issue_nothing_and_keep_history(
        client, admin, at, run_jobs):
    post_frequency(client, WEEKLY_FRIDAY)
    frequency = db.session.scalar(select(Frequency))
    nord, sor = _customer("Kafé Nord", "nord@example.com"), _customer("Kafé Sør", "sor@example.com")
    post_subscription(client, frequency.id, [nord, sor])
    at(2026, 1, 2, 9, 0)
    run_jobs()
    subscription = db.session.scalar(select(Subscription))
    # Removing an invoiced subscriber is refused with a message, not a 500; nothing is lost.
    refused = _subscription_edit(client, subscription, [nord])
    assert refused.status_code == 422
    assert "Kafé Sør" in refused.get_data(as_text=True)
    assert len(db.session.scalar(select(Subscription)).subscribers) == 2
    # Deactivating Sør keeps its invoice and stops its occurrences.
    assert _subscription_edit(client, subscription, [nord, sor],
                              active=(True, False)).status_code == 303
    at(2026, 1, 16, 9, 0)
    run_jobs()
    assert _sales_invoices(nord) == [D(2026, 1, 2), D(2026, 1, 16)]
    assert _sales_invoices(sor) == [D(2026, 1, 2)]
    # A deactivated subscription issues nothing more; it cannot be deleted after invoicing.
    assert _subscription_edit(client, subscription, [nord, sor], active=(True, False),
                              running=False).status_code == 303
    at(2026, 1, 30, 9, 0)
    run_jobs()
    assert _sales_invoices(nord) == [D(2026, 1, 2), D(2026, 1, 16)]
    response = client.post(f"/admin/sales/subscriptions/{subscription.id}/delete")
    assert response.status_code == 303
    assert db.session.get(Subscription, subscription.id) is not None
    # One that never invoiced anything is deleted.
    post_subscription(client, frequency.id, [])
    unused = db.session.scalars(select(Subscription.id).order_by(Subscription.id)).all()[-1]
    assert client.post(f"/admin/sales/subscriptions/{unused}/delete").status_code == 303
    assert db.session.scalar(select(Subscription.id).where(Subscription.id == unused)) is None


def test_a_customer_twice_on_one_subscription_is_refused_with_a_message(client, admin):
    post_frequency(client, LAST_FRIDAY_6)
    frequency = db.session.scalar(select(Frequency))
    customer = _customer("Kafé Nord", "nord@example.com")
    response = post_subscription(client, frequency.id, [customer, customer])
    assert response.status_code == 422
    assert "En kunde kan bare stå én gang på abonnementet." in response.get_data(as_text=True)


def test_r_freq_4_mine_is_what_i_created_or_changed_last(client, admin, log_in):
    from webapp.services.accounts import add_user

    post_frequency(client, LAST_FRIDAY_6, name="Laget av Kari")
    colleague = add_user(admin.company, admin.created_at, first_name="Ola", last_name="Berg",
                         email="ola@fjordkaffe.example", username="olaberg",
                         group_key="administrators")
    db.session.commit()
    client.post("/logout")
    log_in(client, colleague)
    post_frequency(client, WEEKLY_FRIDAY, name="Laget av Ola")
    mine = client.get("/admin/sales/frequencies?show=mine").get_data(as_text=True)
    assert "Laget av Ola" in mine and "Laget av Kari" not in mine
    karis = db.session.scalar(select(Frequency).where(Frequency.name == "Laget av Kari"))
    changed = client.post(f"/admin/sales/frequencies/{karis.id}/edit",
                          data={**LAST_FRIDAY_6, "name": "Endret av Ola"})
    assert changed.status_code == 303
    mine = client.get("/admin/sales/frequencies?show=mine").get_data(as_text=True)
    assert "Laget av Ola" in mine and "Endret av Ola" in mine
    client.post("/logout")
    log_in(client, admin)
    mine = client.get("/admin/sales/frequencies?show=mine").get_data(as_text=True)
    assert "Endret av Ola" in mine and "Laget av Ola" not in mine
