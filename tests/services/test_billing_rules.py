"""R-BILL-6, R-BILL-8, R-PLAN-1: one plain example per billing rule in the README, each amount
worked out with the model's own arithmetic (tests/billing_model.py), not the engine's."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.billing_model import cost, percent
from tests.billing_setup import active_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import Company, Invoice, Membership, SubscriptionAddOn, User, UserGroup
from webapp.services import agreements, cancellation, plans, users
from webapp.services.billing import estimate_next_invoice

D = dt.date
EXCESS = "Brukere utover lisensen"


@pytest.fixture
def morning(run_jobs):
    def _morning(day: D) -> None:
        clock.set_test_clock(dt.datetime.combine(day, dt.time(8, 30), tzinfo=clock.OSLO))
        db.session.commit()
        run_jobs()
    return _morning


def noon(day: D) -> dt.datetime:
    moment = clock.set_test_clock(dt.datetime.combine(day, dt.time(12), tzinfo=clock.OSLO))
    db.session.commit()
    return moment


def invoices_of(subscription_id: int, kind: str = "invoice") -> list[Invoice]:
    return db.session.scalars(select(Invoice).where(
        Invoice.subscription_id == subscription_id, Invoice.kind == kind)
        .order_by(Invoice.id)).all()


def extra_lines(invoice: Invoice) -> list[tuple]:
    return [(line.period_start, line.period_end, line.quantity, line.amount_ore)
            for line in invoice.lines if line.description.startswith(EXCESS)]


def owner_of(subscription) -> tuple[Company, User]:
    company = db.session.get(Company, subscription.agreement.owner_company_id)
    admin = db.session.scalar(select(User).where(User.company_id == company.id)
                              .order_by(User.id))
    return company, admin


def add_person(company: Company, name: str, day: D) -> User:
    user, _beyond = users.create_user(company, noon(day), first_name=name, last_name="Test",
                                      email=f"{name.lower()}@example.com",
                                      username=name.lower(), group_key="users")
    db.session.commit()
    return user


def test_rule_1_access_is_history_never_erased(app, morning):
    """P is added 3 May and deleted 1 June; Q loses access 1 June and gets it again 1 July.
    Both May stretches are billed, and Q again from 1 July."""
    subscription = active_customer(D(2026, 4, 20), quantity=1, addons=())
    company, admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        p, q = add_person(company, "Per", D(2026, 5, 3)), add_person(company, "Kari",
                                                                      D(2026, 5, 3))
        users.delete_user(company, p, noon(D(2026, 6, 1)))
        membership = db.session.scalar(select(Membership).where(Membership.user_id == q.id))
        agreements.remove_access(membership, admin, noon(D(2026, 6, 1)))
        db.session.commit()
        group = db.session.scalar(select(UserGroup.id).where(
            UserGroup.company_id == company.id, UserGroup.key == "users"))
        agreements.invite_user(company, admin, noon(D(2026, 7, 1)), first_name="Kari",
                               last_name="Test", email="kari@example.com", group_id=group)
        db.session.commit()
        morning(D(2027, 4, 11))
    renewal = invoices_of(subscription.id)[-1]
    # Users 2 and 3 of Professional (349 kr each) in May, user 2 from July on.
    assert extra_lines(renewal) == [
        (D(2026, 5, 3), D(2026, 5, 31), 2, cost(2 * 34_900, D(2026, 5, 3), D(2026, 5, 31))),
        (D(2026, 7, 1), D(2027, 4, 10), 1, cost(34_900, D(2026, 7, 1), D(2027, 4, 10)))]


def test_rule_2_extra_users_priced_by_band_position_at_the_terms_of_each_day(
        app, morning):
    """Licence 4, users 5 and 6 from 3 May: user 6 is in the 6–10 band (−10 %), Mobile for
    each; an upgrade to Enterprise on 1 July does not re-price May and June."""
    subscription = active_customer(D(2026, 4, 20), quantity=4, users=4,
                                   addons=("office-mobile",))
    company, _admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        add_person(company, "Per", D(2026, 5, 3))
        add_person(company, "Kari", D(2026, 5, 3))
        plans.change_plan(subscription, "office-enterprise", noon(D(2026, 7, 1)))
        db.session.commit()
        morning(D(2027, 4, 11))
    renewal = invoices_of(subscription.id)[-1]
    before = 34_900 + (34_900 - percent(34_900, 10)) + 2 * 2_900
    after = 44_900 + (44_900 - percent(44_900, 10)) + 2 * 2_900
    lines = extra_lines(renewal)
    assert lines == [
        (D(2026, 5, 3), D(2026, 6, 30), 2, cost(before, D(2026, 5, 3), D(2026, 6, 30))),
        (D(2026, 7, 1), D(2027, 4, 10), 2, cost(after, D(2026, 7, 1), D(2027, 4, 10)))]
    # The annual discount (10 %) is taken on every line, the extra users' too.
    gross = sum(line.amount_ore for line in renewal.lines if line.amount_ore > 0)
    assert renewal.net_ore == gross - percent(gross, 10)


def test_rule_3_nothing_owed_is_dropped_at_the_end(app, morning):
    """Cancelled on 1 June (last day 30 April next year): the extra user's days are billed on
    a final invoice the morning after the last day."""
    subscription = active_customer(D(2026, 4, 20), quantity=1, addons=())
    company, admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        add_person(company, "Per", D(2026, 5, 3))
        assert cancellation.cancel(subscription, admin, noon(D(2026, 6, 1))) == D(2027, 4, 30)
        db.session.commit()
        morning(D(2027, 4, 11))
        assert len(invoices_of(subscription.id)) == 1  # no renewal after the last day
        morning(D(2027, 5, 1))
    final = invoices_of(subscription.id)[-1]
    amount = cost(34_900, D(2026, 5, 3), D(2027, 4, 30))
    assert (final.invoice_date, extra_lines(final)) == (
        D(2027, 5, 1), [(D(2026, 5, 3), D(2027, 4, 30), 1, amount)])
    assert final.net_ore == amount - percent(amount, 10)


def test_rule_4_nothing_is_charged_after_the_last_day(app, morning):
    """Quarterly, paid to 31 July; the renewal for August–October is issued 11 July, an
    upgrade on 15 July invoices 15 July–31 October; cancelled on 20 July, the last day is
    31 July: the renewal and the upgrade's August–October are credited."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=2, addons=())
    _company, admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        morning(D(2026, 7, 11))
        plans.change_plan(subscription, "office-enterprise", noon(D(2026, 7, 15)))
        db.session.commit()
        assert cancellation.cancel(subscription, admin, noon(D(2026, 7, 20))) == D(2026, 7, 31)
        db.session.commit()
    first, renewal, upgrade = invoices_of(subscription.id)
    assert (upgrade.period_start, upgrade.period_end) == (D(2026, 7, 15), D(2026, 10, 31))
    credits = {note.credited_invoice_id: note for note in invoices_of(subscription.id,
                                                                   "credit_note")}
    assert -credits[renewal.id].net_ore == renewal.net_ore
    kept = cost(2 * 10_000, D(2026, 7, 15), D(2026, 7, 31))
    assert upgrade.net_ore + credits[upgrade.id].net_ore == kept
    assert first.id not in credits


