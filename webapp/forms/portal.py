"""Customer portal forms: the company profile and users."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from . import KvittForm
from .shop import GROUP_CHOICES
from .validators import (
    bank_identifier,
    email_address,
    international_account,
    norwegian_bank_account,
    norwegian_organisation_number,
    norwegian_postal_code,
    peppol_participant,
    username_rules,
    username_warning,
)

REQUIRED = _l("This field is required.")


DELIVERY_CHOICES = [("email", _l("E-mail with PDF")), ("ehf", _l("EHF (Peppol)")),
                    ("both", _l("Both EHF and e-mail with PDF"))]


class BuyerDeliveryForm(KvittForm):
    """How a buyer receives its invoices: e-mail with PDF, EHF, or both (EHF needs an
    organisation number or a Peppol id)."""

    buyer_reference = StringField(_l("Buyer reference (optional)"), validators=[
        Optional(), Length(max=60)])
    peppol_id = StringField(_l("Peppol id (optional; 0192 + organisation number by default)"),
                            validators=[Optional(), Length(max=60), peppol_participant])
    delivery = SelectField(_l("Invoices are delivered by"), choices=DELIVERY_CHOICES,
                           default="email")

    def validate_delivery(self, field):
        if field.data != "email" and not (self.organisation_number.data or
                                          self.peppol_id.data):
            raise ValidationError(_l("EHF needs the organisation number (or a Peppol id)."))


class CompanyProfileForm(BuyerDeliveryForm):
    name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation_number = StringField(_l("Organisation number"), validators=[
        Optional(), Length(max=11), norwegian_organisation_number])
    vat_registered = BooleanField(_l("Registered for VAT (MVA)"))
    business_register = BooleanField(_l("Registered in Foretaksregisteret"))
    address_line = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), norwegian_postal_code])
    bank_account = StringField(_l("Bank account number"), validators=[
        Optional(), Length(max=14), norwegian_bank_account])
    iban = StringField(_l("IBAN (optional)"), validators=[Optional(), Length(max=42),
                                                          international_account])
    bic = StringField(_l("BIC (optional)"), validators=[Optional(), Length(max=11),
                                                        bank_identifier])
    invoice_email = StringField(_l("Invoice e-mail (sender of your invoices)"), validators=[
        Optional(), Length(max=320), email_address])
    payment_terms = TextAreaField(_l("Payment terms text (optional)"), validators=[
        Optional(), Length(max=300)])


class EditUserForm(KvittForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), username_rules])

    @property
    def username_warning(self):
        return username_warning(self.username.data)


class NewUserForm(EditUserForm):
    user_group = SelectField(_l("User group"), choices=GROUP_CHOICES)


class LicenceForm(KvittForm):
    """R-PLAN-6: the number of licences the customer buys."""

    licences = IntegerField(_l("Licences"), validators=[
        InputRequired(_l("Write the number of licences.")),
        NumberRange(min=1, max=9999, message=_l("Between 1 and 9999 licences."))])


SUPPORT_CATEGORIES = ["users", "trial", "addons", "quote", "error", "other"]


class SupportForm(KvittForm):
    """R-SUPPORT-1: a request from the portal."""

    category = SelectField(_l("What is it about?"), validators=[
        InputRequired(_l("Choose what it is about."))], validate_choice=False)
    text = TextAreaField(_l("Your message"), validators=[
        DataRequired(_l("Write what you need, so we can help.")), Length(max=5000)])
    page = StringField(validators=[Optional(), Length(max=300)])

    def __init__(self, *args, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("Choose"))] + [
            (key, labels(key) if labels else key) for key in SUPPORT_CATEGORIES]

    def validate_category(self, field):
        if field.data not in SUPPORT_CATEGORIES:
            raise ValidationError(_l("Choose what it is about."))


class SupportReplyForm(KvittForm):
    text = TextAreaField(_l("Message"), validators=[
        DataRequired(_l("Write a message.")), Length(max=5000)])


class ContactForm(KvittForm):
    """R-PLAN-6: the main contact and where Kvitt's invoices go."""

    contact_id = SelectField(_l("Main contact"), coerce=int, validate_choice=False)
    invoice_email = StringField(_l("Invoice e-mail (Kvitt's invoices to you)"), validators=[
        DataRequired(REQUIRED), Length(max=320), email_address])
    address_line = StringField(_l("Invoice address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), norwegian_postal_code])

    def __init__(self, *args, administrators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id.choices = [(user.id, f"{user.full_name} ({user.email})")
                                   for user in administrators]

    def validate_contact_id(self, field):
        if field.data not in {value for value, _ in field.choices}:
            raise ValidationError(_l("Choose one of the company's administrators."))
