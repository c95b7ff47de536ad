"""Invoices in the portal and the operator console: pages, PDF, payments, credit, dunning."""
import datetime as dt
import io

from sqlalchemy import select

from tests.bank_files import ocr_file
from webapp.extensions import db
from webapp.models import Membership, UserGroup

D = dt.date




def test_portal_lists_invoices_with_status_page_and_pdf(client, customer_with_invoice, invoices,
                                                        log_in):
    _subscription, user = customer_with_invoice(client)
    log_in(client, user)
    [invoice] = invoices()
    listing = client.get("/portal/invoices").get_data(as_text=True)
    assert f'id="invoice-{invoice.number}"' in listing and "Åpen" in listing
    page = client.get(f"/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "Org.nr. 923 609 016 MVA" in page and "Foretaksregisteret" in page
    assert invoice.kid in page
    assert "20.04.2026–30.04.2026" in page and "kr\u00a015\u00a0776,78" in page
    pdf = client.get(f"/portal/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_portal_invoice_of_another_customer_is_not_found(client, customer_with_invoice, invoices,
                                                         log_in):
    _sub, user = customer_with_invoice(client)
    other, _other_user = customer_with_invoice(client, name="Andre AS")
    log_in(client, user)
    theirs = [i for i in invoices() if i.agreement_id == other.agreement_id][0]
    assert client.get(f"/portal/invoices/{theirs.id}").status_code == 404
    assert client.get(f"/portal/invoices/{theirs.id}.pdf").status_code == 404


def test_portal_invoices_need_the_billing_permission(client, customer_with_invoice, log_in):
    _sub, user = customer_with_invoice(client)
    group = db.session.scalar(select(UserGroup).join(Membership,
                                                     Membership.user_group_id == UserGroup.id)
                              .where(Membership.user_id == user.id))
    group.can_billing = False
    db.session.commit()
    log_in(client, user)
    assert client.get("/portal/invoices").status_code == 403


def test_operator_registers_a_payment_and_the_customer_sees_it_paid(client, app,
                                                                    customer_with_invoice, invoices,
                                                                    log_in, log_in_operator):
    _sub, user = customer_with_invoice(client)
    [invoice] = invoices()
    log_in_operator(client)
    bad = client.post(f"/operator/invoices/{invoice.id}/payments",
                      data={"amount": "tusen", "paid_on": "2026-05-02", "kid": invoice.kid})
    assert bad.status_code == 422 and "1234,50" in bad.get_data(as_text=True)
    assert 'value="tusen"' in bad.get_data(as_text=True)
    amount = f"{invoice.total_ore // 100},{invoice.total_ore % 100:02d}"
    ok = client.post(f"/operator/invoices/{invoice.id}/payments",
                     data={"amount": amount, "paid_on": "2026-05-02", "kid": invoice.kid})
    assert ok.status_code == 303
    client.post("/logout")
    log_in(client, user)
    assert "Betalt" in client.get("/portal/invoices").get_data(as_text=True)


def test_operator_credits_once_with_a_reason(client, customer_with_invoice, invoices,
                                             log_in_operator):
    customer_with_invoice(client)
    [invoice] = invoices()
    log_in_operator(client)
    empty = client.post(f"/operator/invoices/{invoice.id}/credit", data={"reason": ""})
    assert empty.status_code == 422
    assert client.post(f"/operator/invoices/{invoice.id}/credit",
                       data={"reason": "Feil antall brukere"}).status_code == 303
    twice = client.post(f"/operator/invoices/{invoice.id}/credit", data={"reason": "Igjen"})
    assert twice.status_code == 422 and "allerede kreditert" in twice.get_data(as_text=True)
    assert [i.kind for i in invoices()] == ["invoice", "credit_note"]


def test_r_pay_1_operator_imports_an_ocr_file_and_reconciles_it(client, customer_with_invoice,
                                                                invoices, log_in_operator):
    customer_with_invoice(client)
    [invoice] = invoices()
    log_in_operator(client)
    data = ocr_file([(invoice.kid, 10_000), ("00000000000000000018", 1_200)],
                    D(2026, 5, 4)).encode()

    def upload(content: bytes, name: str = "OCR.20260504.txt"):
        return client.post("/operator/payments", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")

    response = upload(data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-count="file">2<' in page and 'data-count="matched">1<' in page
    assert 'data-count="unmatched">1<' in page and "Avstemming" in page
    again = upload(data)
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and "importert før" in html
    cut = upload(b"\n".join(data.splitlines()[:-1]), "cut.txt")
    assert cut.status_code == 422 and "Linje 8" in cut.get_data(as_text=True)
    assert invoices()[0].paid_ore == 10_000


def test_operator_dunning_queue_and_debt_collection_export(client, customer_with_invoice,
                                                           log_in_operator, walk):
    customer_with_invoice(client)
    walk(D(2026, 5, 5), D(2026, 6, 9), pay=False)
    log_in_operator(client)
    queue = client.get("/operator/dunning").get_data(as_text=True)
    assert "Overlevert til inkasso" in queue
    export = client.get("/operator/dunning/debt-collection.csv").get_data(as_text=True)
    assert export.splitlines()[0].startswith("invoice_number;kid;customer")
    assert "Bakeriet Lille AS" in export.splitlines()[1]


def test_r_pay_1_customer_asks_for_avtalegiro_and_operator_claims_by_file(client,
                                                                          customer_with_invoice,
                                                                          invoices, log_in,
                                                                          log_in_operator):
    import netsgiro

    from webapp.services import avtalegiro

    subscription, user = customer_with_invoice(client)
    log_in(client, user)
    page = client.get("/portal/avtalegiro").get_data(as_text=True)
    kid = avtalegiro.mandate_kid(subscription.agreement_id)
    assert kid in page
    refused = client.post("/portal/avtalegiro", data={"limit": "tusen", "notify": "y"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="tusen"' in html and "1234,50" in html
    assert client.post("/portal/avtalegiro", data={"limit": "50 000",
                                                    "notify": "y"}).status_code == 303
    assert 'data-mandate="requested"' in client.get("/portal/avtalegiro").get_data(as_text=True)

    client.post("/logout")
    log_in_operator(client)
    unknown = client.post("/operator/avtalegiro/mandates", data={"login_id": "999"})
    assert unknown.status_code == 422 and 'value="999"' in unknown.get_data(as_text=True)
    assert client.post("/operator/avtalegiro/mandates",
                       data={"login_id": user.company.login_id}).status_code == 303
    assert client.post("/operator/avtalegiro/files").status_code == 303
    listing = client.get("/operator/avtalegiro").get_data(as_text=True)
    assert "AVTALEGIRO.0000001.txt" in listing
    claim_file = client.get("/operator/avtalegiro/files/1.txt")
    [invoice] = invoices()
    requests = netsgiro.parse(claim_file.get_data(as_text=True)).assignments[0].transactions
    assert [(r.kid, r.date) for r in requests] == [(kid, invoice.due_date)]