def test_rule_5_no_day_is_paid_twice(app, morning):
    """Storage removed on 1 June and taken back on 5 June: it was paid to 30 April next year,
    so nothing more is invoiced, and the renewal still has it."""
    subscription = active_customer(D(2026, 4, 20), addons=("office-storage-50",))
    with app.test_request_context():
        morning(D(2026, 4, 21))
        plans.set_addons(subscription, set(), noon(D(2026, 6, 1)))
        db.session.commit()
        plans.set_addons(subscription, {"office-storage-50"}, noon(D(2026, 6, 5)))
        db.session.commit()
        morning(D(2026, 6, 6))
        assert len(invoices_of(subscription.id)) == 1
        morning(D(2027, 4, 11))
    renewal = invoices_of(subscription.id)[-1]
    assert "Ekstra lagring 50 GB" in [line.description for line in renewal.lines]
    assert db.session.scalar(select(SubscriptionAddOn.removed_from)) is None


def test_rule_5_an_upgrade_back_over_an_invoiced_downgrade_pays_only_the_difference(
        app, morning):
    """Quarterly Professional, 2 licences and 3 users; a downgrade to Invoicing asked on
    1 June is invoiced for August–October on 11 July; back to Professional on 25 July: only
    August–October owes the difference (July was paid at Professional), and the extra user
    stays priced at Professional every day."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=2, users=3,
                                   addons=())
    with app.test_request_context():
        morning(D(2026, 4, 21))
        assert plans.change_plan(subscription, "office-invoicing",
                                 noon(D(2026, 6, 1))) == "next_period"
        db.session.commit()
        morning(D(2026, 7, 11))
        assert plans.change_plan(subscription, "office-professional",
                                 noon(D(2026, 7, 25))) == "next_period"
        db.session.commit()
        morning(D(2026, 7, 26))
        morning(D(2026, 10, 11))
    _first, renewal, difference, next_renewal = invoices_of(subscription.id)
    assert renewal.net_ore == cost(2 * 14_900, D(2026, 8, 1), D(2026, 10, 31)) + \
        sum(amount for *_days, amount in extra_lines(renewal))
    assert (difference.invoice_date, difference.period_start, difference.period_end,
            difference.net_ore) == (D(2026, 7, 26), D(2026, 8, 1), D(2026, 10, 31),
                                    cost(2 * (34_900 - 14_900), D(2026, 8, 1), D(2026, 10, 31)))
    assert extra_lines(next_renewal) == [
        (D(2026, 7, 11), D(2026, 10, 10), 1, cost(34_900, D(2026, 7, 11), D(2026, 10, 10)))]
    assert "Professional" in next_renewal.lines[0].description


def test_rule_6_an_agreement_is_billed_from_its_first_user(app, morning):
    """Agreement B, created 1 May with the owner's storage add-on, has no user until 10 June:
    nothing is invoiced before; the first invoice covers 10 June onwards."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", addons=("office-storage-50",))
    owner, admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        now = noon(D(2026, 5, 1))
        agreement = agreements.create_agreement(owner, now, name="B", customer_number=None)
        draft = agreements.start_draft(agreement, admin, now)
        agreements.save_draft(draft, {"name": "Datter AS"}, now)
        daughter = agreements.complete_draft(draft, now)
        db.session.commit()
        morning(D(2026, 6, 9))
        assert db.session.scalars(select(Invoice).where(
            Invoice.agreement_id == agreement.id)).all() == []
        group = db.session.scalar(select(UserGroup.id).where(
            UserGroup.company_id == daughter.id, UserGroup.key == "users"))
        agreements.invite_user(daughter, admin, noon(D(2026, 6, 10)), first_name="Ola",
                               last_name="Test", email="ola@example.com", group_id=group)
        db.session.commit()
        morning(D(2026, 6, 11))
    [first] = db.session.scalars(select(Invoice).where(Invoice.agreement_id == agreement.id))
    assert (first.invoice_date, first.period_start, first.period_end) == (
        D(2026, 6, 11), D(2026, 6, 10), D(2026, 9, 30))
    assert first.net_ore == cost(9_900, D(2026, 6, 10), D(2026, 6, 30)) + 3 * 9_900


