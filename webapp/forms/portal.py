"""Customer portal forms: the company profile and users."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .shop import GROUP_CHOICES
from .validators import (email_address, norwegian_organisation_number,
                         norwegian_postal_code)

REQUIRED = _l("This field is required.")


class CompanyProfileForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    organisation_number = StringField(_l("Organisation number"), validators=[
        Optional(), Length(max=11), norwegian_organisation_number])
    address_line = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), norwegian_postal_code])


class EditUserForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(REQUIRED),
                                                           Length(max=80)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(REQUIRED), Length(max=80)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(REQUIRED),
                                                          Length(max=320), email_address])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=30)])


class NewUserForm(EditUserForm):
    user_group = SelectField(_l("User group"), choices=GROUP_CHOICES)
