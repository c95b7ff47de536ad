"""SQLAlchemy models, one module per area."""
from .accounts import AccessStretch, Company, CustomerAgreement, Employee, Membership, User, UserGroup
from .billing import (AvtaleGiroClaim, AvtaleGiroFile, AvtaleGiroMandate, BilledPeriod,
                      DunningEvent, Invoice, InvoiceLine, InvoiceSequence, ParkedTransaction,
                      Payment, PaymentImport, SellerIdentity)
from .catalog import BillingInterval, CatalogItem, CatalogRevision, VolumeBand
from .sales import (Customer, Frequency, Subscriber, Subscription, SubscriptionLine,
                    SubscriptionOccurrence)
from .partners import (Assignment, Collaboration, CollaborationMember, CompanyDraft,
                       CompanyMove, PartnerClient)
from .orders import (LicenceSubscription, Order, PlanChange, QuantityChange,
                     SubscriptionAddOn)
from .support import SupportMessage, SupportRequest
from .system import (ActionToken, ClockSetting, JobState, OutboxMail, SchedulerTick,
                     TermsAcceptance, Throttle)

__all__ = [
    "AccessStretch", "PlanChange", "QuantityChange",
    "Assignment", "Collaboration", "CollaborationMember", "CompanyDraft", "CompanyMove", "PartnerClient",
    "ActionToken", "JobState", "SchedulerTick", "Customer", "Frequency", "Subscriber", "Subscription", "SubscriptionLine",
    "SubscriptionOccurrence", "BilledPeriod", "DunningEvent", "Invoice", "InvoiceLine", "InvoiceSequence",
    "AvtaleGiroClaim", "AvtaleGiroFile", "AvtaleGiroMandate", "ParkedTransaction", "Payment", "PaymentImport", "BillingInterval", "CatalogItem", "CatalogRevision", "ClockSetting", "Company",
    "CustomerAgreement", "Employee", "LicenceSubscription", "Membership", "Order", "OutboxMail",
    "SellerIdentity", "SubscriptionAddOn", "SupportMessage", "SupportRequest", "TermsAcceptance", "Throttle", "User", "UserGroup", "VolumeBand",
]
