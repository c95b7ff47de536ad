"""Refusals: what a service says when a rule refuses what the user asked.

One type for every service: `code` says which refusal it is (tests and logs read it), `field`
names the form field it concerns (None: the request as a whole), and `message` is the user's
words for it, in the reader's language. A service's refusal type lists its codes' words in
`messages` (callables, so each is translated when it is shown, not when the module loads);
a view puts the message at its field with `blueprints.common.refuse`, with status 422."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar


class Refusal(Exception):
    messages: ClassVar[Mapping[str, Callable[[], str]]] = {}
    # The form field each code concerns, where the service knows it.
    fields: ClassVar[Mapping[str, str]] = {}

    def __init__(self, code: str, field: str | None = None, message: str | None = None):
        super().__init__(message if message is not None else code)
        self.code = code
        self.field = field if field is not None else self.fields.get(code)
        self._message = message

    @property
    def message(self) -> str:
        """The user's words: the one given, or the type's for the code, or the code."""
        if self._message is not None:
            return self._message
        words = self.messages.get(self.code)
        return words() if words is not None else self.code
