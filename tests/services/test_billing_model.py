"""R-BILL-6, R-BILL-8, R-AGR-1, R-AGR-4, R-PLAN-1, R-PLAN-6: three-year timelines played on Kvitt
and on a model of the rules (tests/billing_model.py, no code shared with webapp/) give the same
invoices and credit notes to the øre, and every day of access beyond the licence is billed
exactly once.

Each example plays a batch of timelines side by side in one database, walking the clock from
one job date to the next (every 11th, the day after activation and every day something
happens), as catching up makes the engine's results the same as a daily walk."""
from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select

from jobs import JOBS
from tests.billing_model import EDITION_LADDER, ONE, PLAN_LADDER, Model
from tests.billing_setup import active_customer
from webapp import clock
from webapp.extensions import db
from webapp.models import Company, Invoice, LicenceSubscription, User, UserGroup
from webapp.services import agreements, cancellation, plans, users
from webapp.services.payments import register_payment

D = dt.date
TIMELINES_PER_EXAMPLE = 50
EXAMPLES = int(os.environ.get("KVITT_MODEL_EXAMPLES", "20"))  # 1 000 timelines a run
BILLING_JOBS = [job for name, job in JOBS
                if name in ("close_cancelled", "plan_changes", "issue_invoices")]
KINDS = ["add_user", "deactivate", "delete", "remove_access", "invite", "agreement", "move",
         "upgrade", "downgrade", "addon_on", "addon_off", "interval", "cancel", "licences"]


@st.composite
def timeline(draw, start_days, event_days):
    product = draw(st.sampled_from(["office"] * 3 + ["efaktura"]))
    if product == "office":
        plan = draw(st.sampled_from(EDITION_LADDER))
        interval = draw(st.sampled_from(["annual", "semiannual", "quarterly"]))
        addons = draw(st.lists(st.sampled_from(["office-mobile", "office-storage-50",
                                                "office-ehf"]), unique=True, max_size=2))
        bought = draw(st.integers(1, 6))
    else:
        plan = draw(st.sampled_from(PLAN_LADDER))
        interval, addons, bought = "monthly", [], draw(st.integers(1, 3))
    people = 1 if plan == "efaktura-free" else draw(st.integers(1, bought + 2))
    events = draw(st.lists(st.tuples(st.sampled_from(event_days), st.sampled_from(KINDS),
                                     st.integers(0, 40), st.integers(0, 40)),
                           min_size=2, max_size=12))
    return (draw(st.sampled_from(start_days)), plan, bought, interval, addons, people,
            sorted(events, key=lambda e: e[0]))


