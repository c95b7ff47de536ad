"""Operator forms for payments, bank files, credit notes and the dunning dialogue."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..services.payments import PaymentError, parse_amount

REQUIRED = _l("This field is required.")


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount (NOK)"), validators=[DataRequired(REQUIRED),
                                                         Length(max=20)])
    paid_on = DateField(_l("Payment date"), validators=[
        DataRequired(_l("Write the date like 2026-05-05."))])
    kid = StringField(_l("KID"), validators=[Optional(), Length(max=25)])

    def validate_amount(self, field):
        try:
            self.amount_ore = parse_amount(field.data)
        except PaymentError as error:
            raise ValidationError(str(error)) from None


class CreditForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the credit note"), validators=[
        DataRequired(REQUIRED), Length(max=500)])


class ImportForm(FlaskForm):
    file = FileField(_l("Bank file (CSV: date;kid;amount;reference)"), validators=[
        FileRequired(_l("Choose a file.")), FileAllowed(["csv", "txt"], _l("A CSV file."))])


class MatchForm(FlaskForm):
    invoice_number = IntegerField(_l("Invoice number"), validators=[
        DataRequired(_l("Write the invoice number.")), NumberRange(min=1)])


class EnterpriseTermsForm(FlaskForm):
    customer_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    monthly_price = StringField(_l("Price per month (NOK, excl. VAT)"), validators=[
        DataRequired(REQUIRED), Length(max=20)])
    licences = IntegerField(_l("Licences included"), validators=[
        DataRequired(REQUIRED), NumberRange(min=1, max=100000)])

    def validate_monthly_price(self, field):
        try:
            self.monthly_ore = parse_amount(field.data)
        except PaymentError as error:
            raise ValidationError(str(error)) from None
