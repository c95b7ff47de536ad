"""R-FREQ-1 … R-FREQ-5 in real Chromium: a frequency made inside a new subscription, the list,
the Excel export, and the subscribers' invoices as the test clock moves."""
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from e2e.browser import log_in, set_clock, wait_for_mail
from webapp.services.demo import DEMO_ADMIN, OPERATOR

pytestmark = pytest.mark.e2e


def test_r_freq_subscription_with_a_new_frequency_then_invoices(browser, demo_server, inbox,
                                                                 tmp_path):
    page = browser.new_context(accept_downloads=True).new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    page.get_by_role("link", name="Kunder").click()
    page.get_by_label("Navn", exact=True).fill("Kafé Nord")
    page.get_by_label("E-postadresse").fill("nord@example.com")
    page.get_by_role("button", name="Registrer kunde").click()
    expect(page.get_by_text("Kunden er registrert.")).to_be_visible()

    page.get_by_role("link", name="Abonnementer").click()
    page.get_by_role("link", name="Nytt abonnement").click()
    page.get_by_label("Navn", exact=True).fill("Kaffeavtale")
    page.get_by_role("button", name="Ny frekvens").click()
    dialog = page.locator("#dialog")
    dialog.get_by_label("Månedlig", exact=True).check()
    dialog.get_by_label("Hver", exact=True).fill("2")
    dialog.get_by_label("en ukedag").check()
    dialog.get_by_label("Hvilken").select_option(label="siste")
    dialog.get_by_label("Ukedag", exact=True).select_option(label="fredag")
    dialog.get_by_label("Etter et antall ganger").check()
    dialog.get_by_label("Antall ganger", exact=True).fill("6")
    dialog.get_by_role("button", name="Lagre frekvens").click()
    expect(page.get_by_label("Frekvens", exact=True).locator("option:checked")).to_have_text(
        "Siste fredag hver 2. måned, 6 ganger")
    page.get_by_label("Produkt").fill("Kaffebønner 1 kg")
    page.get_by_label("Antall", exact=True).fill("2")
    page.get_by_label("Enhetspris (kr)").fill("249,50")
    page.get_by_role("button", name="Legg til abonnent").click()
    page.get_by_label("Kunde", exact=True).select_option(label="Kafé Nord")
    page.get_by_role("button", name="Lagre abonnement").click()
    expect(page.get_by_text("Abonnementet Kaffeavtale er lagret.")).to_be_visible()
    expect(page.locator(".preview li").first).to_have_text("24.04.2026")

    page.get_by_role("link", name="Frekvenser").click()
    row = page.locator("tr", has_text="Siste fredag hver 2. måned, 6 ganger")
    expect(row.locator('[data-col="next"]')).to_have_text("24.04.2026")
    expect(row.locator('[data-col="in-use"]')).to_have_text("1")
    with page.expect_download() as download:
        page.get_by_role("link", name="Eksporter til Excel").click()
    path = tmp_path / "frekvenser.xlsx"
    download.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][0] == "Siste fredag hver 2. måned, 6 ganger" and rows[1][4] == 1

    # A frequency in use cannot be deactivated: the row's own button says why; in English the
    # automatic name is English.
    row.get_by_role("button", name="Deaktiver").click()
    expect(page.get_by_text("Frekvensen brukes av 1 aktive abonnementer")).to_be_visible()
    page.goto(demo_server + "/admin/sales/frequencies?lang=en")
    row = page.locator("tr", has_text="The last Friday of every 2nd month, 6 times")
    expect(row.locator('[data-col="in-use"]')).to_have_text("1")
    page.goto(demo_server + "/admin/sales/subscriptions")
    expect(page.get_by_role("cell", name="The last Friday of every 2nd month, 6 times")) \
        .to_be_visible()
    page.goto(demo_server + "/admin/sales/frequencies?lang=nb")

    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-24T08:30")
    mail = wait_for_mail(inbox, "nord@example.com", "fra Fjordkaffe AS")
    assert any(part.get_content_type() == "application/pdf" for part in mail.iter_attachments())
    page.get_by_role("link", name="Utgående fakturaer").click()
    expect(page.get_by_role("cell", name="Kafé Nord")).to_be_visible()
    expect(page.get_by_role("cell", name="24.04.2026").first).to_be_visible()
