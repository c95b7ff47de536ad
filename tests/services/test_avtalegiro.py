"""R-PAY-1: AvtaleGiro. A mandate asked for in the portal is confirmed by the bank's agreements
file; its open invoices are claimed in a claim file netsgiro reads back; the debit comes back in
the OCR giro file and pays the invoice; a credited invoice's claim is cancelled; dunning waits
for the debit and starts the day after a failed one."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import netsgiro
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.bank_files import avtalegiro_agreements_file, ocr_file
from tests.billing_setup import active_customer, make_seller
from tests.ehf_rules import official_rules
from webapp import clock
from webapp.domain.statuses import ClaimStatus, StatusError, move
from webapp.extensions import db
from webapp.models import AvtaleGiroClaim, AvtaleGiroFile, CustomerAgreement, DunningEvent, Invoice
from webapp.services import avtalegiro, billing
from webapp.services.bank_files import import_bank_file
from webapp.services.ehf import invoice_files
from webapp.services.invoicing import document_of
from webapp.services.payments import invoice_payments

D = dt.date


@pytest.fixture
def mandate(app, at):
    """A customer activated 20 April 2026 whose bank confirmed its mandate on 20 April."""
    subscription = active_customer(D(2026, 4, 20))
    at(2026, 4, 20, 13, 0)
    agreement = subscription.agreement
    avtalegiro.request_mandate(agreement, clock.now(), limit_ore=None, notify=True,
                               user_id=None)
    db.session.commit()
    record = import_bank_file(avtalegiro_agreements_file(
        [(avtalegiro.mandate_kid(agreement.id), False)], D(2026, 4, 20)).encode(),
        "AVTALEGIRO.AGR.txt", clock.now())
    db.session.commit()
    assert record.mandates == 1
    return avtalegiro.mandate_in_force(agreement.id)


@pytest.fixture
def issued_invoice(at, run_jobs):
    def _issued_invoice() -> Invoice:
        at(2026, 4, 21, 8, 30)
        run_jobs()
        return db.session.scalars(select(Invoice).order_by(Invoice.id)).one()
    return _issued_invoice


def claim_files() -> list:
    return [netsgiro.parse(f.content) for f in
            db.session.scalars(select(AvtaleGiroFile).order_by(AvtaleGiroFile.id))]


def test_r_pay_1_bank_confirms_the_mandate_and_the_invoice_is_claimed(mandate, issued_invoice):
    assert (mandate.status, mandate.source) == ("active", "portal")
    invoice = issued_invoice()
    [transmission] = claim_files()
    [assignment] = transmission.assignments
    assert assignment.service_code == netsgiro.ServiceCode.AVTALEGIRO
    assert [(r.kid, r.date, r.amount, r.reference) for r in assignment.transactions] == [
        (mandate.kid, invoice.due_date, Decimal(invoice.total_ore) / 100,
         f"Faktura {invoice.number}")]
    assert transmission.get_total_amount() == Decimal(invoice.total_ore) / 100
    assert "Trekkes via AvtaleGiro på forfallsdato" in document_of(invoice).notes


def test_r_pay_1_the_debit_in_the_ocr_file_pays_the_invoice(mandate, issued_invoice):
    invoice = issued_invoice()
    text = ocr_file([(mandate.kid, invoice.total_ore)], invoice.due_date,
                    types={0: netsgiro.TransactionType.FROM_AVTALEGIRO})
    record = import_bank_file(text.encode(), "OCR.txt", clock.now())
    db.session.commit()
    assert (record.matched, record.unmatched) == (1, 0)
    assert invoice.status(invoice.due_date) == "paid"
    assert [p.source for p in invoice_payments(invoice.id)] == ["avtalegiro"]
    assert db.session.scalar(select(AvtaleGiroClaim.status)) == "paid"


def test_r_pay_1_a_credited_invoice_has_its_claim_cancelled_and_the_rest_claimed(
        mandate, at, run_jobs, issued_invoice):
    invoice = issued_invoice()
    billing.credit_invoice(invoice, "For mange brukere", clock.now(), amount_ore=10_000,
                           vat_group=("S", 25))
    db.session.commit()
    at(2026, 4, 22, 8, 30)
    run_jobs()
    first, second = claim_files()
    [new, cancellation] = second.assignments
    assert cancellation.type == netsgiro.AssignmentType.AVTALEGIRO_CANCELLATIONS
    assert [(c.kid, c.date, c.amount) for c in cancellation.transactions] == [
        (r.kid, r.date, r.amount) for r in first.assignments[0].transactions]
    assert [r.amount for r in new.transactions] == [Decimal(invoice.open_ore) / 100]


def test_r_pay_1_dunning_waits_for_the_debit_and_starts_the_day_after_it_failed(
        mandate, app, at, run_jobs, issued_invoice):
    invoice = issued_invoice()
    # The day an invoice paid the ordinary way gets its reminder: the debit is awaited.
    usual = invoice.due_date + dt.timedelta(days=app.config["DUNNING_REMINDER_AFTER_DAYS"])
    failed_on = invoice.due_date + dt.timedelta(days=app.config["AVTALEGIRO_SETTLE_DAYS"] + 1)
    for day in sorted({usual, failed_on}):
        at(day.year, day.month, day.day, 9, 0)
        run_jobs()
        assert db.session.scalar(select(DunningEvent.id)) is None, day
    claim = db.session.scalar(select(AvtaleGiroClaim))
    assert (claim.status, claim.failed_on) == ("failed", failed_on)
    next_day = failed_on + dt.timedelta(days=1)
    at(next_day.year, next_day.month, next_day.day, 9, 0)
    run_jobs()
    assert [e.stage for e in db.session.scalars(select(DunningEvent))] == [1]


def test_r_pay_1_a_mandate_deleted_at_the_bank_ends_and_its_claims_are_cancelled(
        mandate, issued_invoice):
    issued_invoice()
    import_bank_file(avtalegiro_agreements_file([(mandate.kid, True)], D(2026, 4, 23),
                                                number="1000091").encode(), "AGR2.txt",
                     clock.now())
    db.session.commit()
    assert mandate.status == "cancelled"
    assert db.session.scalar(select(AvtaleGiroClaim.status)) == "cancelling"
    assert avtalegiro.write_claim_file(clock.now()).cancellations == 1


def test_r_pay_1_an_invoice_above_the_mandates_limit_is_not_claimed(app, at, issued_invoice):
    subscription = active_customer(D(2026, 4, 20))
    at(2026, 4, 20, 13, 0)
    avtalegiro.request_mandate(subscription.agreement, clock.now(), limit_ore=100,
                               notify=True, user_id=None)
    avtalegiro.activate(subscription.agreement_id, clock.now(), "operator")
    db.session.commit()
    issued_invoice()
    assert claim_files() == []


def test_r_pay_1_claim_status_moves_only_along_its_table(mandate, issued_invoice):
    issued_invoice()
    claim = db.session.scalar(select(AvtaleGiroClaim))
    assert claim.status == ClaimStatus.SENT  # in the morning's file to the bank
    with pytest.raises(StatusError):
        move(claim, ClaimStatus.PENDING)  # a claim sent is never sent again
    assert claim.status == ClaimStatus.SENT
    assert avtalegiro.agreement_of_kid(mandate.kid) == mandate.agreement_id
    assert avtalegiro.agreement_of_kid(mandate.kid[:-1] + "0") in (None, mandate.agreement_id)


def test_r_pay_1_a_claimed_invoice_says_so_and_its_ehf_passes_the_official_rules(
        mandate, issued_invoice):
    make_seller(mandate_company(mandate), vat_registered=False)  # a buyer EHF reaches
    db.session.commit()
    invoice = issued_invoice()
    _document, pdf, xml = invoice_files(invoice)
    assert official_rules().fatal(xml) == []
    assert b"Trekkes via AvtaleGiro" in xml
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "trekkes via AvtaleGiro" in pdf_text and "Betal " not in pdf_text


def mandate_company(mandate):
    return db.session.get(CustomerAgreement, mandate.agreement_id).companies[0]


def test_r_pay_1_stopping_a_mandate_stopped_meanwhile_says_so(mandate, client, log_in_operator):
    """Two operators stop the same mandate: the second is told it changed, never a 500."""

    log_in_operator(client)
    path = f"/operator/avtalegiro/mandates/{mandate.id}/stop"
    assert client.post(path).status_code == 303
    assert client.post(path).status_code == 303
    page = client.get("/operator/avtalegiro")
    assert "Fullmakten er endret i mellomtiden" in page.get_data(as_text=True)
    assert db.session.get(type(mandate), mandate.id).status == "cancelled"
