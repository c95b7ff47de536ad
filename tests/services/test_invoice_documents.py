"""R-DOC-1 … R-DOC-3: every kind of invoice and credit note Kvitt issues is an EHF Billing 3.0
document with no fatal under the official rules, shows the seller's own identity and sums VAT
per rate; credit notes credit chosen lines or an amount in their own series."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from tests.billing_setup import active_customer, make_seller, sales_invoices, sales_subscription
from tests.ehf_rules import official_rules
from webapp import clock
from webapp.extensions import db
from webapp.models import Invoice
from webapp.services import billing, plans, sales
from webapp.services.ehf import invoice_files
from webapp.services.invoicing import missing_seller_details

D = dt.date
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
      "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


@pytest.fixture(scope="module")
def rules():
    return official_rules()



def numbered_customer(*args, **kwargs):
    """An active customer whose company has an organisation number (not VAT-registered)."""
    subscription = active_customer(*args, **kwargs)
    make_seller(subscription.agreement.companies[0], vat_registered=False)
    db.session.commit()
    return subscription


def licence_invoices(subscription):
    return db.session.scalars(select(Invoice).where(
        Invoice.subscription_id == subscription.id).order_by(Invoice.id)).all()


def assert_valid(rules, invoice):
    """Both official rule sets pass the invoice's EHF with no fatal; returns the XML tree."""
    _document, pdf, xml = invoice_files(invoice)
    assert pdf.startswith(b"%PDF")
    fatal = rules.fatal(xml)
    assert fatal == [], [(f.rule, f.text) for f in fatal]
    return etree.fromstring(xml)


def text(tree, path):
    return tree.findtext(path, namespaces=NS)


def amount(tree, path):
    return Decimal(text(tree, path))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(pdf))
                     .pages)


# --- the vendor's licence invoices ---------------------------------------------------------

