"""Flask extensions, created once and bound in create_app."""
from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

# The models' base class: Flask-SQLAlchemy's db.Model, which type checkers see as the declarative
# base it is built on.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
