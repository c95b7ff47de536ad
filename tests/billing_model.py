"""A model of the billing rules in the README's "Billing" section, written from that text and
the price list alone. It shares no code with `webapp/`: its own arithmetic in fractions, its own
calendar, its own walk through the days. The model test plays the same timeline on the model
and on Kvitt and compares every invoice and credit note to the øre.

A timeline is one owner company ("A1", on its own agreement "A") with a second company "A2" in
the same agreement, and perhaps a second agreement "B" with a company "B1"; people get and lose
access to these companies; the owner changes plan, add-ons and interval, and may cancel.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

# The price list (øre a month, excl. VAT): Kvitt Office editions per user in graduated bands,
# add-ons, eFaktura plans with their included licences.
EDITIONS = {"office-invoicing": 14900, "office-professional": 34900,
            "office-enterprise": 44900}
EDITION_LADDER = ["office-invoicing", "office-professional", "office-enterprise"]
BANDS = [(1, 5, 0), (6, 10, 10), (11, 25, 20), (26, 50, 30), (51, 10**9, 40)]
ADDONS = {"office-mobile": (2900, True), "office-storage-50": (9900, False),
          "office-ehf": (7900, False)}
PLANS = {"efaktura-free": (0, 1), "efaktura-basic": (19900, 2), "efaktura-premium": (39900, 2)}
PLAN_LADDER = ["efaktura-free", "efaktura-basic", "efaktura-premium"]
EXTRA_LICENCE = 5900
INTERVALS = {"annual": (12, 10), "semiannual": (6, 5), "quarterly": (3, 0), "monthly": (1, 0)}
VAT = 25
ONE = dt.timedelta(days=1)


def half_up(value: Fraction) -> int:
    """Round to a whole øre, halves away from zero."""
    whole = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return whole if value >= 0 else -whole


def percent(amount: int, rate: int) -> int:
    return half_up(Fraction(amount * rate, 100))


def days_of_month(day: dt.date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def last_of_month(day: dt.date) -> dt.date:
    return day.replace(day=days_of_month(day))


def add_months(day: dt.date, months: int) -> dt.date:
    """The 1st of the month `months` after day's month (day is a 1st)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cost(monthly: int, first: dt.date, last: dt.date) -> int:
    """A monthly price for the days first..last: each month's share is its days over the days
    of that month; one rounding for the whole line."""
    share, day = Fraction(0), first
    while day <= last:
        end = min(last_of_month(day), last)
        share += Fraction((end - day).days + 1, days_of_month(day))
        day = end + ONE
    return half_up(monthly * share)


def band_unit(price: int, position: int) -> int:
    for low, high, discount in BANDS:
        if low <= position <= high:
            return price - percent(price, discount)
    raise ValueError(position)


def is_plan(plan: str) -> bool:
    return plan in PLANS


def licences(plan: str, bought: int) -> int:
    return max(bought, PLANS[plan][1]) if is_plan(plan) else bought


@dataclass
class Line:
    first: dt.date
    last: dt.date
    quantity: int
    unit: int
    amount: int
    discount_rate: int | None = None


@dataclass
class Document:
    kind: str
    date: dt.date
    first: dt.date | None
    last: dt.date | None
    lines: list[Line]
    net: int
    vat: int
    credited: set = field(default_factory=set)  # indexes of lines credited

    def key(self):
        return (self.kind, self.date, self.first, self.last, self.net, self.vat,
                tuple(sorted(line.amount for line in self.lines)))


def document(kind: str, date: dt.date, first, last, lines: list[Line], rate: int) -> Document:
    """Lines, then the interval discount on their sum, then 25 % VAT on the net."""
    gross = sum(line.amount for line in lines)
    if rate and gross:
        discount = percent(gross, rate)
        lines = lines + [Line(first, last, 1, -discount, -discount, rate)]
    net = sum(line.amount for line in lines)
    return Document(kind, date, first, last, lines, net, percent(net, VAT))


