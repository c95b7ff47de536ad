"""Partner collaboration (R-COLLAB-1…5): an accounting firm activates Kvitt Regnskap for a client
company, decides who pays and for how long; the client approves by e-mail link and only then
does the collaboration start and the billing follow."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask_babel import force_locale
from sqlalchemy import select

from .. import clock
from ..domain import usernames
from ..extensions import db
from ..models import (Assignment, Collaboration, Company, LicenceSubscription, Membership,
                      PartnerClient, User, UserGroup)
from . import catalog
from .accounts import (add_user, create_company, is_administrator, open_own_agreement,
                       send_welcome_mail)
from .billing import cancel_subscription, renewal_threshold
from .mail import queue_mail
from .tokens import TokenError, find_token, issue_token

APPROVAL_LIFETIME = dt.timedelta(days=14)
WELCOME_LIFETIME = dt.timedelta(days=14)
PERIOD_INTERVAL = {3: "quarterly", 12: "annual"}
OPEN = ("invited", "active")


class CollaborationError(Exception):
    """A refusal; `code` says which."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def variants() -> list:
    return sorted((item for item in catalog.price_list().items.values()
                   if item.kind == "variant"), key=lambda item: item.sort_order)


# --- the client list -----------------------------------------------------------------------

def add_client(partner: Company, now: dt.datetime, *, name: str, organisation_number: str,
               email: str, customer_number: str | None) -> PartnerClient:
    if db.session.scalar(select(PartnerClient.id).where(
            PartnerClient.partner_company_id == partner.id,
            PartnerClient.organisation_number == organisation_number)):
        raise CollaborationError("client_exists")
    client = PartnerClient(partner_company_id=partner.id, name=name.strip(),
                           organisation_number=organisation_number, email=email.strip(),
                           customer_number=(customer_number or "").strip() or None,
                           created_at=now)
    client_company(client)
    db.session.add(client)
    db.session.flush()
    return client


def add_assignment(client: PartnerClient, title: str, now: dt.datetime) -> Assignment:
    assignment = Assignment(client_id=client.id, title=title.strip(), created_at=now)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def clients(partner_id: int) -> list[PartnerClient]:
    return list(db.session.scalars(select(PartnerClient).where(
        PartnerClient.partner_company_id == partner_id).order_by(PartnerClient.name)))


def client_company(client: PartnerClient) -> Company | None:
    """The client's company in Kvitt, if it has one (found by organisation number)."""
    if client.company_id is None:
        client.company_id = db.session.scalar(select(Company.id).where(
            Company.organisation_number == client.organisation_number,
            Company.kind == "customer"))
    return client.company


def current_service(company: Company | None) -> LicenceSubscription | None:
    """The Kvitt Regnskap subscription the company works in today, whoever pays for it."""
    if company is None:
        return None
    usable = ("active", "trial", "suspended")
    own = db.session.scalar(select(LicenceSubscription).where(
        LicenceSubscription.agreement_id == company.agreement_id,
        LicenceSubscription.kind == "service", LicenceSubscription.status.in_(usable)))
    if own is not None:
        return own
    return db.session.scalar(
        select(LicenceSubscription).join(Collaboration,
                                          Collaboration.subscription_id == LicenceSubscription.id)
        .where(Collaboration.client_company_id == company.id, Collaboration.status == "active",
               LicenceSubscription.status.in_(usable)))


def scenario(client: PartnerClient) -> str:
    """R-COLLAB-2/3/4: which way activating goes for this client."""
    company = client_company(client)
    if company is None:
        return "new_client"
    return "existing" if current_service(company) is not None else "new_service"


def open_collaboration(partner_id: int, client_id: int) -> Collaboration | None:
    return db.session.scalar(select(Collaboration).where(
        Collaboration.partner_company_id == partner_id, Collaboration.client_id == client_id,
        Collaboration.status.in_(OPEN)))


# --- activating ----------------------------------------------------------------------------

