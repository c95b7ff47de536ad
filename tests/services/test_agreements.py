"""R-AGR-1 … R-AGR-4: customer agreements count each user once, follow moves from their day,
are billed by the same engine, and keep their companies."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.partner_setup import ORG, agreement_with, company_named, invite, on, partner
from webapp.extensions import db
from webapp.models import (
    CompanyMove,
    CustomerAgreement,
    Invoice,
    LicenceSubscription,
    OutboxMail,
    User,
)
from webapp.services import agreements
from webapp.services import sales as sales_service

D = dt.date
EXCESS = "Brukere utover lisensen"


def _counts(*agreement_list):
    counts = agreements.licence_counts([a.id for a in agreement_list])
    return [counts.get(a.id, 0) for a in agreement_list]


def _excess_lines(agreement):
    return [(line.period_start, line.period_end, line.quantity, line.amount_ore)
            for invoice in db.session.scalars(select(Invoice).where(
                Invoice.agreement_id == agreement.id).order_by(Invoice.id))
            for line in invoice.lines if line.description.startswith(EXCESS)]


@pytest.fixture
def jobs_on(run_jobs):
    def _jobs_on(day: D):
        on(day, 8)
        run_jobs()
    return _jobs_on


def test_r_agr_1_a_user_counts_once_per_agreement_and_once_in_each_agreement(app):
    firm, _admin = partner(D(2026, 1, 5))
    first = agreement_with(firm, "Bakerkjeden", "Baker Nord AS", "Baker Sør AS", "Baker Vest AS",
                           customer_number="10001")
    second = agreement_with(firm, "Fiskebutikken", "Fisk AS", customer_number="10002")
    for name in ("Baker Nord AS", "Baker Sør AS", "Baker Vest AS", "Fisk AS"):
        invite(company_named(name), "ola@example.com")
    assert _counts(first, second) == [1, 1]
    invite(company_named("Baker Sør AS"), "kari@example.com", first_name="Kari")
    assert _counts(first, second) == [2, 1]
    # One person, one login: Ola has access to four companies through one user.
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.email == "ola@example.com")) == 1
    rows = {row.agreement.id: row for row in agreements.summaries(
        agreements.owned_agreements(firm.id))}
    # Kvitt Office Professional: 349 kr per user a month, quarterly without discount.
    assert (rows[first.id].licences, rows[first.id].monthly_ore) == (2, 2 * 34_900)
    assert (rows[second.id].licences, rows[second.id].monthly_ore) == (1, 34_900)


def test_r_agr_1_the_invoice_charges_each_user_once_per_agreement(app, jobs_on):
    firm, _admin = partner(D(2026, 1, 5))
    first = agreement_with(firm, "Bakerkjeden", "Baker Nord AS", "Baker Sør AS", "Baker Vest AS")
    second = agreement_with(firm, "Fiskebutikken", "Fisk AS")
    for name in ("Baker Nord AS", "Baker Sør AS", "Baker Vest AS", "Fisk AS"):
        invite(company_named(name), "ola@example.com")
    invite(company_named("Baker Nord AS"), "kari@example.com", first_name="Kari")
    jobs_on(D(2026, 1, 6))
    # Nothing is invoiced for an agreement before it has had users to bill.
    assert _excess_lines(first) == [] and db.session.scalar(select(func.count()).select_from(
        Invoice).where(Invoice.agreement_id == first.id)) == 0
    jobs_on(D(2026, 4, 11))
    # 5 January (access given) to 10 April (the day before the invoice), 349 kr a user-month:
    # 27 of 31 January days, February, March, 10 of 30 April days.
    months = 27 / 31 + 1 + 1 + 10 / 30
    assert _excess_lines(first) == [(D(2026, 1, 5), D(2026, 4, 10), 2,
                                     round(2 * 34_900 * months))]
    assert _excess_lines(second) == [(D(2026, 1, 5), D(2026, 4, 10), 1,
                                      round(34_900 * months))]


def test_r_agr_4_a_move_in_the_middle_of_a_period_moves_the_licence_days(app, jobs_on):
    firm, admin = partner(D(2026, 1, 5))
    first = agreement_with(firm, "Gamle avtale", "Flyttes AS", "Blir AS")
    second = agreement_with(firm, "Nye avtale")
    invite(company_named("Flyttes AS"), "per@example.com", first_name="Per")
    jobs_on(D(2026, 1, 6))
    now = on(D(2026, 2, 15), 14)
    move = agreements.move_company(company_named("Flyttes AS"), second, admin, now)
    db.session.commit()
    assert (move.from_agreement_id, move.to_agreement_id, move.moved_on, move.moved_by_user_id) \
        == (first.id, second.id, D(2026, 2, 15), admin.id)
    assert _counts(first, second) == [0, 1]
    jobs_on(D(2026, 4, 11))
    # The old agreement pays Per's days to 14 February, the new one from 15 February: its
    # first day with a user, from which it is billed (its first renewal is on 11 May).
    assert _excess_lines(first) == [(D(2026, 1, 5), D(2026, 2, 14), 1,
                                     round(34_900 * (27 / 31 + 14 / 28)))]
    assert _excess_lines(second) == []
    jobs_on(D(2026, 5, 11))
    assert _excess_lines(second) == [(D(2026, 2, 15), D(2026, 5, 10), 1,
                                      round(34_900 * (14 / 28 + 1 + 1 + 10 / 31)))]


def test_r_agr_4_move_to_a_new_agreement_in_the_same_step(app):
    firm, admin = partner(D(2026, 1, 5))
    agreement_with(firm, "Felles", "Eget liv AS")
    agreements.move_company(company_named("Eget liv AS"), None, admin, on(D(2026, 3, 1)),
                            new_name="Eget liv", new_customer_number="20001")
    db.session.commit()
    created = db.session.scalar(select(CustomerAgreement).where(
        CustomerAgreement.name == "Eget liv"))
    assert created.customer_number == "20001"
    assert [c.name for c in created.companies] == ["Eget liv AS"]
    assert created.owner_company_id == firm.id
    assert db.session.scalar(select(LicenceSubscription.status).where(
        LicenceSubscription.agreement_id == created.id)) == "active"


def test_r_agr_4_a_company_cannot_move_into_another_owners_agreement(app):
    firm, admin = partner(D(2026, 1, 5))
    other, _ = partner(D(2026, 1, 5), name="Annet Byrå AS", org=ORG[1],
                       email="post@annet.example")
    agreement_with(firm, "Vår", "Vår kunde AS")
    theirs = agreement_with(other, "Deres")
    with pytest.raises(agreements.AgreementError) as refused:
        agreements.move_company(company_named("Vår kunde AS"), theirs, admin, on(D(2026, 2, 1)))
    assert refused.value.code == "other_owner"
    db.session.rollback()
    assert company_named("Vår kunde AS").agreement.name == "Vår"
    assert db.session.scalar(select(func.count()).select_from(CompanyMove)) == 0


def test_r_agr_3_an_agreement_holding_companies_cannot_be_deleted(app):
    firm, _ = partner(D(2026, 1, 5))
    full = agreement_with(firm, "Full", "Har selskap AS")
    empty = agreement_with(firm, "Tom")
    with pytest.raises(agreements.AgreementError) as refused:
        agreements.delete_agreement(full, on(D(2026, 2, 1)))
    assert refused.value.code == "not_empty"
    db.session.rollback()
    agreements.delete_agreement(empty, on(D(2026, 2, 1)))
    db.session.commit()
    assert [a.name for a in agreements.owned_agreements(firm.id)] == ["Full",
                                                                      "Regnskapshuset AS"]
    assert db.session.scalar(select(LicenceSubscription.status).where(
        LicenceSubscription.agreement_id == empty.id)) == "cancelled"


def test_r_agr_2_customer_numbers_are_unique_among_the_owners_agreements(app):
    firm, _ = partner(D(2026, 1, 5))
    agreement_with(firm, "Én", customer_number="30001")
    with pytest.raises(agreements.AgreementError) as refused:
        agreements.create_agreement(firm, on(D(2026, 1, 6)), name="To", customer_number="30001")
    assert refused.value.code == "customer_number_taken"


def test_removed_access_stops_counting_from_that_day(app):
    firm, admin = partner(D(2026, 1, 5))
    first = agreement_with(firm, "Avtale", "Kontor AS")
    user, created = invite(company_named("Kontor AS"), "siri@example.com", first_name="Siri")
    assert created and db.session.scalar(select(OutboxMail.kind).where(
        OutboxMail.to_address == "siri@example.com")) == "welcome"
    membership = user.memberships[0]
    agreements.remove_access(membership, admin, on(D(2026, 1, 21)))
    db.session.commit()
    assert _counts(first) == [0]
    [row] = [r for r in agreements.reinvoicing_basis(firm.id, D(2026, 1, 1))
             if r.agreement_id == first.id]
    # 5 to 20 January: 16 user-days of 31 at 349 kr.
    assert (row.licences, row.user_days, row.licence_ore) == (1, 16, round(34_900 * 16 / 31))
    # Invited again: the same person, access again from that day.
    again, created = invite(company_named("Kontor AS"), "siri@example.com", first_name="Siri")
    assert again.id == user.id and not created
    assert _counts(first) == [1]


def test_reinvoicing_basis_has_the_customer_number_licences_and_transactions(app):
    firm, admin = partner(D(2026, 1, 5))
    shop = agreement_with(firm, "Butikken", "Butikk AS", customer_number="40001")
    invite(company_named("Butikk AS"), "eva@example.com", first_name="Eva")
    company = company_named("Butikk AS")
    # Two invoices sent from the client company in February, one in March.
    from webapp.models import Customer
    buyer = Customer(company_id=company.id, name="Kunde", email="kunde@example.com",
                     created_at=on(D(2026, 2, 3)))
    db.session.add(buyer)
    db.session.flush()
    for day in (D(2026, 2, 3), D(2026, 2, 20), D(2026, 3, 2)):
        sales_service._subscription_invoice(company, buyer, None, day, [], 100_000, 25_000,
                                            False, on(day))
    db.session.commit()
    [row] = [r for r in agreements.reinvoicing_basis(firm.id, D(2026, 2, 1))
             if r.agreement_id == shop.id]
    assert (row.customer_number, row.companies, row.licences, row.user_days) == (
        "40001", "Butikk AS", 1, 28)
    # A whole February for one user at 349 kr; 2 invoices at 1.50 kr.
    assert (row.licence_ore, row.transactions, row.transaction_ore, row.total_ore) == (
        34_900, 2, 300, 35_200)