@dataclass
class Subscription:
    name: str
    plan: str
    bought: int
    interval: str
    addons: list[list] = field(default_factory=list)  # [code, first day, removed from | None]
    plan_days: list[tuple[dt.date, str]] = field(default_factory=list)  # (from day, plan)
    bought_days: list[tuple[dt.date, int]] = field(default_factory=list)  # (from day, count)
    next_plan: str | None = None
    next_bought: int | None = None
    next_interval: str | None = None
    activated: dt.date | None = None
    billed_through: dt.date | None = None
    extra_through: dt.date | None = None
    cancel_on: dt.date | None = None
    documents: list[Document] = field(default_factory=list)

    def plan_on(self, day: dt.date) -> str:
        plan = self.plan_days[0][1]
        for first, code in self.plan_days:
            if first <= day:
                plan = code
        return plan

    def bought_on(self, day: dt.date) -> int:
        """The licences bought on the day: the count from its last change before it."""
        bought = self.bought_days[0][1] if self.bought_days else self.bought
        for first, count in self.bought_days:
            if first <= day:
                bought = count
        return bought

    def addons_on(self, day: dt.date) -> list[str]:
        return sorted({code for code, first, removed in self.addons
                       if first <= day and (removed is None or day < removed)})

    def months_and_rate(self) -> tuple[int, int]:
        return INTERVALS[self.interval]

    def monthly_parts(self, plan: str, addons: list[str],
                      bought: int | None = None) -> list[tuple[int, int]]:
        """(quantity, unit) of each priced part for a whole month (at the licences bought
        now, or at `bought`)."""
        bought = self.bought if bought is None else bought
        parts = []
        if is_plan(plan):
            price, included = PLANS[plan]
            parts.append((1, price))
            if bought > included:
                parts.append((bought - included, EXTRA_LICENCE))
        else:
            units: dict[int, int] = {}
            for position in range(1, bought + 1):
                unit = band_unit(EDITIONS[plan], position)
                units[unit] = units.get(unit, 0) + 1
            parts.extend((count, unit) for unit, count in units.items())
            for code in addons:
                price, per_user = ADDONS[code]
                if (bought if per_user else 1):
                    parts.append((bought if per_user else 1, price))
        return [(q, u) for q, u in parts if q * u]

    def extra_cost(self, day: dt.date, users: int) -> tuple[int, int]:
        """(users beyond the licence, what they cost a month) on the day."""
        plan = self.plan_on(day)
        allowed = licences(plan, self.bought_on(day))
        extra = users - allowed
        if extra <= 0 or plan == "efaktura-free":
            return 0, 0
        if is_plan(plan):
            monthly = extra * EXTRA_LICENCE
        else:
            monthly = sum(band_unit(EDITIONS[plan], position)
                          for position in range(allowed + 1, users + 1))
        for code in self.addons_on(day):
            price, per_user = ADDONS[code]
            if per_user:
                monthly += extra * price
        return extra, monthly


