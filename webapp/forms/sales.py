"""Forms for frequencies, the customer register and subscriptions."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.i18n import translations as flask_wtf_translations
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..domain.recurrence import Pattern, PatternError
from . import KvittForm
from .portal import BuyerDeliveryForm
from .shop import MultiCheckboxField
from .validators import (
    amount_in_ore,
    email_address,
    norwegian_organisation_number,
    norwegian_postal_code,
)

REQUIRED = _l("This field is required.")
WEEKDAYS = [(0, _l("Monday")), (1, _l("Tuesday")), (2, _l("Wednesday")), (3, _l("Thursday")),
            (4, _l("Friday")), (5, _l("Saturday")), (6, _l("Sunday"))]
MONTHS = [(1, _l("January")), (2, _l("February")), (3, _l("March")), (4, _l("April")),
          (5, _l("May")), (6, _l("June")), (7, _l("July")), (8, _l("August")),
          (9, _l("September")), (10, _l("October")), (11, _l("November")),
          (12, _l("December"))]
ORDINALS = [(1, _l("first")), (2, _l("second")), (3, _l("third")), (4, _l("fourth")),
            (-1, _l("last"))]
PATTERN_MESSAGES = {
    ("interval", "range"): _l("Every 1 to 99."),
    ("weekdays", "required"): _l("Choose at least one weekday."),
    ("month_day", "range"): _l("Choose a day that exists in the month."),
    ("month_day", "choose_one"): _l("Choose a day of the month or a weekday."),
    ("ordinal", "range"): _l("Choose which weekday."),
    ("month", "range"): _l("Choose a month."),
    ("count", "range"): _l("Between 1 and 9999 times."),
    ("until", "before_start"): _l("The end date is before the start date."),
    ("until", "no_occurrence"): _l("The pattern has no date before it ends."),
    ("until", "no_future"): _l("The pattern has no date from today on."),
    ("count", "no_future"): _l("The pattern has no date from today on."),
}


class FrequencyForm(KvittForm):
    name = StringField(_l("Name (empty: named from the pattern)"), validators=[
        Optional(), Length(max=120)])
    kind = RadioField(_l("Repeats"), choices=[
        ("daily", _l("Daily")), ("weekly", _l("Weekly")), ("monthly", _l("Monthly")),
        ("yearly", _l("Yearly"))], default="monthly", validators=[InputRequired(REQUIRED)])
    interval = IntegerField(_l("Every"), default=1, validators=[
        InputRequired(_l("Write a number.")), NumberRange(1, 99, _l("Every 1 to 99."))])
    weekdays = MultiCheckboxField(_l("On"), choices=WEEKDAYS, coerce=int)
    day_mode = RadioField(_l("On"), choices=[("date", _l("a date")),
                                              ("weekday", _l("a weekday"))], default="date")
    month_day = IntegerField(_l("Day of the month"), validators=[Optional()])
    ordinal = SelectField(_l("Which"), choices=ORDINALS, coerce=int, default=1)
    weekday = SelectField(_l("Weekday"), choices=WEEKDAYS, coerce=int, default=0)
    month = SelectField(_l("Month"), choices=MONTHS, coerce=int, default=1)
    start_date = DateField(_l("Start"), validators=[DataRequired(_l("Choose a start date."))])
    end_kind = RadioField(_l("Ends"), choices=[("never", _l("Never")),
                                               ("count", _l("After a number of times")),
                                               ("until", _l("On a date"))], default="never")
    count = IntegerField(_l("Number of times"), validators=[Optional()])
    until = DateField(_l("End date"), validators=[Optional()])
    context = HiddenField()

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def pattern(self) -> Pattern:
        kind = self.kind.data
        by_date = self.day_mode.data != "weekday"
        return Pattern(
            kind, self.start_date.data, interval=self.interval.data or 0,
            weekdays=tuple(self.weekdays.data or ()) if kind == "weekly" else (),
            month_day=self.month_day.data if kind in ("monthly", "yearly") and by_date else None,
            ordinal=self.ordinal.data if kind in ("monthly", "yearly") and not by_date else None,
            weekday=self.weekday.data if kind in ("monthly", "yearly") and not by_date else None,
            month=self.month.data if kind == "yearly" else None,
            count=self.count.data if self.end_kind.data == "count" else None,
            until=self.until.data if self.end_kind.data == "until" else None)

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.end_kind.data == "count" and not self.count.data:
            self.count.errors.append(_l("Write how many times."))
            return False
        if self.end_kind.data == "until" and not self.until.data:
            self.until.errors.append(_l("Choose the end date."))
            return False
        if self.kind.data in ("monthly", "yearly") and self.day_mode.data != "weekday" \
                and self.month_day.data is None:
            self.month_day.errors.append(_l("Choose a day that exists in the month."))
            return False
        try:
            pattern = self.pattern()
            pattern.validate()
            if self.today is not None and pattern.next_date(self.today) is None:
                raise PatternError("count" if pattern.count else "until", "no_future")
        except PatternError as error:
            field = {"count": self.count, "until": self.until, "interval": self.interval,
                     "weekdays": self.weekdays, "month_day": self.month_day,
                     "ordinal": self.ordinal, "month": self.month}.get(error.field, self.kind)
            field.errors.append(PATTERN_MESSAGES.get((error.field, error.code),
                                                     _l("This pattern cannot recur.")))
            return False
        return True


class CustomerForm(BuyerDeliveryForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation_number = StringField(_l("Organisation number (optional)"), validators=[
        Optional(), Length(max=11), norwegian_organisation_number])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    address_line = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), norwegian_postal_code])
    vat_registered = BooleanField(_l("The customer is registered for VAT"))


class LineForm(Form):
    class Meta:
        def get_translations(self, form):
            return flask_wtf_translations

    product_text = StringField(_l("Product"), validators=[DataRequired(REQUIRED),
                                                          Length(max=200)])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[
        InputRequired(REQUIRED), NumberRange(1, 100000)])
    unit_price = StringField(_l("Unit price (NOK)"), validators=[DataRequired(REQUIRED),
                                                                 Length(max=20)])
    # VAT rate and category (R-DOC-1): "0Z" zero-rated (fritatt), "0E" exempt (unntatt).
    vat_percent = SelectField(_l("VAT"), choices=[
        ("25", "25 %"), ("15", "15 %"), ("12", "12 %"), ("0Z", _l("0 % (zero-rated)")),
        ("0E", _l("0 % (exempt)"))], default="25")

    def validate_unit_price(self, field):
        self.unit_ore = amount_in_ore(field)


class SubscriberForm(Form):
    class Meta:
        def get_translations(self, form):
            return flask_wtf_translations

    customer_id = SelectField(_l("Customer"), coerce=int)
    start_date = DateField(_l("Start date (empty: today)"), validators=[Optional()])
    end_date = DateField(_l("Own end date (optional)"), validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)


class SubscriptionForm(KvittForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    frequency_id = SelectField(_l("Frequency"), coerce=int, validators=[
        InputRequired(_l("Choose a frequency."))])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=50)
    subscribers = FieldList(FormField(SubscriberForm), min_entries=0, max_entries=500)
    active = BooleanField(_l("Active (deactivated: no more invoices, history kept)"),
                          default=True)
    confirm_past = BooleanField(_l("Yes, create the invoices for the past dates"))

    def __init__(self, *args, frequencies=(), customers=(), **kwargs):
        super().__init__(*args, **kwargs)
        locale = str(get_locale())
        self.frequency_id.choices = [(f.id, f.display_name(locale)) for f in frequencies]
        for entry in self.subscribers.entries:
            entry.form.customer_id.choices = [(c.id, c.name) for c in customers]

    def validate_subscribers(self, field):
        chosen = [entry.form.customer_id.data for entry in field.entries]
        if len(chosen) != len(set(chosen)):
            raise ValidationError(_l("A customer can be on the subscription only once."))
