"""The portal in real Chromium: add a user and see the licence count; a custom group loses a
page; a trial bought with "Buy now"; a cancellation with its e-mail and date; more licences
with their price shown first and invoiced the next morning."""
import pytest
from playwright.sync_api import expect

from e2e.browser import (
    confirm_after_product_step,
    htmx_ready,
    link,
    log_in,
    set_clock,
    wait_for_mail,
)
from webapp.services.demo import DEMO_ADMIN, OPERATOR

pytestmark = pytest.mark.e2e


def add_user(page, first, last, username):
    page.get_by_label("Fornavn").fill(first)
    page.get_by_label("Etternavn").fill(last)
    page.get_by_label("E-postadresse").fill(f"{username}@fjordkaffe.example")
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_role("button", name="Legg til bruker").click()
    expect(page.get_by_text(f"{first} {last} er lagt til")).to_be_visible()


def test_admin_adds_users_sees_licences_and_next_invoice_then_a_group_loses_sales(
        browser, demo_server, inbox):
    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T09:00")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")  # paid through April 2027
    page = browser.new_context().new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    expect(page.get_by_text("1 av 3 i bruk")).to_be_visible()
    next_invoice = page.locator("[data-next-invoice]")
    expect(next_invoice).to_contain_text("11.04.2027")
    before = next_invoice.inner_text()
    page.get_by_role("link", name="Admin").click()
    add_user(page, "Per", "Olsen", "per")
    add_user(page, "Pål", "Berg", "paal")
    expect(page.locator("[data-licences]")).to_have_text("3 av 3 i bruk")
    add_user(page, "Siri", "Dahl", "siri")
    expect(page.locator("[data-licences]")).to_have_text("4 av 3 i bruk")
    expect(page.get_by_text("utover lisensen faktureres etterskuddsvis")).to_be_visible()
    page.get_by_role("link", name="Min konto").click()
    expect(next_invoice).not_to_have_text(before)  # the fourth user is billed afterwards
    welcome = wait_for_mail(inbox, "per@fjordkaffe.example", "Velkommen")

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Brukergrupper").click()
    page.get_by_label("Navn", exact=True).fill("Regnskap")
    page.locator("form", has=page.get_by_role("button", name="Opprett gruppe")) \
        .get_by_label("Lisens og fakturering").check()
    page.get_by_role("button", name="Opprett gruppe").click()
    expect(page.get_by_text("Gruppen Regnskap er opprettet.")).to_be_visible()
    page.get_by_role("link", name="Admin").click()
    row = page.locator("tr", has_text="Per Olsen")
    row.get_by_label("Brukergruppe").select_option(label="Regnskap")
    row.get_by_role("button", name="Flytt").click()

    per = browser.new_context().new_page()
    per.goto(link(welcome, "/password/set/"))
    per.get_by_label("Nytt passord").fill("per-sitt-passord")
    per.get_by_label("Gjenta passordet").fill("per-sitt-passord")
    per.get_by_role("button", name="Lagre passord").click()
    expect(per.get_by_role("link", name="Fakturaer", exact=True)).to_be_visible()
    expect(per.get_by_role("link", name="Frekvenser")).to_have_count(0)
    per.goto(demo_server + "/admin/sales/frequencies")
    expect(per.get_by_role("heading", name="Ingen tilgang")).to_be_visible()


def test_r_trial_2_buy_now_converts_a_trial(browser, server, inbox):
    page = browser.new_context().new_page()
    page.goto(server + "/order?trial=1")
    page.get_by_label("Professional").check()
    page.get_by_label("Antall brukere").fill("2")
    confirm_after_product_step(page)
    page.goto(link(wait_for_mail(inbox, "ingrid@bakeriet.example", "aktiver"), "/activate/"))
    page.get_by_role("button", name="Aktiver").click()
    expect(page.get_by_role("heading", name="Kontoen din er aktivert")).to_be_visible()
    page.goto(link(wait_for_mail(inbox, "ingrid@bakeriet.example", "Velkommen"),
                   "/password/set/"))
    page.get_by_label("Nytt passord").fill("ingrid-sitt-passord")
    page.get_by_label("Gjenta passordet").fill("ingrid-sitt-passord")
    page.get_by_role("button", name="Lagre passord").click()
    page.locator("header").get_by_role("link", name="Kjøp nå").click()  # top left, every page
    page.get_by_label("Fakturaadresse").fill("Storgata 1")
    page.get_by_label("Postnummer").press_sequentially("0150")
    expect(page.get_by_label("Poststed")).to_have_value("OSLO")
    page.get_by_label("Kvartalsvis (ingen rabatt)").check()
    page.get_by_role("button", name="Kjøp nå").click()
    expect(page.get_by_text("Kvitt er ditt")).to_be_visible()
    expect(page.get_by_text("Prøveperiode")).to_have_count(0)
    wait_for_mail(inbox, "ingrid@bakeriet.example", "Takk for at du kjøpte Kvitt")


