"""Login and password forms."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from . import KvittForm

REQUIRED = _l("This field is required.")


class LoginForm(KvittForm):
    login_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED),
                                                         Length(max=200)])


class SetPasswordForm(KvittForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(REQUIRED),
        Length(min=10, max=200, message=_l("Use between 10 and 200 characters."))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))])
    # The user's own words (name, username, company): a password made of them is weak.
    known_words: list[str] = []

    def validate_password(self, field):
        if field.data and not strong_enough(field.data, self.known_words):
            raise ValidationError(_l(
                "This password is easy to guess. Use a longer phrase of unrelated words; "
                "avoid names, dates, keyboard rows and common passwords."))


# Words Norwegians put in passwords, which zxcvbn's English lists do not know.
COMMON_WORDS = ["passord", "hemmelig", "sommer", "vinter", "høst", "våren", "norge", "oslo",
                "bergen", "trondheim", "fotball", "elsker", "kjæreste", "kvitt", "faktura",
                "regnskap", "bedrift", "admin", "velkommen", "mandag", "fredag"]
# zxcvbn's score: 3 resists an offline attack on a slow hash; its check of a very long
# password is slow, and the first 100 characters tell enough.
MIN_STRENGTH = 3


def strong_enough(password: str, known_words: list[str]) -> bool:
    from zxcvbn import zxcvbn

    words = [part for word in known_words if word
             for part in [word, *re.split(r"[\W_]+", word)] if len(part) >= 3] + COMMON_WORDS
    return zxcvbn(password[:100], user_inputs=words)["score"] >= MIN_STRENGTH


class ForgotPasswordForm(KvittForm):
    login_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=40)])


class AcceptTermsForm(KvittForm):
    accept = BooleanField(_l("I accept the terms of service"))

    def validate_accept(self, field):
        if not field.data:
            raise ValidationError(_l("Accept the terms of service to go on."))
