"""Several validation messages at once, each tied to a field.

Registry services check a whole record and report every problem, not just the
first, so a form shows all its mistakes in one round and an Excel import can
turn the same messages into (row, column, message) rows.
"""
from __future__ import annotations

from flask import flash

from ..core.errors import DomainError


class InvalidValues(DomainError):
    """``errors`` is a list of (field or None, message)."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        super().__init__(errors[0][1], field=errors[0][0])
        self.errors = errors


def apply_errors(form, error: DomainError) -> list[str]:
    """Put each message next to its field; return those that have no field on the form."""
    errors = getattr(error, "errors", None) or [(error.field, error.message)]
    unplaced = []
    for field_name, message in errors:
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            unplaced.append(message)
    return unplaced


def flash_errors(form, error: DomainError) -> None:

    for message in apply_errors(form, error):
        flash(message, "danger")
