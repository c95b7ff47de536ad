"""R-BILL-1, R-BILL-5 in real Chromium: an operator registers a payment and the customer sees
the invoice paid; an unpaid invoice goes through reminder and suspension as the clock moves."""
import re

import pytest
from playwright.sync_api import expect

from e2e.browser import log_in, set_clock, wait_for_mail
from webapp.services.demo import DEMO_ADMIN, OPERATOR

pytestmark = pytest.mark.e2e



def open_first_invoice(page, server):
    page.goto(server + "/operator/invoices")
    page.get_by_role("link", name="1", exact=True).click()
    expect(page.get_by_role("heading", name="Faktura 1")).to_be_visible()


def customer_sees_first_invoice_paid(browser, server):
    customer = browser.new_context().new_page()
    log_in(customer, server, "100002", DEMO_ADMIN)
    customer.get_by_role("link", name="Fakturaer", exact=True).click()
    expect(customer.locator("#invoice-1 .status")).to_have_text("Betalt")
    return customer


def test_r_bill_5_operator_registers_payment_and_customer_sees_paid(browser, demo_server,
                                                                      inbox):
    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T08:05")
    invoice_mail = wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")
    assert invoice_mail.get_content_maintype() == "multipart"
    open_first_invoice(operator, demo_server)
    owed = operator.locator('[data-amount="open"]').inner_text().replace("\xa0", " ")
    operator.get_by_label("Beløp (kr)").fill(re.sub(r"[^\d,]", "", owed))
    operator.get_by_role("button", name="Registrer innbetaling").click()
    expect(operator.get_by_text("Innbetalingen er registrert.")).to_be_visible()

    customer_sees_first_invoice_paid(browser, demo_server)


def test_r_bill_5_unpaid_invoice_reminded_then_suspended(browser, demo_server, inbox):
    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T08:05")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")
    set_clock(operator, demo_server, "2026-05-08T09:00")  # three days past the due date
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Betalingspåminnelse")
    open_first_invoice(operator, demo_server)
    expect(operator.get_by_text("Betalingspåminnelse sendt").first).to_be_visible()
    set_clock(operator, demo_server, "2026-05-23T09:00")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Inkassovarsel")
    set_clock(operator, demo_server, "2026-06-07T09:00")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "overlevert til inkasso")
    operator.goto(demo_server + "/operator/dunning")
    row = operator.locator("tr", has_text="Fjordkaffe AS")
    expect(row.get_by_text("Overlevert til inkasso; tilgangen er stengt")).to_be_visible()

    customer = browser.new_context().new_page()
    log_in(customer, demo_server, "100002", DEMO_ADMIN, succeeds=False)
    expect(customer.get_by_text("ikke aktivert eller er avsluttet")).to_be_visible()


def test_r_pay_1_operator_imports_an_ocr_file_matches_by_hand_and_customer_sees_paid(
        browser, demo_server, inbox):
    """The payer wrote a KID with a wrong check digit: the OCR file's payment has no invoice,
    the operator matches it by hand on the reconciliation page."""
    import datetime as dt

    from tests.bank_files import ocr_file

    operator = browser.new_context().new_page()
    log_in(operator, demo_server, "100001", OPERATOR)
    set_clock(operator, demo_server, "2026-04-21T08:05")
    wait_for_mail(inbox, "kari@fjordkaffe.example", "Faktura 1")
    open_first_invoice(operator, demo_server)
    owed = operator.locator('[data-amount="open"]').inner_text()
    ore = int(re.sub(r"\D", "", owed))
    kid = operator.locator('[data-field="kid"]').first.inner_text().strip()
    wrong = kid[:-1] + str((int(kid[-1]) + 1) % 10)
    operator.goto(demo_server + "/operator/payments")
    operator.get_by_label("Bankfil (OCR-giro eller camt.054)").set_input_files(files=[{
        "name": "OCR.20260504.txt", "mimeType": "text/plain",
        "buffer": ocr_file([(wrong, ore)], dt.date(2026, 5, 4)).encode()}])
    operator.get_by_role("button", name="Importer innbetalinger").click()
    expect(operator.get_by_role("heading", name="Avstemming")).to_be_visible()
    expect(operator.locator('[data-count="unmatched"]')).to_have_text("1")
    row = operator.locator(f'tr[data-kid="{wrong}"]')
    expect(row.get_by_text("KID-en har feil kontrollsiffer")).to_be_visible()
    row.get_by_label("Fakturanummer").fill("1")
    row.get_by_role("button", name="Koble").click()
    expect(operator.get_by_text("koblet til faktura 1")).to_be_visible()

    customer = customer_sees_first_invoice_paid(browser, demo_server)
    customer.locator("#invoice-1 a").first.click()
    expect(customer.get_by_role("cell", name="OCR-giro-fil")).to_be_visible()
