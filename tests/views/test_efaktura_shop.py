"""R-PLAN-5: Kvitt eFaktura's plans (Free, Basic, Premium) are ordered in the shop with the same
steps, priced by R-PLAN-1 and invoiced monthly (R-PLAN-3); Enterprise (integrated services) is
asked for by quote, by anyone, and answered by the operator by e-mail."""
import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.billing_model import EXTRA_LICENCE, PLANS, VAT, Model, percent
from tests.billing_setup import active_customer
from tests.shopping import (
    ADMIN,
    SECOND,
    post_company,
    post_product,
    post_terms,
    post_users,
    start_order,
    step_url,
)
from webapp.extensions import db
from webapp.models import Invoice, LicenceSubscription, Order, SupportRequest
from webapp.services.demo import seed_demo_data


def _text(response) -> str:
    return response.get_data(as_text=True)


def _monthly_incl_vat(plan: str, users: int) -> int:
    """R-PLAN-1 from the price list alone: the plan, and each licence beyond those included."""
    price, included = PLANS[plan]
    monthly = price + max(0, users - included) * EXTRA_LICENCE
    return monthly + percent(monthly, VAT)


def _price(client, **query) -> str:
    answer = client.get("/order/price", query_string=query, headers={"HX-Request": "true"})
    return re.search(r'data-price="total">([^<]*)<', _text(answer)).group(1)


def _kr(ore: int) -> str:
    kroner, rest = divmod(ore, 100)
    return f"kr\xa0{kroner:,}".replace(",", "\xa0") + f",{rest:02d}"


def _order_plan(client, plan, users, rows=(ADMIN,)) -> Order:
    public_id = start_order(client)
    assert post_product(client, public_id, product=plan, users=users).status_code == 303
    assert post_company(client, public_id).status_code == 303  # its "annual" is not offered
    assert post_users(client, public_id, *rows).status_code == 303
    assert post_terms(client, public_id).status_code == 303
    return db.session.scalar(select(Order).where(Order.public_id == public_id))


def test_r_plan_5_the_shop_offers_efaktura_plans_and_a_quote_for_enterprise(client):
    page = _text(client.get("/order?product=efaktura-basic"))
    assert "Kvitt eFaktura" in page
    for plan in ("efaktura-free", "efaktura-basic", "efaktura-premium"):
        assert f'value="{plan}"' in page
    assert re.search(r'<input checked[^>]*value="efaktura-basic"', page)
    assert 'value="efaktura-enterprise"' not in page and 'href="/quote"' in page
    assert 'href="/order?product=efaktura-basic"' in _text(client.get("/"))


@pytest.mark.parametrize("plan, users", [("efaktura-free", 1), ("efaktura-basic", 1),
                                         ("efaktura-basic", 2), ("efaktura-basic", 5),
                                         ("efaktura-premium", 3)])
def test_r_plan_1_the_shop_price_is_the_plan_and_licences_beyond_those_included(
        client, plan, users):
    # Whatever interval the page sends, a plan is priced by the month.
    assert _price(client, product=plan, users=users, mode="buy",
                  billing_interval="annual") == _kr(_monthly_incl_vat(plan, users))
    page = _text(client.get("/order/price", query_string={"product": plan, "users": users},
                            headers={"HX-Request": "true"}))
    assert "1 måned" in page and "Månedlig" in page and "Rabatt" not in page


@pytest.mark.parametrize("data, field, message", [
    ({"product": "efaktura-free", "users": "2"}, "users", "Free har én bruker"),
    ({"product": "efaktura-basic", "mode": "trial"}, "product", "prøveperioden gjelder Kvitt"),
    ({"product": "efaktura-premium", "addons": "office-mobile"}, "addons",
     "Tilleggstjenester hører til Kvitt Office"),
])
def test_r_plan_5_free_has_one_user_plans_have_no_trial_and_no_addons(client, data, field,
                                                                      message):
    public_id = start_order(client)
    answer = client.post(step_url(public_id, "product"),
                         data={"mode": "buy", "users": "1", "action": "next", **data})
    assert answer.status_code == 422
    field_html = re.search(rf'id="field-{field}".*?</(div|fieldset)>', _text(answer), re.S)
    assert message in field_html.group(0)
    assert re.search(rf'<input checked[^>]*value="{data["product"]}"', _text(answer))


