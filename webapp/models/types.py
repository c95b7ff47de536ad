"""Column types shared by the models."""
import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Store instants as naive UTC everywhere (SQLite keeps no zone) and hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def status_type(enum: type[StrEnum], length: int) -> Enum:
    """A status column: stored as the member's value in VARCHAR(length) (no database enum
    type), read back as the member; a value outside the enum is refused before it is
    written. The table's CHECK (`status_check`) keeps the database to the same values."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [member.value for member in members],
                validate_strings=True)


def status_check(enum: type[StrEnum], name: str, column: str = "status") -> CheckConstraint:
    listed = ",".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} in ({listed})", name=name)