class Model:
    """The rules, played day by day."""

    def __init__(self, start: dt.date, plan: str, bought: int, interval: str,
                 addons: list[str], users: int):
        self.start = start
        self.subscriptions = {"A": Subscription("A", plan, bought, interval,
                                                [[code, start, None] for code in addons],
                                                [(start, plan)], [(start, bought)],
                                                activated=start)}
        self.company_agreement = {"A1": [(start, "A")], "A2": [(start, "A")]}
        # person -> list of [company, first day, last day | None]
        self.access: dict[int, list[list]] = {}
        self.active: dict[int, bool] = {}
        for person in range(users):
            self.access[person] = [["A1", start, None]]
            self.active[person] = True

    # --- who counts ------------------------------------------------------------------------

    def agreement_of(self, company: str, day: dt.date) -> str | None:
        found = None
        for first, agreement in self.company_agreement.get(company, []):
            if first <= day:
                found = agreement
        return found

    def users_on(self, agreement: str, day: dt.date) -> int:
        count = 0
        for stretches in self.access.values():
            if any(first <= day and (last is None or day <= last)
                   and self.agreement_of(company, day) == agreement
                   for company, first, last in stretches):
                count += 1
        return count

    def first_user_day(self, agreement: str, before: dt.date) -> dt.date | None:
        day = self.start
        while day < before:
            if self.users_on(agreement, day):
                return day
            day += ONE
        return None

    def extra_lines(self, sub: Subscription, first: dt.date, last: dt.date) -> list[Line]:
        lines: list[Line] = []
        run = None  # [first, last, extra, monthly]
        day = first
        while day <= last + ONE:
            extra, monthly = sub.extra_cost(day, self.users_on(sub.name, day)) \
                if day <= last else (0, 0)
            if run and (run[2], run[3]) == (extra, monthly):
                run[1] = day
            else:
                if run and run[2] > 0:
                    lines.append(Line(run[0], run[1], run[2], 0, cost(run[3], run[0], run[1])))
                run = [day, day, extra, monthly]
            day += ONE
        return lines

    # --- the morning's jobs ----------------------------------------------------------------

    def morning(self, today: dt.date) -> None:
        for sub in self.subscriptions.values():
            if sub.activated is None and sub.cancel_on is None:
                first = self.first_user_day(sub.name, today)
                if first is not None:
                    sub.activated = first
        threshold = today.replace(day=1)
        if today.day >= 11:
            threshold = add_months(threshold, 1)
        for sub in self.subscriptions.values():
            if sub.billed_through is not None and sub.billed_through < threshold:
                if sub.next_plan:
                    sub.plan_days.append((sub.billed_through + ONE, sub.next_plan))
                    sub.plan, sub.next_plan = sub.next_plan, None
                if sub.next_bought:
                    sub.bought_days.append((sub.billed_through + ONE, sub.next_bought))
                    sub.bought, sub.next_bought = sub.next_bought, None
                if sub.next_interval:
                    sub.interval, sub.next_interval = sub.next_interval, None
        for sub in self.subscriptions.values():
            while self.issue(sub, today):
                pass
        for sub in self.subscriptions.values():
            self.final(sub, today)

    def issue(self, sub: Subscription, today: dt.date) -> bool:
        """The first invoice or the next renewal if its day has come; True if one was due."""
        if sub.plan == "efaktura-free" or sub.activated is None:
            return False
        months, rate = sub.months_and_rate()
        if sub.billed_through is None:
            if sub.activated >= today:
                return False
            date = sub.activated + ONE
            periods = [(sub.activated, last_of_month(sub.activated))]
            begin = add_months(sub.activated.replace(day=1), 1)
            periods.append((begin, add_months(begin, months) - ONE))
            addons = sub.addons_on(sub.activated)
            extra: list[Line] = []
        else:
            if sub.cancel_on is not None and sub.cancel_on <= sub.billed_through:
                return False
            begin = sub.billed_through + ONE
            date = add_months(begin, -1).replace(day=11)
            if date > today:
                return False
            periods = [(begin, add_months(begin, months) - ONE)]
            addons = sub.addons_on(begin)
            start = (sub.extra_through or sub.activated - ONE) + ONE
            extra = self.extra_lines(sub, start, date - ONE)
            sub.extra_through = max(date - ONE, sub.extra_through or date - ONE)
        if sub.cancel_on is not None:
            periods = [(a, min(b, sub.cancel_on)) for a, b in periods if a <= sub.cancel_on]
        lines = []
        for first, last in periods:
            for quantity, unit in sub.monthly_parts(sub.plan, addons):
                amount = cost(quantity * unit, first, last)
                if amount:
                    lines.append(Line(first, last, quantity, unit, amount))
        lines += extra
        sub.billed_through = periods[-1][1]
        doc = document("invoice", date, periods[0][0], periods[-1][1], lines, rate)
        if doc.net + doc.vat > 0:
            sub.documents.append(doc)
        return True

    def final(self, sub: Subscription, today: dt.date) -> None:
        if sub.cancel_on is None or sub.cancel_on >= today or sub.billed_through is None \
                or sub.activated is None:
            return
        if sub.extra_through is not None and sub.extra_through >= sub.cancel_on:
            return
        start = (sub.extra_through or sub.activated - ONE) + ONE
        lines = self.extra_lines(sub, start, sub.cancel_on)
        sub.extra_through = sub.cancel_on
        if lines:
            doc = document("invoice", sub.cancel_on + ONE, start, sub.cancel_on, lines,
                           sub.months_and_rate()[1])
            if doc.net + doc.vat > 0:
                sub.documents.append(doc)

    # --- what people do at noon ------------------------------------------------------------

    def difference(self, sub: Subscription, today: dt.date,
                   parts: list[tuple[int, int, dt.date, dt.date | None]]) -> None:
        """Taking effect at once: the rest of the paid period (or the part's own last day),
        invoiced tomorrow; adjoining parts at the same price are one line."""
        if sub.billed_through is None or sub.billed_through < today:
            return
        joined: list[list] = []
        for quantity, unit, first, last in parts:
            if joined and joined[-1][:2] == [quantity, unit] and joined[-1][3] is not None \
                    and joined[-1][3] + ONE == first:
                joined[-1][3] = last
            else:
                joined.append([quantity, unit, first, last])
        lines = []
        for quantity, unit, first, last in joined:
            first, last = max(first, today), min(last or sub.billed_through, sub.billed_through)
            if quantity * unit > 0 and first <= last:
                lines.append(Line(first, last, quantity, unit,
                                  cost(quantity * unit, first, last)))
        if not lines:
            return
        doc = document("invoice", today + ONE, min(line.first for line in lines),
                       sub.billed_through, lines, sub.months_and_rate()[1])
        if doc.net + doc.vat > 0:
            sub.documents.append(doc)

    def monthly(self, sub: Subscription, plan: str) -> int:
        current = sorted(code for code, _first, removed in sub.addons if removed is None)
        return sum(q * u for q, u in sub.monthly_parts(plan, current))

    def change_plan(self, today: dt.date, plan: str) -> None:
        """Dearer than the plan last invoiced: an upgrade. It starts today if dearer than the
        plan in force today, else with the period already invoiced at the lower plan; each paid
        day from its start owes the new plan less the plan that day was paid at."""
        sub = self.subscriptions["A"]
        if plan == sub.plan:
            sub.next_plan = None
            return
        before, after = self.monthly(sub, sub.plan), self.monthly(sub, plan)
        if after <= before:
            sub.next_plan = plan
            return
        if before == 0 and sub.billed_through is None:
            sub.activated = today
        ahead = sorted(first for first, _plan in sub.plan_days if first > today)
        starts = today
        if ahead and after <= self.monthly(sub, sub.plan_on(today)):
            starts = ahead[0]
        paid_at = {day: sub.plan_on(day) for day in [starts] + ahead}
        sub.plan_days = [(first, code) for first, code in sub.plan_days if first < starts]
        sub.plan_days.append((starts, plan))
        sub.plan, sub.next_plan = plan, None
        parts = []
        for first in sorted(day for day in paid_at if day >= starts):
            following = [day for day in ahead if day > first]
            last = following[0] - ONE if following else None
            parts.append((1, after - self.monthly(sub, paid_at[first]), first, last))
        self.difference(sub, today, parts)

    def set_addons(self, today: dt.date, codes: set[str]) -> None:
        sub = self.subscriptions["A"]
        current = {row[0]: row for row in sub.addons if row[2] is None or row[2] > today}
        added = []
        for code in sorted(codes):
            row = current.get(code)
            if row is None:
                sub.addons.append([code, today, None])
                added.append((code, today))
            elif row[2] is not None:
                added.append((code, row[2]))
                row[2] = None
        for code, row in current.items():
            if code not in codes and row[2] is None:
                row[2] = max(sub.billed_through or today, today) + ONE
        parts = []
        for code, first in added:
            price, per_user = ADDONS[code]
            if not per_user:
                parts.append((1, price, first, None))
                continue
            # Per user: at the licences bought on each day (fewer from a period already
            # invoiced at fewer).
            days = sorted({first} | {day for day, _count in sub.bought_days if day > first})
            for index, day in enumerate(days):
                last = days[index + 1] - ONE if index + 1 < len(days) else None
                parts.append((sub.bought_on(day), price, day, last))
        if parts:
            self.difference(sub, today, parts)

    def change_licences(self, today: dt.date, bought: int) -> None:
        """R-PLAN-6: more licences from today, the rest of the paid period owed at each
        day's plan and add-ons; fewer from the next period."""
        sub = self.subscriptions["A"]
        if bought == sub.bought:
            sub.next_bought = None
            return
        if bought < sub.bought:
            sub.next_bought = bought
            return
        previous = sub.bought
        sub.bought_days.append((today, bought))
        sub.bought, sub.next_bought = bought, None
        # Cut wherever the plan or the add-ons change in the paid days ahead.
        starts = sorted({today} | {first for first, _plan in sub.plan_days if first > today}
                        | {day for _code, added, removed in sub.addons
                           for day in (added, removed) if day is not None and day > today})
        parts = []
        for index, first in enumerate(starts):
            last = starts[index + 1] - ONE if index + 1 < len(starts) else None
            plan, addons = sub.plan_on(first), sub.addons_on(first)
            now = sum(q * u for q, u in sub.monthly_parts(plan, addons, bought))
            was = sum(q * u for q, u in sub.monthly_parts(plan, addons, previous))
            parts.append((1, now - was, first, last))
        self.difference(sub, today, parts)

    def change_interval(self, interval: str) -> None:
        sub = self.subscriptions["A"]
        sub.next_interval = None if interval == sub.interval else interval

    def cancel(self, today: dt.date) -> None:
        sub = self.subscriptions["A"]
        if is_plan(sub.plan):  # monthly plans: three months' notice to a month end
            sub.cancel_on = last_of_month(add_months(today.replace(day=1), 3))
            return
        ends = sub.billed_through or today
        if sub.billed_through is not None:
            begun_later = [doc.first for doc in sub.documents
                           if doc.kind == "invoice" and doc.first > today]
            if begun_later:
                ends = min(ends, min(begun_later) - ONE)
            self.credit_after(sub, ends, today)
            sub.billed_through = ends
        sub.cancel_on = ends

    def credit_after(self, sub: Subscription, ends: dt.date, today: dt.date) -> None:
        for doc in list(sub.documents):
            if doc.kind != "invoice" or doc.last is None or doc.last <= ends:
                continue
            lines, gross = [], 0
            for index, line in enumerate(doc.lines):
                if index in doc.credited or line.amount <= 0 or line.last <= ends:
                    continue
                kept = 0 if line.first > ends else cost(line.quantity * line.unit, line.first,
                                                        ends)
                amount = line.amount - kept
                if amount > 0:
                    gross += amount
                    doc.credited.add(index)
                    lines.append(Line(max(line.first, ends + ONE), line.last, line.quantity,
                                      line.unit, -amount))
            for index, line in enumerate(doc.lines):
                if line.amount < 0 and line.discount_rate and gross and index not in doc.credited:
                    share = percent(gross, line.discount_rate)
                    doc.credited.add(index)
                    lines.append(Line(line.first, line.last, 1, share, share))
            if lines:
                net = sum(line.amount for line in lines)
                sub.documents.append(Document("credit_note", today, doc.first, doc.last, lines,
                                              net, percent(net, VAT)))

    def create_agreement(self, today: dt.date) -> None:
        a = self.subscriptions["A"]
        current = sorted(code for code, _first, removed in a.addons if removed is None)
        self.subscriptions["B"] = Subscription("B", a.plan, 0, a.interval,
                                               [[code, today, None] for code in current],
                                               [(today, a.plan)])
        self.company_agreement["B1"] = [(today, "B")]

    def move(self, company: str, today: dt.date) -> None:
        target = "A" if self.agreement_of(company, today) == "B" else "B"
        self.company_agreement[company].append((today, target))

    def grant(self, person: int, company: str, today: dt.date) -> None:
        self.access.setdefault(person, []).append([company, today, None])
        self.active.setdefault(person, True)

    def revoke(self, person: int, today: dt.date, company: str | None = None) -> None:
        for stretch in self.access[person]:
            if stretch[2] is None and (company is None or stretch[0] == company):
                stretch[2] = today - ONE

    def has_access(self, person: int, company: str) -> bool:
        return any(c == company and last is None for c, _first, last in self.access[person])