def test_r_plan_5_basic_is_ordered_activated_and_invoiced_monthly(client, at, activate, mails,
                                                                  run_jobs):
    at(2026, 3, 2, 10, 0)
    public_id = start_order(client)
    post_product(client, public_id, product="efaktura-basic", users=3)
    company_page = _text(client.get(step_url(public_id, "company")))
    assert 'name="billing_interval" value="monthly"' in company_page
    assert "3 måneders oppsigelsestid" in company_page
    post_company(client, public_id)
    assert post_users(client, public_id, ADMIN, SECOND).status_code == 303
    terms = _text(client.get(step_url(public_id, "terms")))
    assert "Kvitt eFaktura Basic" in terms and _kr(_monthly_incl_vat("efaktura-basic", 3)) \
        in terms
    post_terms(client, public_id)
    confirmation = mails("order_confirmation")[0].body_text
    assert "Kvitt eFaktura Basic" in confirmation and "Månedlig" in confirmation

    response, _path = activate(client, None)
    assert response.status_code == 303
    subscription = db.session.scalar(select(LicenceSubscription))
    assert (subscription.plan_code, subscription.quantity, subscription.billing_interval,
            subscription.status) == ("efaktura-basic", 3, "monthly", "active")
    at(2026, 3, 3, 6, 0)
    run_jobs()
    # The rules' model: the rest of March and April, the plan and one licence beyond two.
    model = Model(dt.date(2026, 3, 2), "efaktura-basic", 3, "monthly", [], users=2)
    model.morning(dt.date(2026, 3, 3))
    [expected] = model.subscriptions["A"].documents
    invoice = db.session.scalar(select(Invoice))
    assert (invoice.total_ore, invoice.period_start, invoice.period_end) == (
        expected.net + expected.vat, expected.first, expected.last)


def test_r_plan_5_free_needs_no_invoice_address_and_is_never_invoiced(client, at, link_in, mails,
                                                                      run_jobs):
    at(2026, 3, 2, 10, 0)
    order = _order_plan(client, "efaktura-free", 1)
    path = link_in(mails("order_confirmation")[0], "/activate/")
    page = _text(client.get(path))
    assert 'name="address_line"' not in page
    assert client.post(path, data={}).status_code == 303
    db.session.refresh(order)
    assert db.session.scalar(select(LicenceSubscription.status)) == "active"
    at(2026, 5, 3, 6, 0)
    run_jobs()
    assert db.session.scalar(select(Invoice)) is None


def test_r_plan_5_free_takes_one_user_in_the_users_step(client):
    public_id = start_order(client)
    post_product(client, public_id, product="efaktura-free", users=1)
    post_company(client, public_id)
    answer = post_users(client, public_id, ADMIN, SECOND)
    assert answer.status_code == 422
    assert "registrert 2 brukere, men bestilt 1" in _text(answer)


QUOTE = {"company_name": "Lager og Logistikk AS", "contact_person": "Kari Nordmann",
         "email": "kari@lager.example", "phone": "912 34 567",
         "text": "Vi vil sende fakturaer rett fra ERP-systemet vårt."}


@pytest.mark.parametrize("field, value, message", [
    ("email", "ikke-en-adresse", "e-postadresse"),
    ("text", "   ", "Skriv hva dere trenger"),
    ("organisation_number", "123", "organisasjonsnummer"),
])
def test_r_plan_5_a_quote_request_with_bad_input_is_refused_at_the_field(client, field, value,
                                                                         message):
    answer = client.post("/quote", data={**QUOTE, field: value})
    assert answer.status_code == 422
    field_html = re.search(rf'id="field-{field}".*?</div>', _text(answer), re.S).group(0)
    assert message.lower() in field_html.lower()
    assert "Lager og Logistikk AS" in _text(answer)  # nothing typed is lost
    assert db.session.scalar(select(SupportRequest)) is None


def test_r_plan_5_a_visitor_asks_for_a_quote_and_the_operator_answers_by_mail(client, log_in, mails,
                                                                              operator_user):
    seed_demo_data()
    sent = client.post("/quote", data=QUOTE)
    assert sent.status_code == 200 and "kari@lager.example" in _text(sent)
    receipt = mails("support_received", to="kari@lager.example")[0].body_text
    assert "Hei Kari" in receipt and "ERP-systemet" in receipt and "/portal/" not in receipt

    asked = db.session.scalar(select(SupportRequest))
    log_in(client, operator_user())
    queue = _text(client.get("/operator/support"))
    assert "Lager og Logistikk AS (ikke kunde) – Kari Nordmann" in queue
    page = _text(client.get(f"/operator/support/{asked.id}"))
    assert "kari@lager.example, +47 91 23 45 67" in page and "ERP-systemet" in page
    assert client.post(f"/operator/support/{asked.id}", data={
        "action": "answer", "text": "Takk! Vi sender et tilbud i morgen."}).status_code == 303
    answer = mails("support_answer", to="kari@lager.example")[0].body_text
    assert "Vi sender et tilbud i morgen." in answer and "/portal/" not in answer


def test_r_plan_5_a_customer_asks_for_a_quote_from_the_portal(client, admin_of, log_in):
    admin = admin_of(active_customer(dt.date(2026, 1, 5), name="Kunde AS"))
    log_in(client, admin)
    moved = client.get("/quote")
    assert moved.status_code == 303 and "/portal/support?category=quote" in moved.location
    form = _text(client.get(moved.location))
    assert re.search(r'<option selected value="quote"|<option value="quote" selected', form)
