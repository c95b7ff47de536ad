"""R-SHOP-1 … R-SHOP-6: the four steps, the live price and every validation."""
import re

import pytest
from sqlalchemy import func, select

from tests.shopping import (
    ADMIN,
    COMPANY,
    SECOND,
    order_through,
    post_company,
    post_product,
    post_terms,
    post_users,
    start_order,
    step_url,
)
from webapp.extensions import db
from webapp.models import Company, LicenceSubscription, Order, OutboxMail, User

HTMX = {"HX-Request": "true"}


def test_r_shop_1_four_steps_at_real_urls_in_order(client):
    public_id = start_order(client)
    page = client.get(step_url(public_id, "product")).get_data(as_text=True)
    assert "Steg 1" in page and "Steg 4" in page
    response = post_product(client, public_id)
    assert response.headers["Location"] == step_url(public_id, "company")
    assert post_company(client, public_id).headers["Location"] == step_url(public_id, "users")
    assert post_users(client, public_id, ADMIN).headers["Location"] == step_url(public_id, "terms")
    assert client.get(step_url(public_id, "terms")).status_code == 200


def test_r_shop_1_a_later_step_opened_too_early_sends_back_to_the_missing_one(client):
    public_id = start_order(client)
    response = client.get(step_url(public_id, "users"))
    assert response.status_code == 303
    assert response.headers["Location"] == step_url(public_id, "product")


def test_r_shop_1_back_keeps_input_even_when_it_does_not_validate(client):
    public_id = start_order(client)
    post_product(client, public_id)
    response = client.post(step_url(public_id, "company"), data={
        **COMPANY, "email": "not-an-email", "phone": "", "action": "back"})
    assert response.headers["Location"] == step_url(public_id, "product")
    page = client.get(step_url(public_id, "company")).get_data(as_text=True)
    assert 'value="not-an-email"' in page
    assert 'value="Bakeriet Lille AS"' in page


def test_r_shop_1_the_draft_is_server_side_so_a_new_tab_sees_it(app, client):
    public_id = start_order(client)
    client.post(f"/order/{public_id}/product/save", data={
        "mode": "buy", "product": "office-enterprise", "users": "14", "addons": "office-ehf"})
    other_tab = client.get(step_url(public_id, "product")).get_data(as_text=True)
    assert 'value="14"' in other_tab
    assert re.search(r'<input checked[^>]*value="office-enterprise"', other_tab)
    assert re.search(r'<input checked[^>]*value="office-ehf"', other_tab)
    assert not re.search(r'<input checked[^>]*value="office-mobile"', other_tab)


def test_r_shop_1_a_draft_of_another_browser_is_not_found(app, client):
    public_id = start_order(client)
    stranger = app.test_client()
    assert stranger.get(step_url(public_id, "product")).status_code == 404
    assert stranger.post(f"/order/{public_id}/product/save", data={"users": "2"}).status_code \
        == 404
    assert stranger.post(step_url(public_id, "product"), data={"users": "2"}).status_code == 404
    assert client.get("/order/not-a-draft/product").status_code == 404


