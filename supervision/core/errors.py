"""Errors that services raise and views turn into messages."""
from __future__ import annotations

from flask_babel import gettext as _


class DomainError(Exception):
    """A rule of the domain refused the action; the message is for the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConcurrentEditError(DomainError):
    pass


class TransitionError(DomainError):
    """An illegal move in a state machine."""


def check_version(obj, submitted_version) -> None:
    """Refuse an edit made on a stale copy of ``obj``."""

    try:
        submitted = int(submitted_version)
    except (TypeError, ValueError):
        submitted = None
    if submitted != obj.version:
        raise ConcurrentEditError(_("该记录已被他人修改，请刷新页面后重新编辑。"))