@st.composite
def batches(draw):
    origin = D(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    start_days = [origin + dt.timedelta(days=n) for n in range(3)]
    event_days = sorted({origin + dt.timedelta(days=draw(st.integers(3, 3 * 365)))
                         for _ in range(18)})
    return draw(st.lists(timeline(start_days, event_days), min_size=TIMELINES_PER_EXAMPLE,
                         max_size=TIMELINES_PER_EXAMPLE))


def noon(day: D) -> dt.datetime:
    clock.set_test_clock(dt.datetime.combine(day, dt.time(12), tzinfo=clock.OSLO))
    return clock.now()


def morning(day: D) -> None:
    clock.set_test_clock(dt.datetime.combine(day, dt.time(8, 30), tzinfo=clock.OSLO))
    db.session.commit()
    for job in BILLING_JOBS:
        job(clock.now())
        db.session.commit()
    now = clock.now()
    for invoice in db.session.scalars(select(Invoice).where(Invoice.kind == "invoice",
                                                            Invoice.paid_ore == 0)):
        if invoice.open_ore:
            register_payment(invoice.kid, invoice.open_ore, day, now)
    db.session.commit()


class Played:
    """One timeline on Kvitt and on the model, event by event."""

    def __init__(self, number: int, start, plan, bought, interval, addons, people):
        self.model = Model(start, plan, bought, interval, list(addons), people)
        sub = active_customer(start, interval, plan=plan, quantity=bought,
                              addons=tuple(addons), users=people, name=f"Tidslinje{number} AS")
        self.subscriptions = {"A": sub.id}
        self.owner = db.session.get(Company, db.session.get(
            type(sub.agreement), sub.agreement_id).owner_company_id)
        self.people = {index: user.id for index, user in enumerate(db.session.scalars(
            select(User).where(User.company_id == self.owner.id).order_by(User.id)))}
        self.admin = db.session.get(User, self.people[0])
        now = noon(start)
        self.companies = {"A1": self.owner.id,
                          "A2": self._company(sub.agreement, "A2", now).id}
        self.agreement_b = None
        db.session.commit()

    def _company(self, agreement, name: str, now) -> Company:
        draft = agreements.start_draft(agreement, self.admin, now)
        agreements.save_draft(draft, {"name": f"{self.owner.name} {name}"}, now)
        return agreements.complete_draft(draft, now)

    def play(self, day: D, kind: str, a: int, b: int) -> None:
        """The event if the rules allow it (the model decides), on both sides."""
        model, sub_a = self.model, self.model.subscriptions["A"]
        now = noon(day)
        living = [p for p in sorted(model.active) if model.active[p] and p != 0]
        companies = [c for c in ("A1", "A2", "B1") if c in self.companies]
        subscription = db.session.get(LicenceSubscription, self.subscriptions["A"])
        ended = sub_a.cancel_on is not None
        free = sub_a.plan == "efaktura-free"
        office = sub_a.plan in EDITION_LADDER
        if kind == "add_user" and not free:
            person = len(model.active)
            user, _beyond = users.create_user(
                db.session.get(Company, self.companies["A1"]), now, first_name=f"P{person}",
                last_name="Test", email=f"p{person}@{self.owner.login_id}.example",
                username=f"p{person}", group_key="users")
            self.people[person] = user.id
            model.grant(person, "A1", day)
        elif kind in ("deactivate", "delete") and living:
            person = living[a % len(living)]
            user = db.session.get(User, self.people[person])
            company = db.session.get(Company, user.company_id)
            if kind == "deactivate":
                users.deactivate_user(company, user, now)
            else:
                users.delete_user(company, user, now)
            model.active[person] = False
            model.revoke(person, day)
        elif kind == "remove_access" and living:
            person = living[a % len(living)]
            held = [c for c in companies if model.has_access(person, c)]
            if not held:
                return
            company = held[b % len(held)]
            membership = next(m for m in db.session.get(User, self.people[person]).memberships
                              if m.company_id == self.companies[company] and m.active)
            agreements.remove_access(membership, self.admin, now)
            model.revoke(person, day, company)
        elif kind == "invite" and living and not free:
            person = living[a % len(living)]
            free_of = [c for c in companies if not model.has_access(person, c)]
            if not free_of:
                return
            company = free_of[b % len(free_of)]
            target = db.session.get(Company, self.companies[company])
            group = db.session.scalar(select(UserGroup.id).where(
                UserGroup.company_id == target.id, UserGroup.key == "users"))
            user = db.session.get(User, self.people[person])
            agreements.invite_user(target, self.admin, now, first_name=user.first_name,
                                   last_name=user.last_name, email=user.email, group_id=group)
            model.grant(person, company, day)
        elif kind == "agreement" and self.agreement_b is None and not ended:
            self.agreement_b = agreements.create_agreement(self.owner, now, name="B",
                                                           customer_number=None)
            self.companies["B1"] = self._company(self.agreement_b, "B1", now).id
            self.subscriptions["B"] = db.session.scalar(select(LicenceSubscription.id).where(
                LicenceSubscription.agreement_id == self.agreement_b.id))
            model.create_agreement(day)
        elif kind == "move" and self.agreement_b is not None:
            name = ["A2", "B1"][a % 2]
            company = db.session.get(Company, self.companies[name])
            own = self.owner.agreement_id
            target = self.agreement_b if company.agreement_id == own \
                else db.session.get(type(self.agreement_b), own)
            agreements.move_company(company, target, self.admin, now)
            model.move(name, day)
        elif kind in ("upgrade", "downgrade") and not ended:
            ladder = EDITION_LADDER if office else PLAN_LADDER
            index = ladder.index(sub_a.plan) + (1 if kind == "upgrade" else -1)
            if not 0 <= index < len(ladder) or (not office and ladder[index] ==
                                                "efaktura-free"):
                return
            plans.change_plan(subscription, ladder[index], now)
            model.change_plan(day, ladder[index])
        elif kind in ("addon_on", "addon_off") and office and not ended:
            code = ["office-mobile", "office-storage-50", "office-ehf"][a % 3]
            current = {c for c, _f, removed in sub_a.addons if removed is None}
            codes = current | {code} if kind == "addon_on" else current - {code}
            plans.set_addons(subscription, codes, now)
            model.set_addons(day, codes)
        elif kind == "interval" and office and not ended:
            interval = ["annual", "semiannual", "quarterly"][a % 3]
            plans.change_interval(subscription, interval)
            model.change_interval(interval)
        elif kind == "licences" and not ended and not free:
            bought = a % 8 + 1
            if bought < model.users_on("A", day):
                return  # never fewer licences than users in use (R-PLAN-6)
            plans.change_quantity(subscription, bought, now)
            model.change_licences(day, bought)
        elif kind == "cancel" and not ended and not free:
            cancellation.cancel(subscription, self.admin, now)
            model.cancel(day)
        db.session.commit()

    def engine_documents(self, name: str) -> list[tuple]:
        found = []
        for invoice in db.session.scalars(select(Invoice).where(
                Invoice.subscription_id == self.subscriptions[name]).order_by(Invoice.id)):
            found.append((invoice.kind, invoice.invoice_date, invoice.period_start,
                          invoice.period_end, invoice.net_ore, invoice.vat_ore,
                          tuple(sorted(line.amount_ore for line in invoice.lines))))
        return found


def play_batch(batch, app, empty_database, extra_days=()) -> list[Played]:
    empty_database()
    events: dict[D, list] = {}
    starting: dict[D, list] = {}
    for number, (start, plan, bought, interval, addons, people, timeline_events) in \
            enumerate(batch):
        starting.setdefault(start, []).append((number, start, plan, bought, interval, addons,
                                               people))
        for day, kind, a, b in timeline_events:
            events.setdefault(day, []).append((number, kind, a, b))
    last = max(list(events) + list(starting)) + dt.timedelta(days=60)
    steps = set(events) | set(starting) | {start + ONE for start in starting} | set(extra_days)
    day = min(starting).replace(day=11)
    while day <= last:
        steps.add(day)
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=11)
    timelines: dict[int, Played] = {}
    with app.test_request_context(base_url="http://kvitt.test"):
        for day in sorted(steps):
            morning(day)
            for played in timelines.values():
                played.model.morning(day)
            for args in starting.get(day, []):
                timelines[args[0]] = Played(*args)
            for number, kind, a, b in events.get(day, []):
                if number in timelines:
                    timelines[number].play(day, kind, a, b)
    return [timelines[n] for n in sorted(timelines)]


