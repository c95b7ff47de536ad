"""Field validators shared by the forms: e-mail, Norwegian phone numbers, postal codes."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum import bic, iban
from stdnum.no import kontonr, orgnr
from wtforms.validators import ValidationError

from ..domain import usernames
from ..domain.postal import city_for


def username_rules(form, field) -> None:
    """One set of username rules in the shop and the portal (seed 000)."""
    result = usernames.check(field.data or "")
    if result.error == "too_long":
        raise ValidationError(_l("At most %(max)s characters.", max=usernames.MAX_LENGTH))
    if result.error == "special_characters":
        raise ValidationError(_l("Use letters and digits only: no spaces or special "
                                 "characters."))


def username_warning(value: str | None):
    """A username is allowed with æ, ø, å, but not advised."""
    if value and usernames.check(value).warning:
        return _l("Avoid æ, ø, å and other special letters: they can make logging in hard "
                  "from keyboards abroad.")
    return None


def email_address(form, field) -> None:
    try:
        result = validate_email(field.data or "", check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("Enter a valid e-mail address, like name@company.no.")) from None
    field.data = result.normalized


def phone_number(form, field) -> None:
    """Accept a phone number valid for Norway by default (or with a country code)."""
    try:
        number = phonenumbers.parse(field.data or "", "NO")
    except phonenumbers.NumberParseException:
        raise ValidationError(_l("Enter a valid phone number, like 912 34 567.")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Enter a valid phone number, like 912 34 567."))
    field.data = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def amount_in_ore(field) -> int:
    """The field's kroner as øre ('1 234,50'), or the parser's refusal as its message."""
    from ..services.payments import PaymentError, parse_amount

    try:
        return parse_amount(field.data)
    except PaymentError as error:
        raise ValidationError(str(error)) from None


def norwegian_postal_code(form, field) -> None:
    code = (field.data or "").strip()
    if len(code) != 4 or not code.isdigit():
        raise ValidationError(_l("A postal code has four digits."))
    if city_for(code) is None:
        raise ValidationError(_l("Postal code %(code)s is not in the postal register.",
                                 code=code))


def norwegian_organisation_number(form, field) -> None:
    """A Norwegian organisation number (MOD11 check digit); stored as nine digits."""
    if not field.data:
        return
    if not orgnr.is_valid(field.data):
        raise ValidationError(_l("Not a valid Norwegian organisation number: check the nine "
                                 "digits."))
    field.data = orgnr.compact(field.data)


def norwegian_bank_account(form, field) -> None:
    """A Norwegian account number (11 digits, MOD11); stored as digits."""
    if not field.data:
        return
    if not kontonr.is_valid(field.data):
        raise ValidationError(_l("Not a valid Norwegian account number: check the 11 digits, "
                                 "like 1234.56.78903."))
    field.data = kontonr.compact(field.data)


def international_account(form, field) -> None:
    if field.data and not iban.is_valid(field.data):
        raise ValidationError(_l("Not a valid IBAN."))
    field.data = iban.compact(field.data) if field.data else field.data


def bank_identifier(form, field) -> None:
    if field.data and not bic.is_valid(field.data):
        raise ValidationError(_l("Not a valid BIC (SWIFT) code."))
    field.data = bic.compact(field.data) if field.data else field.data


def peppol_participant(form, field) -> None:
    """A Peppol participant id "ICD:identifier"; a Norwegian one (0192) is MOD11-checked."""
    value = (field.data or "").strip().replace(" ", "")
    if not value:
        field.data = None
        return
    scheme, _, identifier = value.partition(":")
    if not (scheme.isdigit() and len(scheme) == 4 and identifier) or \
            (scheme == "0192" and not orgnr.is_valid(identifier)):
        raise ValidationError(_l("Write the Peppol id like 0192:923609016 (0192 and a valid "
                                 "organisation number for a Norwegian business)."))
    field.data = f"{scheme}:{identifier}"