def activate(partner: Company, client: PartnerClient, user: User, now: dt.datetime, *,
             assignment_id: int | None, variant: str | None = None,
             recipient: str | None = None, period_months: int | None = None,
             contact: dict | None = None) -> Collaboration:
    """Invite the client to a collaboration; the client approves by the e-mailed link."""
    assignment = db.session.get(Assignment, assignment_id) if assignment_id else None
    if assignment is None or assignment.client_id != client.id:
        raise CollaborationError("no_assignment")  # R-COLLAB-1
    if open_collaboration(partner.id, client.id) is not None:
        raise CollaborationError("already_open")
    kind = scenario(client)
    company = client_company(client)
    subscription = None
    if kind == "existing":
        # R-COLLAB-2: the current variant and agreement; the client keeps paying; no fee now.
        subscription = current_service(company)
        variant, recipient = subscription.plan_code, "client"
        months = catalog.price_list().intervals.get(subscription.billing_interval, (12, 0))[0]
        period_months = 3 if months == 3 else 12
    else:
        if variant not in {item.code for item in variants()}:
            raise CollaborationError("no_variant")
        if recipient not in ("client", "partner"):
            raise CollaborationError("no_recipient")
        if period_months not in PERIOD_INTERVAL:
            raise CollaborationError("no_period")
    if kind == "new_client":
        # R-COLLAB-4: the client company and its administrator (the mandatory contact).
        if not contact or not all(contact.get(k) for k in ("first_name", "last_name", "email")):
            raise CollaborationError("no_contact")
        company = _create_client_company(client, now, contact)
        recipients = [contact["email"]]
    else:
        # An existing company is asked through its own administrators, never through an
        # address the firm typed: only they can approve, after logging in.
        recipients = administrator_emails(company.id)
        if not recipients:
            raise CollaborationError("no_administrator")
    collaboration = Collaboration(
        partner_company_id=partner.id, client_id=client.id, client_company_id=company.id,
        assignment_id=assignment.id, scenario=kind, variant_code=variant,
        invoice_recipient=recipient, period_months=period_months, status="invited",
        invited_at=now, invited_by_user_id=user.id,
        subscription_id=subscription.id if subscription is not None else None)
    db.session.add(collaboration)
    db.session.flush()
    token = issue_token("approve", APPROVAL_LIFETIME, collaboration_id=collaboration.id)
    with force_locale("nb"):
        for address in recipients:
            queue_mail("collaboration_invitation", address, "collaboration_invitation.txt",
                       collaboration=collaboration, partner=partner, company=company,
                       variant=catalog.price_list().items[variant],
                       link=url_for("auth.approve_collaboration", token=token, _external=True),
                       expires_on=clock.local(now + APPROVAL_LIFETIME))
    db.session.flush()
    return collaboration


def administrator_emails(company_id: int) -> list[str]:
    """The e-mail addresses of the company's own active administrators."""
    return sorted(set(db.session.scalars(
        select(User.email).join(Membership, Membership.user_id == User.id)
        .join(UserGroup, UserGroup.id == Membership.user_group_id)
        .where(Membership.company_id == company_id, Membership.active, UserGroup.can_admin,
               User.active, User.email.is_not(None), User.email != ""))))


def may_approve(user: User, collaboration: Collaboration) -> bool:
    """Only an administrator of the client's company approves (R-COLLAB-5, seed 004)."""
    return user.is_authenticated and not user.is_operator and is_administrator(
        user, collaboration.client_company_id)


def _create_client_company(client: PartnerClient, now: dt.datetime, contact: dict) -> Company:
    if db.session.scalar(select(Company.id).where(
            Company.organisation_number == client.organisation_number)):
        raise CollaborationError("organisation_number_taken")
    company = create_company(now, name=client.name,
                             organisation_number=client.organisation_number,
                             contact_person=f"{contact['first_name']} {contact['last_name']}",
                             email=client.email, phone=contact.get("phone") or None)
    open_own_agreement(company, now, interval="annual", invoice_email=client.email)
    admin = add_user(company, now, first_name=contact["first_name"],
                     last_name=contact["last_name"], email=contact["email"],
                     username=usernames.suggest(contact["first_name"]),
                     group_key="administrators", is_superuser=True)
    client.company_id = company.id
    db.session.flush()
    with force_locale("nb"):
        send_welcome_mail(admin, company, WELCOME_LIFETIME)
    return company


# --- approving -----------------------------------------------------------------------------

def _invited(signed: str, *, for_update: bool = False):
    """(token, collaboration) behind an approval link still waiting for the client, or
    TokenError (tampered, used, expired, or the firm withdrew the invitation)."""
    token = find_token("approve", signed, for_update=for_update)
    collaboration = db.session.get(Collaboration, token.collaboration_id)
    if collaboration is None or collaboration.status != "invited":
        raise TokenError("used", token)
    return token, collaboration


def approval(signed: str) -> Collaboration:
    """The collaboration behind an approval link, for the client to read."""
    return _invited(signed)[1]


def approve(signed: str, now: dt.datetime) -> Collaboration:
    """R-COLLAB-5: the collaboration starts on approval, and the billing with it."""
    token, collaboration = _invited(signed, for_update=True)
    token.used_at = now
    collaboration.status, collaboration.approved_at = "active", now
    if collaboration.subscription_id is None:
        agreement_id = _recipient_agreement(collaboration, collaboration.invoice_recipient)
        subscription = LicenceSubscription(
            agreement_id=agreement_id, kind="service", plan_code=collaboration.variant_code,
            quantity=1, billing_interval=PERIOD_INTERVAL[collaboration.period_months],
            status="active", activated_on=clock.local(now).date(),
            label=collaboration.client_company.name, created_at=now)
        db.session.add(subscription)
        db.session.flush()
        collaboration.subscription_id = subscription.id
        collaboration.started_subscription = True
    partner_admin = collaboration.partner.email
    if partner_admin:
        with force_locale("nb"):
            queue_mail("collaboration_approved", partner_admin, "collaboration_approved.txt",
                       collaboration=collaboration)
    db.session.flush()
    return collaboration


