"""R-DOC-1, R-DOC-2 in real Chromium: a company's sales invoice with two VAT rates, downloaded as
PDF and EHF from its page, shows the company's own account and the VAT summary per rate."""
import io

import pytest
from lxml import etree
from playwright.sync_api import expect
from pypdf import PdfReader

from e2e.browser import log_in, set_clock
from webapp.services.demo import DEMO_ADMIN, OPERATOR

pytestmark = pytest.mark.e2e
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"


def test_r_doc_2_sales_invoice_pdf_and_ehf_downloaded_from_the_page(browser, demo_server,
                                                                   tmp_path):
    page = browser.new_context(accept_downloads=True).new_page()
    log_in(page, demo_server, "100002", DEMO_ADMIN)
    page.get_by_role("link", name="Kunder").click()
    page.get_by_label("Navn", exact=True).fill("Kafé Nord AS")
    page.get_by_label("Organisasjonsnummer (valgfritt)").fill("916000014")
    page.get_by_label("E-postadresse").fill("nord@example.com")
    page.get_by_label("Fakturaer sendes som").select_option(label="Både EHF og e-post med PDF")
    page.get_by_role("button", name="Registrer kunde").click()
    expect(page.get_by_text("Kunden er registrert.")).to_be_visible()

    page.get_by_role("link", name="Frekvenser").click()
    page.get_by_role("link", name="Ny frekvens").first.click()
    page.get_by_label("Månedlig", exact=True).check()
    page.get_by_role("button", name="Lagre frekvens").click()
    expect(page.get_by_text("er lagret")).to_be_visible()  # saved before moving on
    page.get_by_role("link", name="Abonnementer").click()
    page.get_by_role("link", name="Nytt abonnement").click()
    page.get_by_label("Navn", exact=True).fill("Kaffe og bok")
    page.get_by_label("Produkt").fill("Kaffebønner 1 kg")
    page.get_by_label("Enhetspris (kr)").fill("249,50")
    page.get_by_role("button", name="Legg til linje").click()
    page.get_by_label("Produkt").nth(1).fill("Kokebok: «Kaffe på norsk» – 2. utgave")
    page.get_by_label("Enhetspris (kr)").nth(1).fill("399,00")
    page.get_by_label("Mva.").nth(1).select_option(label="15 %")
    page.get_by_role("button", name="Legg til abonnent").click()
    page.get_by_label("Kunde", exact=True).select_option(label="Kafé Nord AS")
    page.get_by_role("button", name="Lagre abonnement").click()
    expect(page.get_by_text("Abonnementet Kaffe og bok er lagret.")).to_be_visible()

    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-12-24T09:00")
    # The scheduler (ticking every second) issues the invoice; on a busy machine the list may
    # be read before its tick: read it again until the invoice is there.
    row = page.locator("tr", has_text="Kafé Nord AS")
    for _ in range(30):
        page.get_by_role("link", name="Utgående fakturaer").click()
        expect(page.get_by_role("heading", name="Utgående fakturaer")).to_be_visible()
        if row.count():
            break
        page.wait_for_timeout(1000)
    row.first.get_by_role("link").click()
    expect(page.locator("#seller")).to_contain_text("Org.nr. 916 000 006 MVA")
    expect(page.locator('[data-field="account"]')).to_have_text("1206.00.00008")
    expect(page.locator(".vat-group")).to_have_count(2)

    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned PDF").click()
    pdf = tmp_path / "faktura.pdf"
    download.value.save_as(pdf)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "1206.00.00008" in text and "Fjordkaffe AS" in text
    assert "Mva. 25 % av" in text and "Mva. 15 % av" in text
    assert "«Kaffe på norsk» – 2. utgave" in text

    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned EHF (XML)").click()
    tree = etree.parse(io.BytesIO(download.value.path().read_bytes()))
    assert tree.findtext(f"{CAC}PaymentMeans/{CAC}PayeeFinancialAccount/{CBC}ID") == \
        "12060000008"
    rates = sorted(subtotal.findtext(f"{CAC}TaxCategory/{CBC}Percent")
                   for subtotal in tree.iter(f"{CAC}TaxSubtotal"))
    assert rates == ["15", "25"]