def test_rule_7_included_licences_count(app, morning):
    """Basic includes two licences: with one bought, the second user is not extra; a third
    is, at the extra licence's 59 kr."""
    subscription = active_customer(D(2026, 4, 20), "monthly", plan="efaktura-basic",
                                   quantity=1, addons=())
    company, _admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        add_person(company, "Per", D(2026, 5, 3))
        morning(D(2026, 5, 11))
        assert extra_lines(invoices_of(subscription.id)[-1]) == []
        add_person(company, "Kari", D(2026, 5, 20))
        morning(D(2026, 6, 11))
    assert extra_lines(invoices_of(subscription.id)[-1]) == [
        (D(2026, 5, 20), D(2026, 6, 10), 1, cost(5_900, D(2026, 5, 20), D(2026, 6, 10)))]


def test_rule_9_the_next_invoice_shown_is_the_one_issued(app, morning):
    """A downgrade, another interval, a removed add-on and an extra user, all scheduled: the
    portal's next invoice is, to the øre, the one issued on its day."""
    subscription = active_customer(D(2026, 4, 20), "annual", quantity=1,
                                   addons=("office-mobile", "office-storage-50"))
    company, _admin = owner_of(subscription)
    with app.test_request_context():
        morning(D(2026, 4, 21))
        now = noon(D(2026, 9, 1))
        plans.change_plan(subscription, "office-invoicing", now)
        plans.change_interval(subscription, "quarterly")
        plans.set_addons(subscription, {"office-mobile"}, now)
        db.session.commit()
        add_person(company, "Per", D(2026, 9, 2))
        noon(D(2027, 4, 10))
        schedule, amounts = estimate_next_invoice(subscription)
        morning(D(2027, 4, 11))
    issued = invoices_of(subscription.id)[-1]
    assert (schedule.invoice_date, schedule.start, schedule.end, amounts.total_ore) == (
        issued.invoice_date, issued.period_start, issued.period_end, issued.total_ore)
    assert (issued.period_start, issued.period_end) == (D(2027, 5, 1), D(2027, 7, 31))


