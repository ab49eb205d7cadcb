"""The one shape of a refusal: a code, its parameters and the form field at fault.

Services raise subclasses of :class:`CodedError`; ``area`` picks the table of words in
:mod:`simshop.messages` (one per area), so no service knows any language.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CodedError(Exception):
    """A refused operation: ``code`` says why (``params`` fill in its message), ``field``
    names the form field at fault (None: the form as a whole)."""

    area: ClassVar[str] = "game"
    field: str | None = None

    def __init__(self, code: str, field: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        if field is not None:
            self.field = field
        self.params = params
