"""R-PAY-1: payments arrive as OCR giro (Nets) or camt.054 files, are matched by KID and are
never applied twice; a file that cannot be read or whose totals do not add up is refused whole
with the line and the reason; a transaction that cannot be a payment is parked."""
from __future__ import annotations

import datetime as dt

import netsgiro
import pytest
from sqlalchemy import func, select

from tests.bank_files import camt054_file, ocr_file
from tests.billing_setup import active_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import Invoice, ParkedTransaction, Payment, PaymentImport
from webapp.services.bank_files import BankFileError, import_bank_file
from webapp.services.payments import invoice_payments

D = dt.date
DAY = D(2026, 5, 4)


@pytest.fixture
def invoices(app, at, run_jobs):
    """Three customers' first invoices, unpaid."""
    for name in ("Bakeriet Lille AS", "Sagbruket AS", "Fiskeriet AS"):
        active_customer(D(2026, 4, 20), name=name)
    at(2026, 4, 21, 9, 0)
    run_jobs()
    return db.session.scalars(select(Invoice).order_by(Invoice.id)).all()


def state():
    """What a second import must not change."""
    return (db.session.scalar(select(func.count(Payment.id))),
            db.session.scalar(select(func.sum(Invoice.paid_ore))),
            db.session.scalar(select(func.count(PaymentImport.id))))


def bad_check_digit(kid: str) -> str:
    return kid[:-1] + str((int(kid[-1]) + 1) % 10)


def test_r_pay_1_ocr_file_matches_by_kid_in_full_in_part_and_over(invoices):
    first, second, third = invoices
    text = ocr_file([(first.kid, first.total_ore), (second.kid, 10_000),
                     (third.kid, third.total_ore + 5_000), ("00000000000000000018", 2_500),
                     (bad_check_digit(first.kid), 7_700)], DAY)
    record = import_bank_file(text.encode(), "OCR.20260504.txt", clock.now())
    db.session.commit()
    assert (record.format, record.transactions, record.total_ore) == (
        "ocr", 5, first.total_ore + 10_000 + third.total_ore + 5_000 + 2_500 + 7_700)
    assert (record.matched, record.partial, record.over, record.unmatched) == (3, 1, 1, 2)
    assert record.unmatched_ore == 2_500 + 7_700
    assert first.status(DAY) == "paid"
    assert second.status(DAY) == "partly_paid" and second.open_ore == second.total_ore - 10_000
    assert third.status(DAY) == "overpaid"
    history = invoice_payments(first.id)
    assert [(p.amount_ore, p.paid_on, p.source, p.archive_reference, p.outcome)
            for p in history] == [(first.total_ore, DAY - dt.timedelta(days=1), "ocr",
                                   "000000001", "full")]
    unmatched = db.session.scalars(select(Payment).where(Payment.status == "unmatched")
                                   .order_by(Payment.id)).all()
    assert [p.kid for p in unmatched] == ["00000000000000000018", bad_check_digit(first.kid)]


def test_r_pay_1_the_same_file_twice_changes_nothing(invoices):
    first = invoices[0]
    data = ocr_file([(first.kid, first.total_ore)], DAY).encode()
    import_bank_file(data, "a.txt", clock.now())
    db.session.commit()
    before = state()
    with pytest.raises(BankFileError, match="importert før"):
        import_bank_file(data, "a-copy.txt", clock.now())
    db.session.rollback()
    assert state() == before and first.paid_ore == first.total_ore


def test_r_pay_1_a_transaction_in_a_second_file_is_parked_as_already_registered(invoices):
    first, second = invoices[:2]
    import_bank_file(ocr_file([(first.kid, 10_000)], DAY).encode(), "a.txt", clock.now())
    again = import_bank_file(ocr_file([(first.kid, 10_000), (second.kid, 20_000)], DAY,
                                      number="1000082").encode(), "b.txt", clock.now())
    db.session.commit()
    assert (again.duplicates, again.matched) == (1, 1)
    assert first.paid_ore == 10_000 and second.paid_ore == 20_000
    parked = db.session.scalars(select(ParkedTransaction)).all()
    assert [(p.kid, p.reason, p.position) for p in parked] == [(first.kid, "duplicate", 3)]