def test_rule_11_more_licences_priced_at_the_add_ons_of_each_day(app, morning):
    """Quarterly Professional with Mobile (per user), 2 licences. Mobile is removed 1 July (it
    runs to 31 July, the paid end); the renewal of 11 July covers August–October without it.
    On 15 July two more licences: 15–31 July owe Professional and Mobile for two licences,
    August–October Professional only: Mobile is not charged for days it is not in force."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=2, users=1,
                                   addons=("office-mobile",))
    with app.test_request_context():
        morning(D(2026, 4, 21))
        plans.set_addons(subscription, set(), noon(D(2026, 7, 1)))
        db.session.commit()
        morning(D(2026, 7, 11))
        assert plans.change_quantity(subscription, 4, noon(D(2026, 7, 15))) == "now"
        db.session.commit()
        morning(D(2026, 7, 16))
    _first, renewal, licences = invoices_of(subscription.id)
    assert (renewal.period_start, renewal.period_end) == (D(2026, 8, 1), D(2026, 10, 31))
    assert renewal.net_ore == cost(2 * 34_900, D(2026, 8, 1), D(2026, 10, 31))
    assert (licences.invoice_date, licences.period_start, licences.period_end) == (
        D(2026, 7, 16), D(2026, 7, 15), D(2026, 10, 31))
    assert sorted(line.amount_ore for line in licences.lines) == sorted([
        cost(2 * (34_900 + 2_900), D(2026, 7, 15), D(2026, 7, 31)),
        cost(2 * 34_900, D(2026, 8, 1), D(2026, 10, 31))])
    assert licences.net_ore == sum(line.amount_ore for line in licences.lines)


def test_rule_11_a_per_user_add_on_is_priced_at_the_licences_of_each_day(app, morning):
    """Quarterly Professional with 4 licences, lowered to 2 on 1 July (from August: the
    renewal of 11 July is for 2). Mobile (per user) taken on 15 July: 15–31 July for the 4
    licences paid then, August–October for 2."""
    subscription = active_customer(D(2026, 4, 20), "quarterly", quantity=4, users=1,
                                   addons=())
    with app.test_request_context():
        morning(D(2026, 4, 21))
        assert plans.change_quantity(subscription, 2, noon(D(2026, 7, 1))) == "next_period"
        db.session.commit()
        morning(D(2026, 7, 11))
        plans.set_addons(subscription, {"office-mobile"}, noon(D(2026, 7, 15)))
        db.session.commit()
        morning(D(2026, 7, 16))
    _first, renewal, mobile = invoices_of(subscription.id)
    assert renewal.net_ore == cost(2 * 34_900, D(2026, 8, 1), D(2026, 10, 31))
    assert sorted((line.quantity, line.amount_ore) for line in mobile.lines) == sorted([
        (4, cost(4 * 2_900, D(2026, 7, 15), D(2026, 7, 31))),
        (2, cost(2 * 2_900, D(2026, 8, 1), D(2026, 10, 31)))])
