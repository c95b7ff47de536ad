"""Customer agreements (R-AGR-1…4): the agreements an owner manages, their companies and
licences, the new-company wizard, moves between agreements, access for users and the
re-invoicing basis."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import clock
from ..domain import billing as rules
from ..domain import usernames
from ..domain.money import percent_of
from ..domain.refusals import Refusal
from ..domain.statuses import LICENCE_IN_FORCE, LICENCE_OPEN, LicenceStatus, move
from ..extensions import db
from ..mail import queue_mail
from ..models import (
    Company,
    CompanyDraft,
    CompanyMove,
    CustomerAgreement,
    Employee,
    Invoice,
    LicenceSubscription,
    Membership,
    SubscriptionAddOn,
    User,
    UserGroup,
)
from . import catalog
from .accounts import close_access, create_company, open_access, send_welcome_mail
from .billing import (
    active_addons,
    agreement_licence,
    agreement_stays,
    excess_invoice_lines,
    excess_price,
    subscription_tariff,
    terms_of,
    user_spans_by_user,
)
from .export import workbook

INVITATION_LINK_LIFETIME = dt.timedelta(days=14)


class AgreementError(Refusal):
    """A refusal of an agreement, company move or access change."""

    fields = {"customer_number_taken": "customer_number"}

    messages = {
        "customer_number_taken": lambda: _("Another of your agreements has this customer number."),
        "no_licence": lambda: _("Your own licence must be active before you create agreements."),
        "not_empty": lambda: _("The agreement holds companies and cannot be deleted. Move or "
                               "remove its companies first."),
        "other_owner": lambda: _("A company can only be moved to one of your own agreements."),
        "same_agreement": lambda: _("The company is already in this agreement."),
        "has_access": lambda: _("This person already has access to the company."),
        "own_access": lambda: _("You cannot remove your own access."),
        "no_access": lambda: _("The access was already removed."),
        "unknown_group": lambda: _("Choose one of the company's user groups."),
        "organisation_number_taken": lambda: _("A company with this organisation number is already "
                                               "registered in Kvitt."),
        "draft_done": lambda: _("This company has already been created."),
    }


# --- what the owner sees -------------------------------------------------------------------

def owned_agreements(owner_id: int) -> list[CustomerAgreement]:
    return list(db.session.scalars(owned_agreements_query(owner_id)))


def users_in_use(agreement_id: int | None) -> int:
    """R-AGR-1: the distinct active users of one agreement (0 without one)."""
    return licence_counts([agreement_id]).get(agreement_id, 0) if agreement_id else 0


def licence_counts(agreement_ids: list[int]) -> dict[int, int]:
    """R-AGR-1: distinct active users with access to any company of each agreement."""
    if not agreement_ids:
        return {}
    rows = db.session.execute(
        select(Company.agreement_id, func.count(func.distinct(User.id)))
        .join(Membership, Membership.company_id == Company.id)
        .join(User, User.id == Membership.user_id)
        .where(Company.agreement_id.in_(agreement_ids), User.active, Membership.active)
        .group_by(Company.agreement_id)).all()
    return {agreement_id: count for agreement_id, count in rows if agreement_id is not None}


def licence_subscription(agreement_id: int) -> LicenceSubscription | None:
    """The agreement's licence subscription while it is in use (billed)."""
    found = agreement_licence(agreement_id)
    return found if found is not None and found.status in LICENCE_IN_FORCE else None


def monthly_cost(subscription: LicenceSubscription | None, users: int) -> int:
    """What the agreement costs a month as things stand (øre, excl. VAT): the licences paid
    for, every user beyond them at the price of one more, less the interval discount."""
    if subscription is None:
        return 0
    rate = subscription_tariff(subscription)
    gross = sum(c.monthly_ore for c in rate.components) + excess_price(
        subscription.plan_code, subscription.quantity, users, active_addons(subscription))[1]
    return gross - percent_of(gross, rate.discount_percent)