# In CI (CI=true) the same 1 000 timelines every run (seed 1), so an open discrepancy found
# at random cannot fail an unrelated change; on a developer's machine new timelines every run.
def _seeded_in_ci(test):
    return seed(1)(test) if os.environ.get("CI") else test


@_seeded_in_ci
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(batch=batches())
def test_r_bill_6_r_bill_8_timelines_are_billed_as_the_rules_say(app, batch, empty_database):
    timelines = play_batch(batch, app, empty_database)
    print(_stats(timelines))
    for played in timelines:
        for name in played.subscriptions:
            expected = [doc.key() for doc in played.model.subscriptions[name].documents]
            assert played.engine_documents(name) == expected, (name, played.model.start)


def _stats(timelines) -> dict:
    """What the batch exercised (printed with -s)."""
    kinds: dict[str, int] = {}
    for played in timelines:
        kinds["B"] = kinds.get("B", 0) + ("B" in played.subscriptions)
        for sub in played.model.subscriptions.values():
            for doc in sub.documents:
                kind = doc.kind
                if kind == "invoice" and doc.date.day != 11:
                    kind = "first/difference/final"
                kinds[kind] = kinds.get(kind, 0) + 1
                extra = sum(1 for line in doc.lines if line.unit == 0 and line.amount > 0)
                kinds["extra-user lines"] = kinds.get("extra-user lines", 0) + extra
    return kinds


def test_r_bill_6_r_bill_8_an_upgrade_over_an_invoiced_downgrade_keeps_the_days_paid(app,
                                                                                     empty_database):
    """Found by the model: timeline 46 goes down twice and back up the day before its
    downgrade takes effect (the next period already invoiced at the lower edition); the
    upgrade must not re-price the days before it nor charge the day paid at the higher one."""
    from tests.services.model_cases.case_2028_04_11 import BATCH

    for played in play_batch(BATCH, app, empty_database):
        for name in played.subscriptions:
            expected = [doc.key() for doc in played.model.subscriptions[name].documents]
            assert played.engine_documents(name) == expected, (name, played.model.start)