def test_r_doc_2_first_invoice_with_a_partial_month_and_interval_discount(app, rules, at):
    subscription = numbered_customer(D(2026, 4, 20), "annual")
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = licence_invoices(subscription)
    tree = assert_valid(rules, invoice)
    assert text(tree, "cbc:CustomizationID").endswith("poacc:billing:3.0")
    assert text(tree, "cac:InvoicePeriod/cbc:StartDate") == "2026-04-20"
    assert text(tree, "cac:PaymentMeans/cbc:PaymentID") == invoice.kid
    assert text(tree, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "86011117947"
    assert text(tree, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") == "923609016"
    assert amount(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") * 100 == invoice.total_ore
    # The discount line: negative quantity, positive price.
    discount = tree.findall("cac:InvoiceLine", NS)[-1]
    assert text(discount, "cbc:InvoicedQuantity") == "-1"
    assert amount(discount, "cbc:LineExtensionAmount") < 0


def test_r_doc_2_renewal_with_extra_users_and_the_buyers_vat_registration(app, rules, at):
    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=1, users=3)
    agreement = subscription.agreement
    make_seller(agreement.companies[0])  # the buyer: VAT-registered, with a number
    agreement.buyer_reference = "Innkjøp 42"
    db.session.commit()
    for day in (D(2026, 4, 21), D(2026, 7, 11)):
        at(day.year, day.month, day.day, 9, 0)
        billing.issue_due_invoices(clock.now())
    first, renewal = licence_invoices(subscription)
    assert any("utover lisensen" in line.description for line in renewal.lines)
    tree = assert_valid(rules, renewal)
    buyer = "cac:AccountingCustomerParty/cac:Party/"
    assert text(tree, buyer + "cac:PartyTaxScheme/cbc:CompanyID") == \
        f"NO{agreement.companies[0].organisation_number}MVA"
    assert text(tree, "cbc:BuyerReference") == "Innkjøp 42"
    assert_valid(rules, first)


def test_r_doc_2_no_ehf_without_the_buyers_organisation_number(app, rules, at):
    subscription = active_customer(D(2026, 4, 20), "semiannual")
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = licence_invoices(subscription)
    document, pdf, xml = invoice_files(invoice)
    assert xml is None and pdf.startswith(b"%PDF")
    make_seller(subscription.agreement.companies[0], vat_registered=False)
    at(2026, 10, 11, 9, 0)
    billing.issue_due_invoices(clock.now())
    renewal = licence_invoices(subscription)[-1]
    tree = assert_valid(rules, renewal)
    endpoint = tree.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", NS)
    assert (endpoint.get("schemeID"), endpoint.text) == (
        "0192", subscription.agreement.companies[0].organisation_number)
    assert tree.find("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", NS) is None


def test_r_doc_2_upgrade_difference(app, rules, at):
    subscription = numbered_customer(D(2026, 4, 20), "annual")
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    at(2026, 7, 15, 10, 0)
    assert plans.change_plan(subscription, "office-enterprise", clock.now()) == "now"
    db.session.commit()
    difference = licence_invoices(subscription)[-1]
    assert difference.lines[0].description.startswith("Oppgradering")
    assert_valid(rules, difference)


@pytest.mark.parametrize("plan", ["efaktura-basic", "regnskap-smart"])
def test_r_doc_2_efaktura_plan_and_kvitt_regnskap_service(app, rules, plan, at):
    subscription = numbered_customer(D(2026, 3, 5), "quarterly", plan=plan, addons=(), users=3)
    at(2026, 3, 6, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = licence_invoices(subscription)
    assert_valid(rules, invoice)


def test_r_doc_3_full_and_partial_credit_notes_in_their_own_series(app, rules, at):
    subscription = numbered_customer(D(2026, 4, 20), "annual")
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = licence_invoices(subscription)
    mobile = [line for line in invoice.lines if line.description == "Mobile Edition"]
    partial = billing.credit_invoice(invoice, "Mobil ikke i bruk", clock.now(),
                                     line_ids=[line.id for line in mobile])
    assert (partial.kind, partial.number, partial.kid) == ("credit_note", 1, None)
    assert partial.total_ore == -(3_190 + 104_400) * 125 // 100
    with pytest.raises(billing.BillingError) as twice:
        billing.credit_invoice(invoice, "Igjen", clock.now(), line_ids=[mobile[0].id])
    assert twice.value.field == "lines"
    by_amount = billing.credit_invoice(invoice, "Kompensasjon", clock.now(),
                                       amount_ore=10_000, vat_group=("S", 25))
    assert (by_amount.number, by_amount.total_ore) == (2, -12_500)
    with pytest.raises(billing.BillingError) as too_much:
        billing.credit_invoice(invoice, "For mye", clock.now(), amount_ore=invoice.total_ore,
                               vat_group=("S", 25))
    assert too_much.value.field == "amount"
    with pytest.raises(billing.BillingError) as rest_too_much:
        billing.credit_invoice(invoice, "Resten", clock.now())  # the amount took part of it
    assert rest_too_much.value.field == "lines"
    full_subscription = numbered_customer(D(2026, 4, 20), "annual", name="Hel Kreditt AS")
    billing.issue_due_invoices(clock.now())
    [other] = licence_invoices(full_subscription)
    rest = billing.credit_invoice(other, "Feil kunde", clock.now())
    assert rest.number == 3 and rest.total_ore == -other.total_ore
    db.session.commit()
    db.session.refresh(invoice)
    assert invoice.credited_ore == -(partial.total_ore + by_amount.total_ore)
    assert invoice.open_ore == invoice.total_ore - invoice.credited_ore
    assert other.status(clock.today()) == "credited"
    for note in (partial, by_amount, rest):
        tree = assert_valid(rules, note)
        assert tree.tag.endswith("CreditNote")
        assert text(tree, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == \
            str(note.credited_invoice.number)
        assert amount(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") * 100 == -note.total_ore
    assert "KREDITNOTA" in pdf_text(invoice_files(partial)[1])


# --- a company's own sales invoices ---------------------------------------------------------

def sales_setup(vat_registered=True, trial=False, lines=((25, "S"),)):
    subscription = active_customer(D(2026, 1, 5), "annual", name="Fjellbakst AS")
    if trial:
        subscription.status = "trial"
    company = subscription.agreement.companies[0]
    make_seller(company, vat_registered=vat_registered)
    sales_subscription(company, [
        (f"Vare {percent} % {category} " + "med en svært lang beskrivelse " * 3, index,
         10_001 * index, percent, category)
        for index, (percent, category) in enumerate(lines, start=1)], D(2026, 2, 10),
        customer_vat_registered=True)
    return company, None



def test_r_doc_1_sales_invoice_with_mixed_vat_rates_shows_the_sellers_own_account(app, rules, at):
    at(2026, 1, 5, 9, 0)
    company, _customer = sales_setup(lines=((25, "S"), (15, "S"), (12, "S"), (0, "Z"),
                                            (0, "E")))
    at(2026, 2, 10, 9, 0)
    sales.issue_subscription_invoices(clock.now())
    [invoice] = sales_invoices(company)
    document, pdf, xml = invoice_files(invoice)
    groups = {(g.category, g.percent): (g.basis_ore, g.vat_ore) for g in document.groups}
    # Each rate's VAT is its basis × rate, rounded once (the lines are 10 001 øre × position²).
    assert groups == {("S", 25): (10_001, 2_500), ("S", 15): (40_004, 6_001),
                      ("S", 12): (90_009, 10_801), ("Z", 0): (160_016, 0),
                      ("E", 0): (250_025, 0)}
    assert invoice.vat_ore == 2_500 + 6_001 + 10_801
    tree = assert_valid(rules, invoice)
    assert len(tree.findall("cac:TaxTotal/cac:TaxSubtotal", NS)) == 5
    assert text(tree, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "12060000016"
    printed = pdf_text(pdf)
    assert "1206.00.00016" in printed and "8601.11.17947" not in printed
    assert "Mva. 15 % av" in printed and "Mva. 0 % (unntatt)" in printed
    assert "med en svært lang beskrivelse med en svært lang beskrivelse med en svært lang" \
        in " ".join(printed.split())  # wrapped, never cut


def test_r_doc_1_seller_not_vat_registered_charges_no_vat(app, rules, at):
    at(2026, 1, 5, 9, 0)
    company, _customer = sales_setup(vat_registered=False)
    at(2026, 2, 10, 9, 0)
    sales.issue_subscription_invoices(clock.now())
    [invoice] = sales_invoices(company)
    assert invoice.vat_ore == 0 and {line.vat_category for line in invoice.lines} == {"O"}
    tree = assert_valid(rules, invoice)
    assert tree.find("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", NS) is None
    assert "MVA" not in pdf_text(invoice_files(invoice)[1]).replace("mva", "")


def test_r_trial_1_sales_invoice_in_a_trial_is_marked(app, rules, at):
    at(2026, 1, 5, 9, 0)
    company, _customer = sales_setup(trial=True)
    at(2026, 2, 10, 9, 0)
    sales.issue_subscription_invoices(clock.now())
    [invoice] = sales_invoices(company)
    tree = assert_valid(rules, invoice)
    assert "prøveperiode" in text(tree, "cbc:Note")
    assert "prøveperiode" in pdf_text(invoice_files(invoice)[1])


def test_r_doc_1_no_sales_invoice_without_the_sellers_own_details(app, at):
    at(2026, 1, 5, 9, 0)
    company, _customer = sales_setup()
    company.bank_account = None
    db.session.commit()
    at(2026, 2, 10, 9, 0)
    assert sales.issue_subscription_invoices(clock.now()) == 0
    assert sales_invoices(company) == []
    assert [str(m) for m in missing_seller_details(company)] == ["kontonummer"]
    company.bank_account = "12060000016"
    db.session.commit()
    assert sales.issue_subscription_invoices(clock.now()) == 1  # issued once it is complete


def test_r_doc_1_an_issued_invoice_keeps_the_seller_as_it_was(app, at):
    at(2026, 1, 5, 9, 0)
    company, _customer = sales_setup()
    at(2026, 2, 10, 9, 0)
    sales.issue_subscription_invoices(clock.now())
    company.name, company.bank_account = "Nytt Navn AS", "12060000024"
    db.session.commit()
    at(2026, 3, 10, 9, 0)
    sales.issue_subscription_invoices(clock.now())
    first, second = (invoice_files(i)[0].seller for i in sales_invoices(company))
    assert (first.name, first.bank_account) == ("Fjellbakst AS", "12060000016")
    assert (second.name, second.bank_account) == ("Nytt Navn AS", "12060000024")


# --- the validator can fail ---------------------------------------------------------------

def test_r_doc_2_the_official_rules_catch_a_wrong_total_and_a_bad_organisation_number(
        app, rules, at):
    subscription = numbered_customer(D(2026, 4, 20), "annual")
    at(2026, 4, 21, 9, 0)
    billing.issue_due_invoices(clock.now())
    [invoice] = licence_invoices(subscription)
    xml = invoice_files(invoice)[2].decode()
    wrong_total = re.sub(r"(<cbc:PayableAmount currencyID=\"NOK\">)[0-9.]+", r"\g<1>1.00", xml)
    assert "BR-CO-16" in {f.rule for f in rules.fatal(wrong_total.encode())}
    bad_number = xml.replace(">923609016<", ">923609017<")
    assert "PEPPOL-COMMON-R041" in {f.rule for f in rules.fatal(bad_number.encode())}
