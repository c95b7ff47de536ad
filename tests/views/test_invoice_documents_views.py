"""R-DOC-1 … R-DOC-3 in the pages: the seller's profile, buyers' delivery, EHF downloads and
partial credit notes; bad input answered at the field with 422, nothing typed lost."""
import datetime as dt

from lxml import etree
from sqlalchemy import select

from tests.billing_setup import make_seller, sales_invoices, sales_subscription
from webapp.extensions import db
from webapp.models import Company, Customer, Invoice, User
from webapp.services.demo import DEMO_ADMIN

D = dt.date
PROFILE = {"name": "Fjordkaffe AS", "organisation_number": "916 000 006",
           "address_line": "Kaigata 5", "postal_code": "5003", "vat_registered": "y",
           "business_register": "y", "bank_account": "1206.00.00016", "iban": "", "bic": "",
           "invoice_email": "faktura@fjordkaffe.example", "payment_terms": "Netto 14 dager",
           "delivery": "email", "peppol_id": "", "buyer_reference": ""}


def test_r_doc_1_the_profile_refuses_a_bad_account_at_the_field_and_keeps_the_rest(app, client, at,
                                                                                   log_in_demo):
    at(2026, 1, 5, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    bad = client.post("/portal/company", data={**PROFILE, "bank_account": "1206.00.00017",
                                               "peppol_id": "0192:123"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Ikke et gyldig norsk kontonummer" in page and "Skriv Peppol-ID-en som" in page
    assert 'value="Netto 14 dager"' in page or "Netto 14 dager</textarea>" in page
    assert 'value="faktura@fjordkaffe.example"' in page
    ehf_without_number = client.post("/portal/company", data={
        **PROFILE, "organisation_number": "", "delivery": "ehf"})
    assert ehf_without_number.status_code == 422
    assert "EHF krever organisasjonsnummer" in ehf_without_number.get_data(as_text=True)
    saved = client.post("/portal/company", data={**PROFILE, "delivery": "both",
                                                  "buyer_reference": "Kari"})
    assert saved.status_code == 303
    company = db.session.scalar(select(Company).where(Company.name == "Fjordkaffe AS"))
    assert (company.bank_account, company.payment_terms, company.agreement.delivery,
            company.agreement.buyer_reference) == ("12060000016", "Netto 14 dager", "both", "Kari")


def test_r_doc_1_sales_pages_say_what_the_profile_lacks(app, client, at, log_in_demo):
    at(2026, 1, 5, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    company = db.session.scalar(select(Company).where(Company.name == "Fjordkaffe AS"))
    company.bank_account = None
    db.session.commit()
    page = client.get("/admin/sales/subscriptions").get_data(as_text=True)
    assert "Ingen faktura sendes før firmaprofilen har: kontonummer." in page
    assert 'href="/portal/company"' in page


def test_r_doc_1_customer_register_takes_the_buyers_delivery(app, client, at, log_in_demo):
    at(2026, 1, 5, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    customer = {"name": "Kafé Nord AS", "email": "nord@example.com", "address_line": "",
                "postal_code": "", "organisation_number": "", "delivery": "ehf",
                "peppol_id": "", "buyer_reference": "PO-7"}
    refused = client.post("/admin/sales/customers", data=customer)
    assert refused.status_code == 422 and "EHF krever" in refused.get_data(as_text=True)
    assert 'value="PO-7"' in refused.get_data(as_text=True)
    assert client.post("/admin/sales/customers", data={
        **customer, "organisation_number": "916000014", "vat_registered": "y"}).status_code == 303
    saved = db.session.scalar(select(Customer).where(Customer.name == "Kafé Nord AS"))
    assert (saved.delivery, saved.vat_registered, saved.buyer_reference) == ("ehf", True, "PO-7")


def test_r_doc_2_the_customer_downloads_pdf_and_ehf_of_its_invoice(app, client, at,
                                                                   customer_with_invoice, log_in,
                                                                   run_jobs):
    subscription, user = customer_with_invoice(client)
    [invoice] = db.session.scalars(select(Invoice)).all()
    log_in(client, user)
    page = client.get(f"/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "Ingen EHF: kjøperen har ikke organisasjonsnummer." in page
    assert client.get(f"/portal/invoices/{invoice.id}.xml").status_code == 404
    make_seller(subscription.agreement.companies[0])
    at(2027, 4, 11, 9, 0)
    run_jobs()
    renewal = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
    page = client.get(f"/portal/invoices/{renewal.id}").get_data(as_text=True)
    assert "Last ned EHF (XML)" in page and "8601.11.17947" in page
    assert "Mva. 25 % av" in page
    ehf = client.get(f"/portal/invoices/{renewal.id}.xml")
    assert ehf.mimetype == "application/xml"
    assert "attachment" in ehf.headers["Content-Disposition"]
    tree = etree.fromstring(ehf.data)
    assert tree.tag.endswith("Invoice") and tree.findtext(
        "{*}ID") == str(renewal.number)
    pdf = client.get(f"/portal/invoices/{renewal.id}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_r_doc_3_operator_credits_chosen_lines_then_refuses_more_than_is_left(app, client,
                                                                              customer_with_invoice,
                                                                              log_in_operator):
    customer_with_invoice(client)
    [invoice] = db.session.scalars(select(Invoice)).all()
    log_in_operator(client)
    first_line = invoice.lines[0]
    no_lines = client.post(f"/operator/invoices/{invoice.id}/credit",
                           data={"scope": "lines", "reason": "Feil"})
    assert no_lines.status_code == 422
    assert "Velg linjene som skal krediteres." in no_lines.get_data(as_text=True)
    partly = client.post(f"/operator/invoices/{invoice.id}/credit", data={
        "scope": "lines", "lines": [str(first_line.id)], "reason": "Feil antall"})
    assert partly.status_code == 303
    note = db.session.scalars(select(Invoice).where(Invoice.kind == "credit_note")).one()
    assert note.number == 1 and note.total_ore == -round(first_line.amount_ore * 1.25)
    db.session.refresh(invoice)
    page = client.get(f"/operator/invoices/{invoice.id}").get_data(as_text=True)
    assert "Delvis betalt" in page or "Åpen" in page
    too_much = client.post(f"/operator/invoices/{invoice.id}/credit", data={
        "scope": "amount", "amount": "999999", "vat_group": "S25", "reason": "For mye"})
    text = too_much.get_data(as_text=True)
    assert too_much.status_code == 422 and "mer enn det som er igjen" in text
    assert 'value="999999"' in text and "For mye" in text
    twice = client.post(f"/operator/invoices/{invoice.id}/credit", data={
        "scope": "lines", "lines": [str(first_line.id)], "reason": "Igjen"})
    assert twice.status_code == 422
    assert "allerede kreditert" in twice.get_data(as_text=True)
    note_page = client.get(f"/operator/invoices/{note.id}").get_data(as_text=True)
    assert f"Kreditnota {note.number}" in note_page or "Kreditnota" in note_page


def test_r_doc_3_a_company_credits_its_own_sales_invoice(app, client, at, log_in_demo, run_jobs):
    at(2026, 1, 5, 9, 0)
    log_in_demo(client, DEMO_ADMIN)
    admin = db.session.scalar(select(User).where(User.username == DEMO_ADMIN["username"]))
    company = admin.company
    sales_subscription(company, [("Kaffe", 2, 50_000, 15, "S")], D(2026, 1, 10))
    at(2026, 1, 10, 9, 0)
    run_jobs()
    [invoice] = sales_invoices(company)
    assert invoice.total_ore == 115_000
    credited = client.post(f"/admin/sales/invoices/{invoice.id}/credit", data={
        "scope": "amount", "amount": "100", "vat_group": "S15", "reason": "Rabatt"})
    assert credited.status_code == 303
    note = sales_invoices(company)[-1]
    assert (note.kind, note.number, note.total_ore) == ("credit_note", 1, -11_500)
    assert client.get(f"/admin/sales/invoices/{note.id}.xml").status_code == 200