def _recipient_agreement(collaboration: Collaboration, recipient: str) -> int:
    payer = collaboration.client_company if recipient == "client" else collaboration.partner
    return payer.agreement_id


# --- the partner's collaborations ----------------------------------------------------------

def collaborations(partner_id: int) -> list[Collaboration]:
    return list(db.session.scalars(select(Collaboration).where(
        Collaboration.partner_company_id == partner_id)
        .order_by(Collaboration.status, Collaboration.invited_at.desc())))


def change(collaboration: Collaboration, *, variant: str, recipient: str) -> None:
    """Another variant or invoice recipient, from the next renewal (R-COLLAB-5)."""
    if collaboration.status != "active":
        raise CollaborationError("not_active")
    if variant not in {item.code for item in variants()}:
        raise CollaborationError("no_variant")
    if recipient not in ("client", "partner"):
        raise CollaborationError("no_recipient")
    subscription = collaboration.subscription
    current_variant = subscription.plan_code if subscription else collaboration.variant_code
    collaboration.next_variant_code = None if variant == current_variant else variant
    if subscription is not None:
        subscription.next_plan_code = collaboration.next_variant_code
    collaboration.next_invoice_recipient = None \
        if recipient == collaboration.invoice_recipient else recipient
    db.session.flush()


def end(collaboration: Collaboration, now: dt.datetime) -> dt.date | None:
    """End (or withdraw) a collaboration. A service it started ends with the paid period; a
    service the client had before goes on. Returns the service's last day, if it ends."""
    if collaboration.status == "ended":
        raise CollaborationError("already_ended")
    collaboration.status, collaboration.ended_at = "ended", now
    collaboration.next_variant_code = collaboration.next_invoice_recipient = None
    subscription = collaboration.subscription
    last_day = None
    if collaboration.started_subscription and subscription is not None \
            and subscription.status == "active" and subscription.cancel_on is None:
        subscription.next_plan_code = None
        last_day = cancel_subscription(subscription, now)
    db.session.flush()
    return last_day


def apply_changes(now: dt.datetime) -> int:
    """Before the next period is invoiced, a changed invoice recipient takes over (the new
    variant is applied with the other plan changes)."""
    threshold = renewal_threshold(clock.local(now).date())
    due = db.session.scalars(
        select(Collaboration).join(LicenceSubscription,
                                   LicenceSubscription.id == Collaboration.subscription_id)
        .where(Collaboration.status == "active",
               (Collaboration.next_invoice_recipient.is_not(None))
               | (Collaboration.next_variant_code.is_not(None)),
               LicenceSubscription.billed_through < threshold)).all()
    for collaboration in due:
        subscription = collaboration.subscription
        if collaboration.next_invoice_recipient:
            recipient = collaboration.next_invoice_recipient
            subscription.agreement_id = _recipient_agreement(collaboration, recipient)
            collaboration.invoice_recipient, collaboration.next_invoice_recipient = \
                recipient, None
        if collaboration.next_variant_code:
            subscription.plan_code = collaboration.next_variant_code
            subscription.next_plan_code = None
            collaboration.variant_code, collaboration.next_variant_code = \
                collaboration.next_variant_code, None
    db.session.flush()
    return len(due)


# --- partner firms -------------------------------------------------------------------------

def register_partner(now: dt.datetime, *, company_name: str, organisation_number: str,
                     email: str, phone: str, first_name: str, last_name: str, edition: str,
                     interval: str, users: int, welcome: bool = True) -> tuple[Company, User]:
    """An operator registers an accounting firm: the partner company, its own agreement and
    licence (active from today), and its first administrator, who gets the login by e-mail."""
    if db.session.scalar(select(Company.id).where(
            Company.organisation_number == organisation_number)):
        raise CollaborationError("organisation_number_taken")
    company = create_company(now, kind="partner", name=company_name.strip(),
                             organisation_number=organisation_number,
                             contact_person=f"{first_name} {last_name}", email=email,
                             phone=phone)
    agreement = open_own_agreement(company, now, interval=interval, invoice_email=email)
    db.session.add(LicenceSubscription(
        agreement_id=agreement.id, plan_code=edition, quantity=users, billing_interval=interval,
        status="active", activated_on=clock.local(now).date(), created_at=now))
    admin = add_user(company, now, first_name=first_name, last_name=last_name, email=email,
                     username=usernames.suggest(first_name), group_key="administrators",
                     is_superuser=True)
    if welcome:
        with force_locale("nb"):
            send_welcome_mail(admin, company, WELCOME_LIFETIME)
    return company, admin
