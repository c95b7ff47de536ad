"""Web-shop forms: the four steps and activation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain import usernames
from ..domain.postal import city_for
from . import KvittForm
from .validators import (
    email_address,
    norwegian_organisation_number,
    norwegian_postal_code,
    phone_number,
    username_rules,
    username_warning,
)

MAX_USERS = 9999
REQUIRED = _l("This field is required.")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProductForm(KvittForm):
    mode = RadioField(_l("What do you want?"), choices=[
        ("buy", _l("Buy")), ("trial", _l("Try free for 30 days"))], default="buy",
        validators=[InputRequired(REQUIRED)])
    product = RadioField(_l("Product"), validators=[InputRequired(REQUIRED)])
    users = IntegerField(_l("Number of users"), default=1, validators=[
        InputRequired(_l("Enter the number of users.")),
        NumberRange(min=1, max=MAX_USERS, message=_l("Between 1 and %(max)s users.",
                                                     max=MAX_USERS))])
    addons = MultiCheckboxField(_l("Add-ons"), validate_choice=False)

    def __init__(self, *args, editions=(), plans=(), addons=(), locale="nb",
                 may_buy_addons_only=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.product.choices = [(e.code, e.name(locale)) for e in editions]
        self.product.choices += [(p.code, p.name(locale)) for p in plans]
        self.product.choices.append(("none", _l("None (add-ons for an existing customer)")))
        self.addons.choices = [(a.code, a.name(locale)) for a in addons]
        self.may_buy_addons_only = may_buy_addons_only
        self.plans = {p.code: p for p in plans}

    def validate_product(self, field):
        if field.data == "none":
            if not self.may_buy_addons_only:
                raise ValidationError(_l("Log in as an administrator of your company to buy "
                                         "add-ons only."))
            if self.mode.data == "trial":
                raise ValidationError(_l("A trial needs an edition."))
        if field.data in self.plans and self.mode.data == "trial":
            raise ValidationError(_l("The free trial is for Kvitt Office. Kvitt eFaktura Free "
                                     "costs nothing: choose Buy to start with it."))

    def validate_users(self, field):
        """R-PLAN-1: Free includes one user; more users need Basic first."""
        plan = self.plans.get(self.product.data)
        if plan is not None and not plan.price_ore and (field.data or 0) > \
                (plan.included_licences or 1):
            raise ValidationError(_l("Kvitt eFaktura Free includes one user. Choose Basic for "
                                     "more users."))

    def validate_addons(self, field):
        known = {code for code, _label in self.addons.choices}
        if any(code not in known for code in field.data or []):
            raise ValidationError(_l("Choose add-ons from the list."))
        if self.product.data == "none" and not field.data:
            raise ValidationError(_l("Choose at least one add-on."))
        if self.product.data in self.plans and field.data:
            raise ValidationError(_l("Add-ons belong to Kvitt Office; Kvitt eFaktura has "
                                     "none."))


class ContactForm(KvittForm):
    """Who a company is and how to reach it: the shop's company step, a quote request."""

    company_name = StringField(_l("Company name"), validators=[
        DataRequired(REQUIRED), Length(max=120)])
    contact_person = StringField(_l("Contact person"), validators=[
        DataRequired(REQUIRED), Length(max=120)])
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(REQUIRED), Length(max=320), email_address])
    phone = StringField(_l("Phone"), validators=[DataRequired(REQUIRED), Length(max=30),
                                                 phone_number])


class CompanyForm(ContactForm):
    organisation_number = StringField(
        _l("Organisation number (optional for sole traders; needed for EHF invoices)"),
        validators=[Optional(), Length(max=11), norwegian_organisation_number])
    billing_interval = RadioField(_l("Billing interval"), validators=[
        InputRequired(_l("Choose a billing interval."))])
    employee_count = IntegerField(_l("Number of employees (optional)"), validators=[
        Optional(), NumberRange(min=1, max=1_000_000)])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(),
                                                                  Length(max=1000)])
    # An accounting firm signs up as a partner: it gets customer agreements for its clients.
    is_partner = BooleanField(_l("We are an accounting firm and sign up as a partner"))

    def __init__(self, *args, intervals=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"annual": _l("Annual (10 % discount)"),
                  "semiannual": _l("Semi-annual (5 % discount)"),
                  "quarterly": _l("Quarterly (no discount)"),
                  "monthly": _l("Monthly, with 3 months' notice")}
        self.billing_interval.choices = [(i.code, labels.get(i.code, i.code)) for i in intervals]

    def validate_organisation_number(self, field):
        """R-PLAN-4: a number already registered is explained, never an error page."""
        from sqlalchemy import select

        from ..extensions import db
        from ..models import Company

        if field.data and db.session.scalar(select(Company.id).where(
                Company.organisation_number == field.data)):
            raise ValidationError(_l("This organisation number is already registered in "
                                     "Kvitt. Log in to order more, or ask support to move it "
                                     "to this account."))


