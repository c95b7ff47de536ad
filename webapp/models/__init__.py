"""SQLAlchemy models, one module per area."""
from .accounts import (
                      AccessStretch,
                      Company,
                      CustomerAgreement,
                      Employee,
                      Membership,
                      User,
                      UserGroup,
)
from .billing import (
                      AvtaleGiroClaim,
                      AvtaleGiroFile,
                      AvtaleGiroMandate,
                      BilledPeriod,
                      DunningEvent,
                      Invoice,
                      InvoiceLine,
                      InvoiceSequence,
                      ParkedTransaction,
                      Payment,
                      PaymentImport,
                      SellerIdentity,
)
from .catalog import BillingInterval, CatalogItem, CatalogRevision, VolumeBand
from .licences import LicenceSubscription, PlanChange, QuantityChange, SubscriptionAddOn
from .orders import Order
from .partners import (
                      Assignment,
                      Collaboration,
                      CollaborationMember,
                      CompanyDraft,
                      CompanyMove,
                      PartnerClient,
)
from .sales import (
                      Customer,
                      Frequency,
                      Subscriber,
                      Subscription,
                      SubscriptionLine,
                      SubscriptionOccurrence,
)
from .support import SupportMessage, SupportRequest
from .system import (
                      ActionToken,
                      ClockSetting,
                      JobState,
                      OutboxMail,
                      SchedulerTick,
                      TermsAcceptance,
                      Throttle,
)

__all__ = [
    "AccessStretch", "ActionToken", "Assignment", "AvtaleGiroClaim", "AvtaleGiroFile",
    "AvtaleGiroMandate", "BilledPeriod", "BillingInterval", "CatalogItem", "CatalogRevision",
    "ClockSetting", "Collaboration", "CollaborationMember", "Company", "CompanyDraft",
    "CompanyMove", "Customer", "CustomerAgreement", "DunningEvent", "Employee", "Frequency",
    "Invoice", "InvoiceLine", "InvoiceSequence", "JobState", "LicenceSubscription",
    "Membership", "Order", "OutboxMail", "ParkedTransaction", "PartnerClient", "Payment",
    "PaymentImport", "PlanChange", "QuantityChange", "SchedulerTick", "SellerIdentity",
    "Subscriber", "Subscription", "SubscriptionAddOn", "SubscriptionLine",
    "SubscriptionOccurrence", "SupportMessage", "SupportRequest", "TermsAcceptance",
    "Throttle", "User", "UserGroup", "VolumeBand",
]
