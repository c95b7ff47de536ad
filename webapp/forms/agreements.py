"""Forms of customer agreements, the new-company wizard, partners and collaborations."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from . import KvittForm
from .shop import GROUP_CHOICES, MultiCheckboxField
from .validators import (
    email_address,
    norwegian_organisation_number,
    norwegian_postal_code,
    phone_number,
)

REQUIRED = _l("This field is required.")


def customer_number_field():
    return StringField(
        _l("Customer number"),
        description=_l("The client's ledger number in your sales module, for re-invoicing."),
        validators=[Optional(), Length(max=30)])


class AgreementForm(KvittForm):
    name = StringField(_l("Name of the agreement"), validators=[DataRequired(REQUIRED),
                                                                Length(max=120)])
    customer_number = customer_number_field()


class DraftCompanyForm(KvittForm):
    """Step 1 of the new-company wizard."""

    name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation_number = StringField(_l("Organisation number"), validators=[
        Optional(), Length(max=11), norwegian_organisation_number])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    email = StringField(_l("E-mail address"), validators=[Optional(), Length(max=320),
                                                          email_address])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), phone_number])


class DraftAddressForm(KvittForm):
    """Step 2 of the new-company wizard."""

    address_line = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), norwegian_postal_code])


class MoveForm(KvittForm):
    """R-AGR-4: to an existing agreement, or to a new one made in the same step."""

    target = RadioField(_l("Move to"), validators=[InputRequired(_l("Choose where to move the "
                                                                   "company."))])
    new_name = StringField(_l("Name of the new agreement"), validators=[Length(max=120)])
    new_customer_number = customer_number_field()

    def __init__(self, *args, agreements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = [(str(a.id), a.name) for a in agreements] + \
            [("new", _l("A new customer agreement"))]

    def validate_new_name(self, field):
        if self.target.data == "new" and not (field.data or "").strip():
            raise ValidationError(_l("Give the new agreement a name."))


class InviteForm(KvittForm):
    company_id = SelectField(_l("Company"), coerce=int)
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    user_group = SelectField(_l("User group"), choices=GROUP_CHOICES)

    def __init__(self, *args, companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.company_id.choices = [(c.id, c.name) for c in companies]


class ClientForm(KvittForm):
    name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation_number = StringField(_l("Organisation number"), validators=[
        DataRequired(REQUIRED), Length(max=11), norwegian_organisation_number])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    customer_number = customer_number_field()


class AssignmentForm(KvittForm):
    title = StringField(_l("Assignment"), validators=[DataRequired(REQUIRED), Length(max=120)])


RECIPIENT_CHOICES = [("client", _l("The client")), ("partner", _l("Our firm"))]
PERIOD_CHOICES = [("12", _l("12 months")), ("3", _l("3 months"))]


def _variant_choices(variants, locale):
    return [(v.code, f"Kvitt Regnskap {v.name(locale)}") for v in variants]


class ActivateForm(KvittForm):
    """R-COLLAB-1…4: what the firm chooses when it activates a collaboration."""

    assignment_id = SelectField(_l("Assignment"), coerce=int, validators=[
        InputRequired(_l("Choose an assignment; without one a collaboration cannot be "
                         "activated."))])
    # Not asked when the client already subscribes (R-COLLAB-2): checked below instead.
    variant = RadioField(_l("Variant"), validate_choice=False)
    invoice_recipient = RadioField(_l("Invoice recipient"), choices=RECIPIENT_CHOICES,
                                   validate_choice=False)
    period = RadioField(_l("Agreement period"), choices=PERIOD_CHOICES, validate_choice=False)
    contact_first_name = StringField(_l("First name"), validators=[Length(max=80)])
    contact_last_name = StringField(_l("Last name"), validators=[Length(max=80)])
    contact_email = StringField(_l("E-mail address"), validators=[Length(max=320)])
    contact_phone = StringField(_l("Phone (optional)"), validators=[Length(max=30)])
    # Seed 004: who of the firm works in the client's company, and in which of its groups.
    members = MultiCheckboxField(_l("Your users who work in the client's company"), coerce=int,
                                 validate_choice=False)
    access_group = SelectField(_l("Their user group at the client"), validate_choice=False)

    def __init__(self, *args, scenario="new_service", assignments=(), variants=(), locale="nb",
                 users=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.scenario = scenario
        self.assignment_id.choices = [(0, _l("Choose an assignment"))] + \
            [(a.id, a.title) for a in assignments]
        self.variant.choices = _variant_choices(variants, locale)
        self.members.choices = [(user.id, user.full_name) for user in users]
        self.access_group.choices = list(groups)

    def validate_members(self, field):
        if not field.data or not set(field.data) <= {v for v, _ in field.choices}:
            raise ValidationError(_l("Choose at least one of your users."))

    def validate_access_group(self, field):
        if field.data not in {v for v, _ in field.choices}:
            raise ValidationError(_l("Choose a user group."))

    def validate_assignment_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose an assignment; without one a collaboration cannot "
                                     "be activated."))

    def _needed(self, field, message):
        if self.scenario != "existing" and field.data not in {v for v, _ in field.choices}:
            raise ValidationError(message)

    def validate_variant(self, field):
        self._needed(field, _l("Choose a variant."))

    def validate_invoice_recipient(self, field):
        self._needed(field, _l("Choose who pays for the service."))

    def validate_period(self, field):
        self._needed(field, _l("Choose an agreement period."))

    def _contact(self, field, message):
        if self.scenario == "new_client" and not (field.data or "").strip():
            raise ValidationError(message)

    def validate_contact_first_name(self, field):
        self._contact(field, REQUIRED)

    def validate_contact_last_name(self, field):
        self._contact(field, REQUIRED)

    def validate_contact_email(self, field):
        self._contact(field, REQUIRED)
        if self.scenario == "new_client":
            email_address(self, field)

    def validate_contact_phone(self, field):
        if self.scenario == "new_client" and field.data:
            phone_number(self, field)


class ChangeCollaborationForm(KvittForm):
    variant = RadioField(_l("Variant"), validators=[InputRequired(_l("Choose a variant."))])
    invoice_recipient = RadioField(_l("Invoice recipient"), choices=RECIPIENT_CHOICES,
                                   validators=[InputRequired(_l("Choose who pays."))])

    def __init__(self, *args, variants=(), locale="nb", **kwargs):
        super().__init__(*args, **kwargs)
        self.variant.choices = _variant_choices(variants, locale)


class PartnerRegistrationForm(KvittForm):
    """An operator registers an accounting firm with its first administrator."""

    company_name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED),
                                                               Length(max=120)])
    organisation_number = StringField(_l("Organisation number"), validators=[
        DataRequired(REQUIRED), Length(max=11), norwegian_organisation_number])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    phone = StringField(_l("Phone"), validators=[DataRequired(REQUIRED), Length(max=30),
                                                 phone_number])
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    edition = SelectField(_l("Edition"))
    billing_interval = SelectField(_l("Billing interval"))
    users = IntegerField(_l("Number of users"), default=1, validators=[
        InputRequired(REQUIRED)])

    def __init__(self, *args, editions=(), intervals=(), locale="nb", **kwargs):
        super().__init__(*args, **kwargs)
        self.edition.choices = [(e.code, e.name(locale)) for e in editions]
        from ..templating import interval_label

        self.billing_interval.choices = [(i.code, interval_label(i.code)) for i in intervals]

    def validate_users(self, field):
        if field.data is None or not 1 <= field.data <= 9999:
            raise ValidationError(_l("Between 1 and 9999 users."))


class ApproveCollaborationForm(KvittForm):
    accept = BooleanField(_l("I accept the terms of the collaboration"))

    def validate_accept(self, field):
        if not field.data:
            raise ValidationError(_l("Accept the terms to approve the collaboration."))