GROUP_CHOICES = [("administrators", _l("Administrators")), ("privileged", _l("Privileged users")),
                 ("users", _l("Users")), ("guests", _l("Guests"))]


class UserRowForm(Form):
    class Meta:
        def get_translations(self, form):
            return flask_wtf_translations  # WTForms' own messages in the request's language

    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED), Length(max=320),
                                                          email_address])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), username_rules])
    user_group = SelectField(_l("User group"), choices=GROUP_CHOICES,
                             validators=[InputRequired(REQUIRED)])

    @property
    def username_warning(self):
        return username_warning(self.username.data)


class UsersForm(KvittForm):
    users = FieldList(FormField(UserRowForm), min_entries=0, max_entries=MAX_USERS)

    def __init__(self, *args, licensed_users=MAX_USERS, **kwargs):
        super().__init__(*args, **kwargs)
        self.licensed_users = licensed_users
        self.form_errors_list: list[str] = []

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        rows = [entry.form for entry in self.users.entries]
        seen: dict[str, int] = {}
        for row in rows:
            name_key = usernames.key(row.username.data)
            if not name_key:
                continue
            if name_key in seen:
                row.username.errors = list(row.username.errors) + [
                    _l("Username already used by another user in this order.")]
                valid = False
            seen.setdefault(name_key, 1)
        if not any(row.user_group.data == "administrators" for row in rows):
            self.form_errors_list.append(
                _l("Register at least one user in the group Administrators."))
            valid = False
        if len(rows) > self.licensed_users:
            self.form_errors_list.append(_l(
                "You have registered %(count)s users but ordered %(licensed)s. Remove users or "
                "go back and order more.", count=len(rows), licensed=self.licensed_users))
            valid = False
        return valid


class TermsForm(KvittForm):
    accept = BooleanField(_l("I accept the terms of the licence agreement"), validators=[
        DataRequired(_l("You must accept the terms of the licence agreement to order."))])


class ActivationForm(KvittForm):
    address_line = StringField(_l("Invoice address"), validators=[DataRequired(REQUIRED),
                                                                  Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(REQUIRED),
                                                             norwegian_postal_code])
    city = StringField(_l("City"), render_kw={"readonly": True})

    def validate_city(self, field):
        field.data = city_for(self.postal_code.data or "") or ""


class BuyNowForm(KvittForm):
    """R-TRIAL-2: what is checked before a trial becomes a paying subscription."""

    edition = RadioField(_l("Edition"), validators=[InputRequired(REQUIRED)])
    billing_interval = RadioField(_l("Billing interval"), validators=[
        InputRequired(_l("Choose a billing interval."))])
    company_name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED),
                                                               Length(max=120)])
    contact_person = StringField(_l("Contact person"), validators=[DataRequired(REQUIRED),
                                                                   Length(max=120)])
    invoice_email = StringField(_l("Invoice e-mail"), validators=[
        DataRequired(REQUIRED), Length(max=320), email_address])
    address_line = StringField(_l("Invoice address"), validators=[DataRequired(REQUIRED),
                                                                  Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(REQUIRED),
                                                             norwegian_postal_code])
    city = StringField(_l("City"), render_kw={"readonly": True})

    def __init__(self, *args, editions=(), intervals=(), locale="nb", **kwargs):
        super().__init__(*args, **kwargs)
        self.edition.choices = [(e.code, e.name(locale)) for e in editions]
        labels = {"annual": _l("Annual (10 % discount)"),
                  "semiannual": _l("Semi-annual (5 % discount)"),
                  "quarterly": _l("Quarterly (no discount)"),
                  "monthly": _l("Monthly, with 3 months' notice")}
        self.billing_interval.choices = [(i.code, labels.get(i.code, i.code)) for i in intervals]


class QuoteRequestForm(ContactForm):
    """R-PLAN-5: integrated services (Kvitt eFaktura Enterprise) are sold by quote; anyone may
    ask, customer or not."""

    organisation_number = StringField(_l("Organisation number (optional)"), validators=[
        Optional(), Length(max=11), norwegian_organisation_number])
    text = TextAreaField(_l("What do you want to integrate?"), validators=[
        DataRequired(_l("Write what you need, so we can make a quote.")), Length(max=5000)])