def test_r_shop_1_a_slow_price_answer_does_not_take_the_draft_away(app, client):
    """The live price asked before the draft existed may answer after it: its answer must not
    carry the older cookie, or the browser forgets its draft and every step is 404."""
    client.get("/order")
    cookie_before_the_draft = client.get_cookie("session", domain="kvitt.test").value
    public_id = start_order(client)
    slow = app.test_client()
    slow.set_cookie("session", cookie_before_the_draft, domain="kvitt.test")
    answer = slow.get("/order/price?product=office-professional&users=3&mode=trial",
                      headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert client.get(step_url(public_id, "product")).status_code == 200


def test_r_shop_2_none_is_for_a_logged_in_administrator_only(client):
    public_id = start_order(client)
    response = post_product(client, public_id, product="none", addons=["office-ehf"])
    assert response.status_code == 422
    assert "Logg inn som administrator" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, expected", [
    ("product=office-enterprise&users=1&billing_interval=quarterly", ["kr\u00a0449,00"]),
    ("product=office-enterprise&users=6&billing_interval=quarterly",
     ["5 × kr\u00a0449,00", "1 × kr\u00a0404,10", "rabatt 10\u00a0%" if False else "10 %"]),
    ("product=office-invoicing&users=2&addons=office-storage-50&billing_interval=annual",
     ["Ekstra lagring 50 GB", "kr\u00a0397,00", "kr\u00a04\u00a0764,00", "kr\u00a0476,40"]),
])
def test_r_shop_3_price_partial_shows_bands_totals_and_discounts(client, query, expected):
    response = client.get(f"/order/price?{query}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<aside id="price"')
    for text in expected:
        assert text in html
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]


def test_r_shop_3_price_changes_with_users_and_interval(client):
    def total(query):
        html = client.get(f"/order/price?{query}", headers=HTMX).get_data(as_text=True)
        return html.split('data-price="total">')[1].split("<")[0]
    quarterly_3 = total("product=office-professional&users=3&billing_interval=quarterly")
    quarterly_4 = total("product=office-professional&users=4&billing_interval=quarterly")
    annual_4 = total("product=office-professional&users=4&billing_interval=annual")
    # 3 × 349 × 3 months × 1.25 = 3 926.25; 4 users = 5 235.00; annual: 4 × 349 × 12 × 0.9 × 1.25
    assert quarterly_3 == "kr\u00a03\u00a0926,25"
    assert quarterly_4 == "kr\u00a05\u00a0235,00"
    assert annual_4 == "kr\u00a018\u00a0846,00"


def test_r_shop_3_price_partial_survives_nonsense_input(client):
    response = client.get("/order/price?product=bogus&users=abc&billing_interval=weekly",
                          headers=HTMX)
    assert response.status_code == 200


def test_r_shop_3_price_is_in_english_when_chosen(client):
    client.get("/?lang=en")
    html = client.get("/order/price?product=office-enterprise&users=7&billing_interval=annual",
                      headers=HTMX).get_data(as_text=True)
    assert "Per billing period, incl. VAT" in html
    # 5 × 449 + 2 × 404.10 = 3 053.20 a month; × 12 − 10 % = 32 974.56; + 25 % VAT
    assert "NOK 3,053.20" in html and "NOK 41,218.20" in html