def test_r_bill_7_cancel_and_see_the_confirmation_and_the_date(browser, demo_server, inbox):
    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T09:00")  # the first invoice is issued
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")
    page = browser.new_context().new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    page.get_by_role("link", name="Si opp Kvitt").click()
    expect(page.get_by_text("til og med 30.04.2027")).to_be_visible()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Si opp abonnementet").click()
    expect(page.get_by_text("Du har tilgang til og med 30.04.2027")).to_be_visible()
    assert "30.04.2027" in asked[0] and "fakturaer" in asked[0]  # the consequence, asked first
    mail = wait_for_mail(inbox, "kari@fjordkaffe.example", "Oppsigelsen av Kvitt er mottatt")
    assert "30.04.2027" in mail.get_body(("plain",)).get_content()


def test_r_plan_6_more_licences_with_the_price_first_then_the_invoice_next_morning(
        browser, demo_server, inbox):
    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T09:00")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")
    page = browser.new_context().new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    page.get_by_role("link", name="Endre lisenser").click()
    expect(page.locator("#licences [data-licences]")).to_contain_text("3 lisenser")
    htmx_ready(page, "#licences form")  # its live preview listens before anything is typed
    page.get_by_role("spinbutton", name="Lisenser").fill("0")
    expect(page.locator("#licences")).to_contain_text("Mellom 1 og 9999 lisenser.")
    page.get_by_role("spinbutton", name="Lisenser").fill("5")
    preview = page.locator("#licence-preview [data-preview='now']")
    expect(preview).to_contain_text("I morgen tidlig faktureres du")
    shown = preview.inner_text()
    page.get_by_role("button", name="Endre lisenser").click()
    expect(page.get_by_text("Flere lisenser: de virker med én gang")).to_be_visible()
    expect(page.locator("#licences [data-licences]")).to_contain_text("5 lisenser")
    set_clock(operator, demo_server, "2026-04-22T09:00")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 3")  # 2 is the partner's
    page.get_by_role("link", name="Fakturaer", exact=True).click()
    page.get_by_role("link", name="3", exact=True).click()
    expect(page.get_by_text("Lisenser økt fra 3 til 5")).to_be_visible()
    # The invoice is the amount the preview promised.
    assert page.locator("[data-amount='total']").inner_text() in shown


def test_r_support_1_a_request_answered_by_the_operator_is_read_in_the_portal(
        browser, demo_server, inbox):
    page = browser.new_context().new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    page.get_by_role("link", name="Kundestøtte").click()
    page.get_by_role("button", name="Send henvendelse").click()
    expect(page.get_by_text("Velg hva det gjelder.")).to_be_visible()
    page.get_by_label("Hva gjelder det?").select_option(label="Flere prøvedager")
    page.get_by_label("Meldingen din").fill("Kan vi få to uker til å prøve?")
    page.get_by_role("button", name="Send henvendelse").click()
    expect(page.get_by_text("er sendt. Vi svarer på e-post og her.")).to_be_visible()
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Vi har mottatt henvendelse")

    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    operator.get_by_role("link", name="Kundestøtte").click()
    operator.get_by_role("row", name="Fjordkaffe").get_by_role("link").first.click()
    expect(operator.get_by_text("Kan vi få to uker til å prøve?")).to_be_visible()
    expect(operator.get_by_role("link", name="Forleng prøveperioden")).to_be_visible()
    operator.get_by_label("Melding").fill("Ja, prøveperioden er forlenget med 14 dager.")
    operator.get_by_role("button", name="Send svar", exact=True).click()
    expect(operator.get_by_text("Svaret er sendt til kari@fjordkaffe.example")).to_be_visible()
    mail = wait_for_mail(inbox, "kari@fjordkaffe.example", "Svar på henvendelse")
    assert "forlenget med 14 dager" in mail.get_body(("plain",)).get_content()

    page.reload()
    expect(page.get_by_text("Ja, prøveperioden er forlenget med 14 dager.")).to_be_visible()
    expect(page.locator("p[data-status]")).to_have_text("Besvart")