@dataclass
class AgreementSummary:
    agreement: CustomerAgreement
    companies: list[Company]
    licences: int
    monthly_ore: int
    drafts: list[CompanyDraft] = field(default_factory=list)


def owned_agreements_query(owner_id: int):
    """The owner's agreements by name, their companies loaded with them; a query to page."""
    from sqlalchemy.orm import selectinload

    return select(CustomerAgreement).where(
        CustomerAgreement.owner_company_id == owner_id,
        CustomerAgreement.deleted_at.is_(None)).options(
        selectinload(CustomerAgreement.companies)).order_by(CustomerAgreement.name,
                                                           CustomerAgreement.id)


def summaries(agreements: list[CustomerAgreement]) -> list[AgreementSummary]:
    """The agreements with companies, licences and cost: a fixed number of queries however
    many agreements there are."""
    from sqlalchemy.orm import selectinload

    ids = [a.id for a in agreements]
    counts = licence_counts(ids)
    drafts: dict[int, list[CompanyDraft]] = {}
    for draft in db.session.scalars(select(CompanyDraft).where(
            CompanyDraft.agreement_id.in_(ids), CompanyDraft.company_id.is_(None))
            .order_by(CompanyDraft.id)):
        drafts.setdefault(draft.agreement_id, []).append(draft)
    latest: dict[int | None, LicenceSubscription] = {}
    for subscription in db.session.scalars(
            select(LicenceSubscription).where(LicenceSubscription.agreement_id.in_(ids),
                                              LicenceSubscription.kind == "licence")
            .options(selectinload(LicenceSubscription.addons))
            .order_by(LicenceSubscription.id)):
        latest[subscription.agreement_id] = subscription  # the newest one counts
    result = []
    for agreement in agreements:
        used = counts.get(agreement.id, 0)
        licence = latest.get(agreement.id)
        in_use = licence if licence is not None and licence.status in LICENCE_IN_FORCE else None
        result.append(AgreementSummary(
            agreement, sorted(agreement.companies, key=lambda c: c.name.lower()), used,
            monthly_cost(in_use, used), drafts.get(agreement.id, [])))
    return result


def moves_of(agreement_ids, limit: int | None = None) -> list[CompanyMove]:
    """Moves from or to the agreements (ids, or a query of ids), newest first."""
    return list(db.session.scalars(
        select(CompanyMove).where(CompanyMove.from_agreement_id.in_(agreement_ids)
                                  | CompanyMove.to_agreement_id.in_(agreement_ids))
        .order_by(CompanyMove.moved_at.desc(), CompanyMove.id.desc()).limit(limit)))


def owner_agreement_ids(owner_id: int):
    """The ids of the owner's agreements (not deleted), as a query."""
    return select(CustomerAgreement.id).where(CustomerAgreement.owner_company_id == owner_id,
                                              CustomerAgreement.deleted_at.is_(None))


# --- creating and deleting ---------------------------------------------------------------

def create_agreement(owner: Company, now: dt.datetime, *, name: str,
                     customer_number: str | None) -> CustomerAgreement:
    """R-AGR-2: a new agreement of the owner, billed to the owner in the owner's edition and
    interval; its users are billed from the day they get access."""
    customer_number = (customer_number or "").strip() or None
    if customer_number and db.session.scalar(select(CustomerAgreement.id).where(
            CustomerAgreement.owner_company_id == owner.id,
            CustomerAgreement.customer_number == customer_number,
            CustomerAgreement.deleted_at.is_(None))):
        raise AgreementError("customer_number_taken")
    own = owner.agreement
    model = licence_subscription(own.id) if own is not None else None
    if own is None or model is None or model.is_trial:
        raise AgreementError("no_licence")
    agreement = CustomerAgreement(
        name=name.strip(), customer_number=customer_number, owner_company_id=owner.id,
        invoice_recipient_id=owner.id, invoice_email=own.invoice_email,
        invoice_address_line=own.invoice_address_line,
        invoice_postal_code=own.invoice_postal_code, invoice_city=own.invoice_city,
        billing_interval=model.billing_interval, created_at=now)
    db.session.add(agreement)
    db.session.flush()
    today = clock.local(now).date()
    subscription = LicenceSubscription(
        agreement_id=agreement.id, plan_code=model.plan_code, quantity=0,
        billing_interval=model.billing_interval, status=LicenceStatus.ACTIVE, activated_on=None,
        custom_monthly_ore=model.custom_monthly_ore, created_at=now)
    db.session.add(subscription)
    db.session.flush()
    for code in active_addons(model):
        db.session.add(SubscriptionAddOn(subscription_id=subscription.id, addon_code=code,
                                         added_on=today))
    db.session.flush()
    return agreement