@pytest.mark.parametrize("field, value, message", [
    ("company_name", "", "Feltet må fylles ut."),
    ("company_name", "x" * 121, "120"),
    ("contact_person", "", "Feltet må fylles ut."),
    ("email", "", "Feltet må fylles ut."),
    ("email", "ingrid@", "gyldig e-postadresse"),
    ("phone", "", "Feltet må fylles ut."),
    ("phone", "12", "gyldig telefonnummer"),
    ("phone", "not a phone", "gyldig telefonnummer"),
    ("billing_interval", "", "Velg et faktureringsintervall."),
    ("billing_interval", "weekly", "Not a valid choice" if False else "gyldig"),
    ("employee_count", "many", "heltall"),
    ("employee_count", "0", "1"),
    ("comment", "x" * 1001, "1000"),
])
def test_r_shop_4_company_step_refuses_bad_input_next_to_the_field(client, field, value, message):
    public_id = start_order(client)
    post_product(client, public_id)
    response = post_company(client, public_id, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    block = html.split(f'id="field-{field}"')[1].split("</div>")[0] if field != \
        "billing_interval" else html.split(f'id="field-{field}"')[1].split("</fieldset>")[0]
    assert 'class="error"' in block and message in block
    assert 'value="ingrid@bakeriet.example"' in html or field == "email"


def test_r_shop_4_optional_fields_may_be_empty_and_phone_is_normalised(client):
    public_id = start_order(client)
    post_product(client, public_id)
    response = post_company(client, public_id, employee_count="", comment="")
    assert response.status_code == 303
    order = db.session.scalar(select(Order).where(Order.public_id == public_id))
    assert order.company_data["phone"] == "+4791234567"


def test_r_shop_4_htmx_invalid_submit_answers_422_fragment_or_page(client):
    public_id = start_order(client)
    post_product(client, public_id)
    response = client.post(step_url(public_id, "company"), data={**COMPANY, "phone": "",
                                                                 "action": "next"},
                           headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 422
    assert "Feltet må fylles ut." in response.get_data(as_text=True)


def _at_users_step(client):
    public_id = start_order(client)
    post_product(client, public_id, users=3)
    post_company(client, public_id)
    return public_id


def test_r_shop_5_first_user_is_prefilled_from_the_company_step(client):
    public_id = _at_users_step(client)
    html = client.get(step_url(public_id, "users")).get_data(as_text=True)
    assert re.search(r'name="users-0-first_name"[^>]*value="Ingrid"', html)
    assert 'value="Hansen"' in html and 'value="ingrid@bakeriet.example"' in html
    assert 'name="users-0-username" value="ingrid"' in html
    assert '<option selected value="administrators">' in html


def test_r_shop_5_username_suggestion_and_inline_warning(client):
    public_id = _at_users_step(client)
    url = f"/order/{public_id}/users/suggest"
    html = client.get(url, query_string={"row": 1, "users-1-first_name": "Ingrid",
                                         "users-1-username": "", "users-0-username": "ingrid"},
                      headers=HTMX).get_data(as_text=True)
    assert 'value="ingrid2"' in html
    html = client.get(url, query_string={"row": 1, "users-1-username": "bjørn"},
                      headers=HTMX).get_data(as_text=True)
    assert 'class="warning"' in html and "æ, ø, å" in html
    html = client.get(url, query_string={"row": 1, "users-1-username": "ola.n"},
                      headers=HTMX).get_data(as_text=True)
    assert 'class="error"' in html and "bokstaver og tall" in html


@pytest.mark.parametrize("rows, message", [
    ([{**ADMIN, "first_name": ""}], "Feltet må fylles ut."),
    ([{**ADMIN, "last_name": ""}], "Feltet må fylles ut."),
    ([{**ADMIN, "email": "nope"}], "gyldig e-postadresse"),
    ([{**ADMIN, "username": "ola nordmann"}], "bokstaver og tall"),
    ([{**ADMIN, "username": "x" * 31}], "30"),
    ([ADMIN, {**SECOND, "username": "INGRID"}], "allerede brukt"),
    ([{**ADMIN, "user_group": "users"}], "minst én bruker i gruppen Administratorer"),
    ([{**ADMIN, "user_group": "superheroes"}], "gyldig"),
    ([ADMIN, SECOND, {**SECOND, "username": "per2"}, {**SECOND, "username": "per3"}],
     "bestilt 3"),
])
def test_r_shop_5_user_step_refuses_bad_rows_and_keeps_them(client, rows, message):
    public_id = _at_users_step(client)
    response = post_users(client, public_id, *rows)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'value="{rows[0]["last_name"]}"' in html


def test_r_shop_5_nordic_letters_are_warned_but_allowed(client):
    public_id = _at_users_step(client)
    response = post_users(client, public_id, {**ADMIN, "username": "bjørn"})
    assert response.status_code == 303


def test_r_shop_5_rows_can_be_added_and_removed_without_losing_input(client):
    public_id = _at_users_step(client)
    post_users(client, public_id, ADMIN, action="add")
    html = client.get(step_url(public_id, "users")).get_data(as_text=True)
    assert 'name="users-1-first_name"' in html and 'value="Ingrid"' in html
    post_users(client, public_id, ADMIN, SECOND, action="remove-0")
    html = client.get(step_url(public_id, "users")).get_data(as_text=True)
    assert 'value="Per"' in html and 'value="Ingrid"' not in html


def test_r_shop_5_users_may_be_skipped_but_one_administrator_is_needed(client):
    public_id = _at_users_step(client)
    assert post_users(client, public_id, ADMIN).status_code == 303


def test_r_shop_6_terms_must_be_accepted(client):
    public_id = _at_users_step(client)
    post_users(client, public_id, ADMIN)
    response = post_terms(client, public_id, accept=False)
    assert response.status_code == 422
    assert "godta vilkårene" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0


def test_r_shop_6_confirm_creates_the_pending_customer_in_one_go(client):
    order = order_through(client, users=3, addons=["office-mobile"]) if False else \
        order_through(client, addons=["office-mobile"])
    assert order.status == "submitted"
    company = order.company
    assert company.name == "Bakeriet Lille AS" and company.login_id
    users = db.session.scalars(select(User).where(User.company_id == company.id)
                               .order_by(User.id)).all()
    assert [(u.username, u.is_main_contact) for u in users] == [("ingrid", True), ("per", False)]
    subscription = db.session.scalar(select(LicenceSubscription))
    assert (subscription.status, subscription.quantity, subscription.plan_code) == (
        "pending", 3, "office-professional")
    assert [a.addon_code for a in subscription.addons] == ["office-mobile"]
    assert order.agreement.billing_interval == "annual"


def test_r_shop_6_a_double_submit_creates_one_order(client):
    order = order_through(client)
    again = post_terms(client, order.public_id)
    assert again.status_code == 303
    assert again.headers["Location"].endswith("/confirmed")
    assert db.session.scalar(select(func.count()).select_from(Company)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 1


def test_r_shop_6_a_submitted_order_can_no_longer_be_changed(client):
    order = order_through(client)
    response = post_product(client, order.public_id, users=40)
    assert response.status_code == 303 and response.headers["Location"].endswith("/confirmed")
    assert order.product_data["users"] == "3"


@pytest.mark.parametrize("field, value, message", [
    ("users", "", "Skriv inn antall brukere."),
    ("users", "abc", "heltall"),
    ("users", "0", "Mellom 1 og 9999 brukere."),
    ("users", "10000", "Mellom 1 og 9999 brukere."),
    ("product", "", "Feltet må fylles ut."),
    ("product", "office-gold", "gyldig"),
    ("addons", "office-jetpack", "Velg tilleggsprodukter fra listen."),
    ("mode", "forever", "gyldig"),
])
def test_r_shop_1_product_step_refuses_bad_input_and_keeps_it(client, field, value, message):
    public_id = start_order(client)
    data = {"mode": "buy", "product": "office-invoicing", "users": "4", "action": "next",
            field: value}
    response = client.post(step_url(public_id, "product"), data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html.split(f'id="field-{field}"')[1].split("</fieldset>")[0] \
        if field != "users" else message in html.split('id="field-users"')[1].split("</div>")[0]
    if field != "users":
        assert 'value="4"' in html


def test_r_plan_4_the_shop_takes_an_organisation_number_and_explains_one_already_taken(
        app, client):
    from webapp import clock
    from webapp.services.accounts import create_company

    create_company(clock.now(), name="Finnes AS", organisation_number="916000022")
    db.session.commit()
    public_id = start_order(client)
    assert post_product(client, public_id).status_code == 303
    taken = post_company(client, public_id, organisation_number="916 000 022")
    assert taken.status_code == 422
    assert "allerede registrert i Kvitt" in taken.get_data(as_text=True)
    assert 'value="Bakeriet Lille AS"' in taken.get_data(as_text=True)
    assert post_company(client, public_id,
                        organisation_number="916 000 030").status_code == 303
    order = db.session.scalars(select(Order)).one()
    assert order.company_data["organisation_number"] == "916000030"
