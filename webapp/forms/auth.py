"""Login and password forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

REQUIRED = _l("This field is required.")


class LoginForm(FlaskForm):
    customer_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED),
                                                         Length(max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(REQUIRED),
        Length(min=10, max=200, message=_l("Use between 10 and 200 characters."))])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        DataRequired(REQUIRED), EqualTo("password", _l("The passwords do not match."))])


class ForgotPasswordForm(FlaskForm):
    customer_id = StringField(_l("Customer id"), validators=[DataRequired(REQUIRED),
                                                             Length(max=12)])
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=40)])