def test_r_pay_1_reversals_are_parked_never_applied(invoices):
    first = invoices[0]
    text = ocr_file([(first.kid, 10_000)], DAY,
                    types={0: netsgiro.TransactionType.REVERSING_WITH_KID})
    record = import_bank_file(text.encode(), "r.txt", clock.now())
    assert (record.parked, record.matched, first.paid_ore) == (1, 0, 0)


@pytest.mark.parametrize("damage, line, reason", [
    (lambda lines: lines[:-1], 8, "sluttpost for forsendelse"),
    (lambda lines: lines[:2] + [lines[2][:60]] + lines[3:], 3, "80 tegn"),
    (lambda lines: lines[:-1] + [lines[-1][:24] + "00000002" + lines[-1][32:]], 8,
     "sluttposten for forsendelsen sier"),
    (lambda lines: lines[:-2] + [lines[-2][:32] + "00000000000000009999" + lines[-2][49:]]
     + lines[-1:], None, None),
])
def test_r_pay_1_a_damaged_ocr_file_is_refused_whole_with_its_line(invoices, damage, line,
                                                                    reason):
    first = invoices[0]
    lines = ocr_file([(first.kid, 10_000), (first.kid, 20_000)], DAY).splitlines()
    before = state()
    with pytest.raises(BankFileError) as refused:
        import_bank_file("\n".join(damage(lines)).encode(), "bad.txt", clock.now())
    db.session.rollback()
    if line is not None:
        assert refused.value.line == line and reason in refused.value.reason
    assert state() == before and first.paid_ore == 0


def test_r_pay_1_camt054_payments_are_matched_with_payer_and_reference(invoices):
    first, second = invoices[:2]
    record = import_bank_file(camt054_file([(first.kid, first.total_ore),
                                            (second.kid, 0)], DAY), "camt.xml", clock.now())
    db.session.commit()
    assert (record.format, record.bank_reference, record.matched, record.parked) == (
        "camt054", "MSG-1", 1, 1)
    payment = invoice_payments(first.id)[0]
    assert (payment.source, payment.paid_on, payment.archive_reference, payment.payer_name,
            payment.payer_account) == ("camt054", DAY, "MSG-1-1", "Betaler 1 AS",
                                       "12345678903")
    assert first.status(DAY) == "paid"
    assert db.session.scalar(select(ParkedTransaction.reason)) == "not_positive"


@pytest.mark.parametrize("data, reason", [
    (camt054_file([("123", 100)], DAY, summary=(1, 999)), "sammendraget sier"),
    (camt054_file([("123", 100)], DAY).replace(b"<Sts>BOOK</Sts>", b""), "camt.054-skjemaet"),
    (camt054_file([("123", 100)], DAY, currency="SEK"), "NOK"),
    (camt054_file([("123", 100)], DAY).replace(b"</Document>", b""), "kan ikke leses"),
    (b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>",
     "ikke en camt.054-melding"),
    (b"date;kid;amount\n2026-05-04;123;100\n", "verken en OCR-giro-fil"),
])
def test_r_pay_1_a_camt054_that_fails_its_schema_or_sums_is_refused(invoices, data, reason):
    before = state()
    with pytest.raises(BankFileError) as refused:
        import_bank_file(data, "bad.xml", clock.now())
    db.session.rollback()
    assert reason in str(refused.value)
    assert state() == before


def test_r_pay_1_cli_imports_files_and_refuses_a_bad_one(invoices, app, tmp_path):
    first = invoices[0]
    good = tmp_path / "OCR.1.txt"
    good.write_text(ocr_file([(first.kid, first.total_ore)], DAY))
    bad = tmp_path / "OCR.2.txt"
    bad.write_text("NY000010" + "0" * 72 + "\n")
    result = app.test_cli_runner().invoke(args=["payments", "import", str(good), str(bad)])
    assert result.exit_code == 1
    assert "OCR.1.txt: import" in result.output and "1 matched" in result.output
    assert "OCR.2.txt: refused" in result.output
    db.session.expire_all()
    assert db.session.get(Invoice, first.id).status(DAY) == "paid"
