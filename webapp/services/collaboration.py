"""Partner collaboration (R-COLLAB-1…5): an accounting firm activates Kvitt Regnskap for a client
company, decides who pays and for how long; the client approves by e-mail link and only then
does the collaboration start and the billing follow."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..domain import usernames
from ..domain.refusals import Refusal
from ..domain.statuses import LICENCE_IN_FORCE, CollaborationStatus, LicenceStatus, move
from ..extensions import db
from ..links import external
from ..mail import queue_mail
from ..models import (
    Assignment,
    Collaboration,
    CollaborationMember,
    Company,
    LicenceSubscription,
    Membership,
    PartnerClient,
    User,
    UserGroup,
)
from ..models.accounts import DEFAULT_GROUPS as DEFAULT_GROUP_KEYS
from . import catalog
from .accounts import (
    add_user,
    close_access,
    create_company,
    group_label,
    is_administrator,
    open_access,
    open_own_agreement,
    send_welcome_mail,
)
from .billing import cancel_subscription, renewal_threshold
from .tokens import TokenError, find_token, issue_token

APPROVAL_LIFETIME = dt.timedelta(days=14)
WELCOME_LIFETIME = dt.timedelta(days=14)
PERIOD_INTERVAL = {3: "quarterly", 12: "annual"}
OPEN = ("invited", "active")
# The version of the Kvitt Regnskap collaboration terms the client's administrator accepts.
TERMS_VERSION = "2026-11"
# The firm's users' default group: like seed 000's guest (reports), with the vouchers they
# book and the invoices they reconcile; no administration, no sales.
ACCOUNTANT_KEY = "accountant"
ACCOUNTANT_GROUP: dict[str, Any] = {"key": ACCOUNTANT_KEY, "name": "Regnskapsfører",
                                    "can_reports": True, "can_vouchers": True,
                                    "can_billing": True}


class CollaborationError(Refusal):
    """A refusal of a client, collaboration or partner change."""

    messages = {
        "client_exists": lambda: _("This client is already in your client list."),
        "no_assignment": lambda: _("Choose an assignment; without one a collaboration cannot be "
                                   "activated."),
        "already_open": lambda: _("There is already a collaboration with this client. Change or "
                                  "end it first."),
        "no_variant": lambda: _("Choose a variant."),
        "no_recipient": lambda: _("Choose who pays for the service."),
        "no_period": lambda: _("Choose an agreement period."),
        "no_contact": lambda: _("A new client needs a contact person who becomes its "
                                "administrator."),
        "organisation_number_taken": lambda: _("A company with this organisation number is already "
                                               "registered in Kvitt."),
        "no_administrator": lambda: _("The client's company has no administrator with an e-mail "
                                      "address to approve the collaboration; ask the client to "
                                      "add one."),
        "not_active": lambda: _("Only an active collaboration can be changed."),
        "already_ended": lambda: _("The collaboration has already ended."),
        "no_members": lambda: _("Choose at least one of your users."),
        "no_access_group": lambda: _("Choose a user group."),
    }
    # The activation form's fields (the contact's first name stands for the whole contact).
    fields = {"no_assignment": "assignment_id", "no_variant": "variant",
              "no_recipient": "invoice_recipient", "no_period": "period",
              "no_contact": "contact_first_name", "no_members": "members",
              "no_access_group": "access_group"}


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
    own = db.session.scalar(select(LicenceSubscription).where(
        LicenceSubscription.agreement_id == company.agreement_id,
        LicenceSubscription.kind == "service",
        LicenceSubscription.status.in_(LICENCE_IN_FORCE)))
    if own is not None:
        return own
    return db.session.scalar(
        select(LicenceSubscription).join(Collaboration,
                                          Collaboration.subscription_id == LicenceSubscription.id)
        .where(Collaboration.client_company_id == company.id,
               Collaboration.status == CollaborationStatus.ACTIVE,
               LicenceSubscription.status.in_(LICENCE_IN_FORCE)))


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

def firm_users(partner_id: int) -> list[User]:
    """The firm's own active users, who can be given work in a client's company."""
    return list(db.session.scalars(select(User).where(
        User.company_id == partner_id, User.active).order_by(User.first_name, User.last_name)))


def access_groups(company: Company | None) -> list[tuple[str, str]]:
    """(key, name) of the groups the firm's users may work in at the client: the dedicated
    accountant group first, then the client's own groups that do not administer."""
    choices = [(ACCOUNTANT_KEY, group_label(ACCOUNTANT_KEY))]
    if company is not None:
        choices += [(group.key, group_label(group.key) if group.key in DEFAULT_GROUP_KEYS
                     else group.name) for group in db.session.scalars(
            select(UserGroup).where(UserGroup.company_id == company.id,
                                    UserGroup.can_admin.is_(False),
                                    UserGroup.key != ACCOUNTANT_KEY)
            .order_by(UserGroup.id))]
    return choices