def delete_agreement(agreement: CustomerAgreement, now: dt.datetime) -> None:
    """R-AGR-3: refused while the agreement holds companies; billing ends with it."""
    if agreement.companies:
        raise AgreementError("not_empty")
    today = clock.local(now).date()
    for subscription in db.session.scalars(select(LicenceSubscription).where(
            LicenceSubscription.agreement_id == agreement.id,
            LicenceSubscription.status.in_(LICENCE_OPEN))):
        move(subscription, LicenceStatus.CANCELLED)
        subscription.cancel_on = max(subscription.billed_through or today, today)
    for draft in db.session.scalars(select(CompanyDraft).where(
            CompanyDraft.agreement_id == agreement.id, CompanyDraft.company_id.is_(None))):
        db.session.delete(draft)
    agreement.deleted_at = now
    db.session.flush()


# --- the new-company wizard ----------------------------------------------------------------

WIZARD_STEPS = ("company", "address", "confirm")


def start_draft(agreement: CustomerAgreement, user: User, now: dt.datetime) -> CompanyDraft:
    draft = CompanyDraft(agreement_id=agreement.id, data={}, created_by_user_id=user.id,
                         created_at=now, updated_at=now)
    db.session.add(draft)
    db.session.flush()
    return draft


def save_draft(draft: CompanyDraft, values: dict, now: dt.datetime) -> None:
    """Keep what was typed, valid or not, so the wizard can be resumed later."""
    if draft.company_id is not None:
        raise AgreementError("draft_done")
    draft.data = {**(draft.data or {}), **values}
    draft.updated_at = now
    db.session.flush()


def complete_draft(draft: CompanyDraft, now: dt.datetime) -> Company:
    """Create the company in the draft's agreement (R-AGR-2)."""
    if draft.company_id is not None:
        raise AgreementError("draft_done")
    data = draft.data or {}
    number = data.get("organisation_number") or None
    if number and db.session.scalar(select(Company.id).where(
            Company.organisation_number == number)):
        raise AgreementError("organisation_number_taken")
    company = create_company(
        now, name=data["name"], organisation_number=number,
        contact_person=data.get("contact_person") or None, email=data.get("email") or None,
        phone=data.get("phone") or None, address_line=data.get("address_line") or None,
        postal_code=data.get("postal_code") or None, city=data.get("city") or None,
        agreement_id=draft.agreement_id)
    draft.company_id = company.id
    draft.updated_at = now
    db.session.flush()
    return company


# --- moving ------------------------------------------------------------------------------

def move_company(company: Company, target: CustomerAgreement | None, user: User,
                 now: dt.datetime, *, new_name: str | None = None,
                 new_customer_number: str | None = None) -> CompanyMove:
    """R-AGR-4: move a company to another agreement of the same owner, or to a new one created
    in the same step. Licences and invoices follow from today; the move is recorded."""
    source = company.agreement
    if source is None:
        raise AgreementError("no_agreement")
    if target is None:
        try:
            target = create_agreement(source.owner, now, name=new_name or company.name,
                                      customer_number=new_customer_number)
        except AgreementError as error:  # said of this call's own argument
            if error.code == "customer_number_taken":
                raise AgreementError(error.code, "new_customer_number") from error
            raise
    if target.owner_company_id != source.owner_company_id or target.deleted_at is not None:
        raise AgreementError("other_owner")
    if target.id == source.id:
        raise AgreementError("same_agreement")
    move = CompanyMove(company_id=company.id, from_agreement_id=source.id,
                       to_agreement_id=target.id, moved_on=clock.local(now).date(),
                       moved_at=now, moved_by_user_id=user.id)
    db.session.add(move)
    company.agreement_id = target.id
    db.session.flush()
    db.session.expire(source, ["companies"])
    db.session.expire(target, ["companies"])
    return move


