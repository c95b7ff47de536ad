"""R-SHOP-1 … R-SHOP-9, R-TRIAL-1 in real Chromium: order, confirm, activate, log in."""
import re

import pytest
from playwright.sync_api import expect

from e2e.browser import (
    add_second_user,
    confirm_after_product_step,
    fill_company,
    link,
    wait_for_mail,
)

pytestmark = pytest.mark.e2e


def total(page) -> str:
    return page.locator('[data-price="total"]').inner_text().replace("\xa0", " ")



def set_password_and_log_in(page, inbox, server, login_id):
    welcome = wait_for_mail(inbox, "ingrid@bakeriet.example", "Velkommen")
    assert f"Kunde-ID: {login_id}" in welcome.get_body(("plain",)).get_content()
    page.goto(link(welcome, "/password/set/"))
    page.get_by_label("Nytt passord").fill("ingrid-sitt-passord")
    page.get_by_label("Gjenta passordet").fill("ingrid-sitt-passord")
    page.get_by_role("button", name="Lagre passord").click()
    expect(page.get_by_role("heading", name="Bakeriet Lille AS")).to_be_visible()
    page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("link", name="Logg inn")).to_be_visible()  # logged out
    page.goto(server + "/login")
    page.get_by_label("Kunde-ID").fill(login_id)
    page.get_by_label("Brukernavn").fill("ingrid")
    page.get_by_label("Passord").fill("ingrid-sitt-passord")
    page.get_by_label("Passord").press("Enter")
    expect(page.get_by_role("heading", name="Bakeriet Lille AS")).to_be_visible()
    expect(page.get_by_text("Per Olsen")).to_be_visible()


def test_r_shop_order_activate_and_log_in_in_chromium(page, server, inbox):
    page.goto(server + "/order")
    page.get_by_label("Professional").check()
    page.get_by_label("Antall brukere").fill("3")
    expect(page.locator('[data-price="total"]')).to_have_text(re.compile(r"14\s134,50"))
    page.get_by_label("Antall brukere").fill("12")  # the live price follows every change
    expect(page.locator('[data-price="total"]')).to_have_text(re.compile(r"52\s297,65"))
    expect(page.get_by_text("kvantumsrabatt 20 %")).to_be_visible()
    page.get_by_role("button", name="Neste").click()

    fill_company(page)
    # Each change is saved as it is made; wait for the save that carries the interval.
    with page.expect_response(lambda r: r.url.endswith("/company/save") and
                              "billing_interval=quarterly" in (r.request.post_data or "")):
        page.get_by_label("Kvartalsvis (ingen rabatt)").check()
    expect(page.locator('[data-price="total"]')).to_have_text(re.compile(r"14\s527,13"))
    page.reload()  # the draft is kept server-side
    expect(page.get_by_label("Foretakets navn")).to_have_value("Bakeriet Lille AS")
    expect(page.get_by_label("Kvartalsvis (ingen rabatt)")).to_be_checked()
    page.get_by_role("button", name="Neste").click()

    expect(page.get_by_label("Brukernavn").first).to_have_value("ingrid")  # prefilled
    add_second_user(page)
    page.get_by_role("button", name="Neste").click()

    page.get_by_role("button", name="Bekreft bestillingen").click()
    expect(page.get_by_text("Du må godta vilkårene")).to_be_visible()
    page.get_by_label("Jeg godtar vilkårene i lisensavtalen").check()
    page.get_by_role("button", name="Bekreft bestillingen").click()
    expect(page.get_by_role("heading", name="Takk for bestillingen")).to_be_visible()

    confirmation = wait_for_mail(inbox, "ingrid@bakeriet.example", "aktiver kontoen")
    page.goto(link(confirmation, "/activate/"))
    page.get_by_label("Fakturaadresse").fill("Storgata 1")
    page.get_by_label("Postnummer").press_sequentially("0150")
    expect(page.get_by_label("Poststed")).to_have_value("OSLO")
    page.get_by_role("button", name="Aktiver").click()
    expect(page.get_by_role("heading", name="Kontoen din er aktivert")).to_be_visible()
    login_id = re.search(r"Kunde-ID-en din er (\d+)", page.content()).group(1)

    wait_for_mail(inbox, "per@bakeriet.example", "Velkommen")
    set_password_and_log_in(page, inbox, server, login_id)
    expect(page.get_by_text("2 av 12 i bruk")).to_be_visible()



def test_r_trial_1_trial_order_activate_and_log_in_in_chromium(page, server, inbox):
    """Also R-SHOP-1: a late autosave (only the company name) never overwrites the step that
    'Next' sent after it, so the order is not sent back to the company step."""
    page.goto(server + "/order?trial=1")
    expect(page.get_by_label("Prøv gratis i 30 dager")).to_be_checked()
    page.get_by_label("Enterprise").check()
    page.get_by_label("Antall brukere").fill("2")
    expect(page.get_by_text("Kjøper du etter prøveperioden")).to_be_visible()
    confirm_after_product_step(page, late_company_autosave=True)

    confirmation = wait_for_mail(inbox, "ingrid@bakeriet.example", "aktiver kontoen")
    page.goto(link(confirmation, "/activate/"))
    expect(page.get_by_label("Postnummer")).to_have_count(0)  # a trial needs no address
    page.get_by_role("button", name="Aktiver").click()
    expect(page.get_by_role("heading", name="Kontoen din er aktivert")).to_be_visible()
    login_id = re.search(r"Kunde-ID-en din er (\d+)", page.content()).group(1)
    set_password_and_log_in(page, inbox, server, login_id)
    expect(page.get_by_text("Prøveperiode: 30 dager igjen.")).to_be_visible()