def access_group_name(collaboration: Collaboration) -> str:
    names = dict(access_groups(collaboration.client_company))
    key = collaboration.access_group_key
    return group_label(key) if key in DEFAULT_GROUP_KEYS else names.get(key, key)


def activate(partner: Company, client: PartnerClient, user: User, now: dt.datetime, *,
             assignment_id: int | None, variant: str | None = None,
             recipient: str | None = None, period_months: int | None = None,
             contact: dict | None = None, member_ids: list[int] | None = None,
             access_group: str = ACCOUNTANT_KEY) -> Collaboration:
    """Invite the client to a collaboration; the client approves by the e-mailed link. The
    firm's users in `member_ids` (default the one inviting) will work in the client's company
    in the client's group `access_group`."""
    assignment = db.session.get(Assignment, assignment_id) if assignment_id else None
    if assignment is None or assignment.client_id != client.id:
        raise CollaborationError("no_assignment")  # R-COLLAB-1
    members = [found for found in firm_users(partner.id)
               if found.id in set(member_ids if member_ids is not None else [user.id])]
    if not members:
        raise CollaborationError("no_members")
    if access_group not in {key for key, _ in access_groups(client_company(client))}:
        raise CollaborationError("no_access_group")
    if open_collaboration(partner.id, client.id) is not None:
        raise CollaborationError("already_open")
    kind = scenario(client)
    company = client_company(client)
    subscription = None
    if kind == "existing":
        # R-COLLAB-2: the current variant and agreement; the client keeps paying; no fee now.
        subscription = current_service(company)
        assert subscription is not None  # what makes the scenario "existing"
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
        assert company is not None  # the scenario is not "new_client"
        recipients = administrator_emails(company.id)
        if not recipients:
            raise CollaborationError("no_administrator")
    collaboration = Collaboration(
        partner_company_id=partner.id, client_id=client.id, client_company_id=company.id,
        assignment_id=assignment.id, scenario=kind, variant_code=variant,
        invoice_recipient=recipient, period_months=period_months,
        status=CollaborationStatus.INVITED,
        invited_at=now, invited_by_user_id=user.id, access_group_key=access_group,
        subscription_id=subscription.id if subscription is not None else None,
        members=[CollaborationMember(user_id=member.id) for member in members])
    db.session.add(collaboration)
    db.session.flush()
    token = issue_token("approve", APPROVAL_LIFETIME, collaboration_id=collaboration.id)
    with force_locale("nb"):
        for address in recipients:
            queue_mail("collaboration_invitation", address, "collaboration_invitation.txt",
                       collaboration=collaboration, partner=partner, company=company,
                       variant=catalog.price_list().items[collaboration.variant_code],
                       link=external("auth.approve_collaboration", token=token),
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
                     group_key="administrators", is_main_contact=True)
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
    if collaboration is None or collaboration.status != CollaborationStatus.INVITED:
        raise TokenError("used", token)
    return token, collaboration


def approval(signed: str) -> Collaboration:
    """The collaboration behind an approval link, for the client to read."""
    return _invited(signed)[1]


