"""Flask-WTF forms per area, all built on `Form`: bounded, clean input before any rule runs."""
from __future__ import annotations

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import FieldList, FormField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length

# A single-line field longer than this is no name, address or reference anyone types.
LINE_LIMIT = 500
TEXT_LIMIT = 10_000
# The largest integer every supported database keeps in an integer column.
INTEGER_LIMIT = 2 ** 31 - 1


# Unicode's control characters (category Cc) and lone surrogates (Cs); text areas keep
# their line breaks and tabs.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str, multiline: bool = False) -> bool:
    """NUL, escapes, line breaks in a one-line field and other invisible controls."""
    return (_CONTROL_MULTILINE if multiline else _CONTROL).search(text) is not None


def without_control_characters(text: str, multiline: bool = False) -> str:
    return (_CONTROL_MULTILINE if multiline else _CONTROL).sub("", text)


def _leaves(fields):
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        else:
            yield field


class KvittForm(FlaskForm):
    """A form that takes uploads only in its file fields, refuses control characters and
    text or numbers beyond what a column holds, each with a message at its field."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            wrapped = super().wrap_formdata(form, formdata)
            if isinstance(wrapped, CombinedMultiDict):
                files = {field.name for field in _leaves(form) if isinstance(field, FileField)}
                uploads = MultiDict([(name, value) for name, value in
                                     request.files.items(multi=True) if name in files])
                return CombinedMultiDict((uploads, request.form))
            return wrapped

    def validate(self, extra_validators=None) -> bool:
        for field in _leaves(self):
            # A number no column holds is refused before the field's own validators see it
            # (WTForms' NumberRange turns it into a float, which overflows).
            if isinstance(field, IntegerField) and field.data is not None \
                    and not -INTEGER_LIMIT <= field.data <= INTEGER_LIMIT:
                field.data = None
                field.process_errors = [*field.process_errors, _l("The number is too large.")]
        valid = super().validate(extra_validators)
        for field in _leaves(self):
            message = _bounds_error(field)
            if message is not None:
                field.errors = [*field.errors, message] if field.errors is not None else [message]
                valid = False
        return valid


def _bounds_error(field):
    values = field.data if isinstance(field.data, list) else [field.data]
    if isinstance(field, StringField) or any(isinstance(v, str) for v in values):
        multiline = isinstance(field, TextAreaField)
        texts = [v for v in values if isinstance(v, str)]
        if any(has_control_characters(text, multiline) for text in texts):
            return _l("Remove the invisible control characters.")
        own = next((v.max for v in field.validators if isinstance(v, Length) and v.max >= 0),
                   None)
        limit = TEXT_LIMIT if multiline else LINE_LIMIT
        if own is None and any(len(text) > limit for text in texts):
            return _l("At most %(count)d characters.", count=limit)
    return None


class EmptyForm(KvittForm):
    """A form with nothing but the CSRF token, for POST-only buttons."""
