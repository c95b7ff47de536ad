"""Flask-WTF forms per area."""
from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""