def approve(signed: str, user: User, now: dt.datetime, *, accepted_terms: bool) -> Collaboration:
    """R-COLLAB-5: the client's administrator accepts the terms and the collaboration starts,
    and the billing with it; R-COLLAB-6: the firm's users get access to the company."""
    token, collaboration = _invited(signed, for_update=True)
    if not may_approve(user, collaboration):
        raise CollaborationError("not_administrator")
    if not accepted_terms:
        raise CollaborationError("terms")
    token.used_at = now
    move(collaboration, CollaborationStatus.ACTIVE)
    collaboration.approved_at = now
    collaboration.approved_by_user_id, collaboration.terms_version = user.id, TERMS_VERSION
    _share_company(collaboration, clock.local(now).date())
    if collaboration.subscription_id is None:
        agreement_id = _recipient_agreement(collaboration, collaboration.invoice_recipient)
        subscription = LicenceSubscription(
            agreement_id=agreement_id, kind="service", plan_code=collaboration.variant_code,
            quantity=1, billing_interval=PERIOD_INTERVAL[collaboration.period_months],
            status=LicenceStatus.ACTIVE, activated_on=clock.local(now).date(),
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
    if collaboration.status != CollaborationStatus.ACTIVE:
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


def _access_group(collaboration: Collaboration) -> UserGroup:
    """The client's group the firm's users work in (the accountant group is made once)."""
    company_id = collaboration.client_company_id
    group = db.session.scalar(select(UserGroup).where(
        UserGroup.company_id == company_id, UserGroup.key == collaboration.access_group_key))
    if group is None or group.can_admin:
        group = db.session.scalar(select(UserGroup).where(
            UserGroup.company_id == company_id, UserGroup.key == ACCOUNTANT_KEY))
    if group is None:
        group = UserGroup(company_id=company_id, **ACCOUNTANT_GROUP)
        db.session.add(group)
        db.session.flush()
    return group


def _share_company(collaboration: Collaboration, today: dt.date) -> None:
    """R-COLLAB-6: the firm's users work in the client's company from today, counted as its
    users like anyone given access (R-BILL-6 rule 1)."""
    group = _access_group(collaboration)
    for member in collaboration.members:
        if not member.user.active:
            continue
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == member.user_id,
            Membership.company_id == collaboration.client_company_id))
        if membership is not None and membership.active:
            continue  # already there (another collaboration, or given by the client)
        if membership is None:
            db.session.add(Membership(user_id=member.user_id,
                                      company_id=collaboration.client_company_id,
                                      user_group_id=group.id, granted_on=today))
        else:
            membership.active, membership.user_group_id = True, group.id
            membership.granted_on, membership.revoked_on = today, None
        open_access(member.user_id, collaboration.client_company_id, today)


def _unshare_company(collaboration: Collaboration, today: dt.date) -> None:
    """The firm's users lose the client's company from today, unless another active
    collaboration of the same firm still gives it."""
    others = set(db.session.scalars(
        select(CollaborationMember.user_id).join(
            Collaboration, Collaboration.id == CollaborationMember.collaboration_id)
        .where(Collaboration.client_company_id == collaboration.client_company_id,
               Collaboration.status == CollaborationStatus.ACTIVE,
               Collaboration.id != collaboration.id)))
    for member in collaboration.members:
        if member.user_id in others:
            continue
        membership = db.session.scalar(select(Membership).where(
            Membership.user_id == member.user_id,
            Membership.company_id == collaboration.client_company_id, Membership.active))
        if membership is None:
            continue
        membership.active, membership.revoked_on = False, today
        # The next request of a user working there is back in its own company (the login
        # manager checks the access on every request).
        close_access(member.user_id, today, collaboration.client_company_id)


def client_collaborations(company_id: int) -> list[Collaboration]:
    """The collaborations a company is the client in, for its administrators (Admin)."""
    return list(db.session.scalars(select(Collaboration).where(
        Collaboration.client_company_id == company_id)
        .order_by(Collaboration.status, Collaboration.invited_at.desc())))


def end(collaboration: Collaboration, now: dt.datetime,
        by: User | None = None) -> dt.date | None:
    """End (or withdraw) a collaboration, by the firm or the client. The firm's users lose the
    client's company the same day. A service it started ends with the paid period; a service
    the client had before goes on. Returns the service's last day, if it ends."""
    if collaboration.status == CollaborationStatus.ENDED:
        raise CollaborationError("already_ended")
    if collaboration.status == CollaborationStatus.ACTIVE:
        _unshare_company(collaboration, clock.local(now).date())
    move(collaboration, CollaborationStatus.ENDED)
    collaboration.ended_at = now
    collaboration.ended_by_user_id = by.id if by is not None else None
    collaboration.next_variant_code = collaboration.next_invoice_recipient = None
    subscription = collaboration.subscription
    last_day = None
    if collaboration.started_subscription and subscription is not None \
            and subscription.status == LicenceStatus.ACTIVE and subscription.cancel_on is None:
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
        .where(Collaboration.status == CollaborationStatus.ACTIVE,
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
        status=LicenceStatus.ACTIVE, activated_on=clock.local(now).date(), created_at=now))
    admin = add_user(company, now, first_name=first_name, last_name=last_name, email=email,
                     username=usernames.suggest(first_name), group_key="administrators",
                     is_main_contact=True)
    if welcome:
        with force_locale("nb"):
            send_welcome_mail(admin, company, WELCOME_LIFETIME)
    return company, admin
