"""Operator forms for payments, bank files, credit notes and the dunning dialogue."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain.money import format_nok
from . import KvittForm
from .validators import amount_in_ore

REQUIRED = _l("This field is required.")


class PaymentForm(KvittForm):
    amount = StringField(_l("Amount (NOK)"), validators=[DataRequired(REQUIRED),
                                                         Length(max=20)])
    paid_on = DateField(_l("Payment date"), validators=[
        DataRequired(_l("Write the date like 2026-05-05."))])
    kid = StringField(_l("KID"), validators=[Optional(), Length(max=25)])

    def validate_amount(self, field):
        self.amount_ore = amount_in_ore(field)


class CreditForm(KvittForm):
    """R-DOC-3: credit every line left, chosen lines, or an amount, with a reason."""

    reason = TextAreaField(_l("Reason for the credit note"), validators=[
        DataRequired(REQUIRED), Length(max=500)])
    scope = RadioField(_l("Credit"), default="all", choices=[
        ("all", _l("Every line not yet credited")), ("lines", _l("Chosen lines")),
        ("amount", _l("An amount"))])
    lines = SelectMultipleField(_l("Lines to credit"), coerce=int,
                                option_widget=CheckboxInput(),
                                widget=ListWidget(prefix_label=False),
                                validate_choice=False)
    amount = StringField(_l("Amount excl. VAT (NOK)"), validators=[Optional(), Length(max=20)])
    vat_group = SelectField(_l("VAT rate of the amount"), validate_choice=False)

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.amount_ore = None
        if invoice is not None:
            locale = str(get_locale())
            self.lines.choices = [
                (line.id, f"{line.position}. {line.text(locale)} "
                          f"({format_nok(line.amount_ore, locale)})") for line in invoice.lines]
            groups = sorted({(line.vat_category, line.vat_percent) for line in invoice.lines},
                            key=lambda group: -group[1])
            self.vat_group.choices = [(f"{category}{percent}", f"{percent} %")
                                      for category, percent in groups]

    def validate_lines(self, field):
        if self.scope.data == "lines" and not field.data:
            raise ValidationError(_l("Choose the lines to credit."))

    def validate_amount(self, field):
        if self.scope.data != "amount":
            return
        if not field.data:
            raise ValidationError(_l("Enter the amount to credit."))
        self.amount_ore = amount_in_ore(field)

    def credit_arguments(self) -> dict:
        """The service's arguments for what the form chose."""
        if self.scope.data == "lines":
            return {"line_ids": list(self.lines.data)}
        if self.scope.data == "amount":
            group = self.vat_group.data or ""
            return {"amount_ore": self.amount_ore,
                    "vat_group": (group[:1], int(group[1:])) if group[1:].isdigit() else None}
        return {}


class ImportForm(KvittForm):
    file = FileField(_l("Bank file (OCR giro or camt.054)"), validators=[
        FileRequired(_l("Choose a file."))])


class MatchForm(KvittForm):
    invoice_number = IntegerField(_l("Invoice number"), validators=[
        DataRequired(_l("Write the invoice number.")), NumberRange(min=1)])


class EnterpriseTermsForm(KvittForm):
    login_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    monthly_price = StringField(_l("Price per month (NOK, excl. VAT)"), validators=[
        DataRequired(REQUIRED), Length(max=20)])
    licences = IntegerField(_l("Licences included"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=100000)])

    def validate_monthly_price(self, field):
        self.monthly_ore = amount_in_ore(field)


class MandateForm(KvittForm):
    """AvtaleGiro in the portal: the most one debit may take, and notice before each."""

    limit = StringField(_l("Largest amount per debit (NOK, optional)"),
                        validators=[Optional(), Length(max=20)])
    notify = BooleanField(_l("Send me the invoice before each debit"), default=True)
    limit_ore: int | None = None  # the limit in øre once validated; None when left empty

    def validate_limit(self, field):
        if field.data and field.data.strip():
            self.limit_ore = amount_in_ore(field)


class MandateRegistrationForm(KvittForm):
    """The operator registers a mandate the bank confirmed by letter or phone."""

    login_id = StringField(_l("Customer id"), validators=[
        DataRequired(REQUIRED), Length(max=12)])


class CloseAccountForm(KvittForm):
    """Seed 001: an operator closes the account of a bankrupt or dissolved company."""

    login_id = StringField(_l("Customer id"), validators=[
        DataRequired(_l("Write the customer id.")), Length(max=12)])
    reason = RadioField(_l("Why"), choices=[("bankrupt", _l("Bankrupt")),
                                            ("dissolved", _l("Dissolved")),
                                            ("other", _l("Other"))],
                        validators=[DataRequired(_l("Choose why."))])
    note = StringField(_l("Note (on the credit notes)"), validators=[Optional(), Length(max=120)])
    credit_open = BooleanField(_l("Credit the open invoices too (otherwise they stay for "
                                  "dunning and debt collection)"))