# --- access ------------------------------------------------------------------------------

def _owner_scope(owner_id: int):
    """Companies whose users the owner manages: its own and those of its agreements."""
    return select(Company.id).join(CustomerAgreement, Company.agreement_id ==
                                   CustomerAgreement.id) \
        .where(CustomerAgreement.owner_company_id == owner_id)


def find_person(owner_id: int, email: str) -> User | None:
    """A user already known to the owner, by e-mail address (one person, one login)."""
    return db.session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower(), User.active,
                           User.company_id.in_(_owner_scope(owner_id))
                           | (User.company_id == owner_id))
        .order_by(User.id))


def invite_user(company: Company, inviter: User, now: dt.datetime, *, first_name: str,
                last_name: str, email: str, group_id: int) -> tuple[User, bool]:
    """Give a person access to a company in a user group; a new person gets a login and the
    invitation e-mail with a set-password link. Returns (user, new login?). R-AGR-1: the same
    person in several companies of an agreement is one licence."""
    group = db.session.get(UserGroup, group_id)
    if group is None or group.company_id != company.id:
        raise AgreementError("unknown_group")
    if company.agreement is None:  # moved out of its agreement meanwhile
        raise AgreementError("other_owner")
    owner_id = company.agreement.owner_company_id
    user = find_person(owner_id, email)
    today = clock.local(now).date()
    created = user is None
    if user is None:
        taken = set(db.session.scalars(select(User.username).where(
            User.company_id == company.id)))
        username = usernames.suggest(first_name, taken)
        user = User(company_id=company.id, username=username,
                    username_key=usernames.key(username), first_name=first_name.strip(),
                    last_name=last_name.strip(), email=email.strip(), created_at=now)
        db.session.add(user)
        db.session.flush()
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.company_id == company.id))
    if membership is not None and membership.active:
        raise AgreementError("has_access")
    if membership is None:
        db.session.add(Membership(user_id=user.id, company_id=company.id,
                                  user_group_id=group.id, granted_on=today))
    else:
        membership.active, membership.user_group_id = True, group.id
        membership.granted_on, membership.revoked_on = today, None
    open_access(user.id, company.id, today)
    if not db.session.scalar(select(Employee.id).where(Employee.company_id == company.id,
                                                       Employee.user_id == user.id)):
        db.session.add(Employee(company_id=company.id, user_id=user.id,
                                first_name=user.first_name, last_name=user.last_name,
                                email=user.email))
    db.session.flush()
    with force_locale("nb"):
        if created:
            send_welcome_mail(user, user.company, INVITATION_LINK_LIFETIME)
        else:
            from ..links import external

            queue_mail("access_granted", user.email, "access_granted.txt", user=user,
                       company=company, inviter=inviter,
                       login_link=external("auth.login"))
    return user, created


def remove_access(membership: Membership, by: User, now: dt.datetime) -> None:
    """The user no longer has access to the company (nor counts for it) from today."""
    if membership.user_id == by.id:
        raise AgreementError("own_access")
    if not membership.active:
        raise AgreementError("no_access")
    membership.active = False
    membership.revoked_on = clock.local(now).date()
    close_access(membership.user_id, membership.revoked_on, membership.company_id)
    db.session.flush()


def access_rows(company_ids: list[int]) -> list[tuple[Membership, User, UserGroup]]:
    if not company_ids:
        return []
    return list(db.session.execute(
        select(Membership, User, UserGroup)
        .join(User, User.id == Membership.user_id)
        .join(UserGroup, UserGroup.id == Membership.user_group_id)
        .where(Membership.company_id.in_(company_ids), Membership.active, User.active)
        .order_by(User.first_name, User.last_name, User.id)))


# --- the re-invoicing basis ----------------------------------------------------------------

@dataclass(frozen=True)
class BasisRow:
    """What one agreement cost in one month, for the owner to bill its client."""

    agreement_id: int
    customer_number: str | None
    name: str
    companies: str
    licences: int          # distinct users with access during the month
    user_days: int
    licence_ore: int
    transactions: int      # invoices sent from the agreement's companies
    transaction_ore: int

    @property
    def total_ore(self) -> int:
        return self.licence_ore + self.transaction_ore


def _licence_cost(subscription: LicenceSubscription | None, spans, month: rules.Period) -> int:
    if subscription is None:
        return 0
    rate = subscription_tariff(subscription)
    live = rules.Period(max(month.start, subscription.activated_on or month.start),
                        min(month.end, subscription.cancel_on or month.end))
    if live.start > live.end:
        return 0
    gross = rules.period_amount(sum(c.monthly_ore for c in rate.components), live)
    terms = terms_of([subscription])[subscription.id]
    gross += sum(line.amount_ore for line in excess_invoice_lines(terms, spans, live))
    return gross - percent_of(gross, rate.discount_percent)


def reinvoicing_basis(owner_id: int, month_start: dt.date) -> list[BasisRow]:
    """Per agreement of the owner: the month's licences (user-days, moves counted from their
    day) and transactions, with the customer number to bill."""
    month = rules.Period(month_start, rules.month_end(month_start))
    agreements = owned_agreements(owner_id)
    ids = [a.id for a in agreements]
    people = user_spans_by_user(ids) if ids else {}
    stays = agreement_stays(ids) if ids else {}
    transaction = catalog.price_list().items.get("transaction-invoice")
    unit = (transaction.price_ore or 0) if transaction is not None else 0
    sent: dict[int, int] = {}
    if stays:
        rows = db.session.execute(
            select(Invoice.seller_company_id, Invoice.invoice_date)
            .where(Invoice.seller_company_id.in_(list(stays)), Invoice.kind == "invoice",
                   Invoice.invoice_date.between(month.start, month.end)))
        for company_id, day in rows:
            for agreement_id, first, last in stays[company_id]:
                if agreement_id is not None and first <= day <= last:
                    sent[agreement_id] = sent.get(agreement_id, 0) + 1
    result = []
    for agreement in agreements:
        by_user = people.get(agreement.id, {})
        days, count = 0, 0
        for stretches in by_user.values():
            inside = [(max(a, month.start), min(b, month.end)) for a, b in stretches
                      if a <= month.end and b >= month.start]
            days += sum((b - a).days + 1 for a, b in inside)
            count += bool(inside)
        agreement_spans = [(a, None if b == dt.date.max else b)
                           for stretches in by_user.values() for a, b in stretches]
        count_sent = sent.get(agreement.id, 0)
        result.append(BasisRow(
            agreement.id, agreement.customer_number, agreement.name,
            ", ".join(sorted(c.name for c in agreement.companies)), count, days,
            _licence_cost(licence_subscription(agreement.id), agreement_spans, month),
            count_sent, count_sent * unit))
    return result


def basis_workbook(rows: list[BasisRow], month: dt.date) -> bytes:
    """The re-invoicing basis as an Excel sheet (amounts in NOK, excl. VAT)."""
    from decimal import Decimal

    from flask_babel import gettext as _

    def kroner(ore: int) -> Decimal:
        return Decimal(ore) / 100

    return workbook(
        _("Re-invoicing %(month)s", month=f"{month:%Y-%m}"),
        [_("Customer number"), _("Customer agreement"), _("Companies"), _("Licences"),
         _("User-days"), _("Licence cost (NOK)"), _("Transactions"),
         _("Transaction cost (NOK)"), _("Total (NOK)")],
        ([row.customer_number or "", row.name, row.companies, row.licences, row.user_days,
          kroner(row.licence_ore), row.transactions, kroner(row.transaction_ore),
          kroner(row.total_ore)] for row in rows))
