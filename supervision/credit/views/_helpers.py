"""What the credit views share: refusals, uploaded files, the evaluation day, loading an event."""
from __future__ import annotations

from datetime import date

from flask import flash, request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...core.errors import DomainError
from ...core.forms import apply_domain_error
from ...core.markup import status_badge
from ...core.timeutil import local_today
from ...extensions import db
from ..models import CreditEvent, CreditRuleItem


def _domain_error(form, error: DomainError) -> None:
    db.session.rollback()
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


def _files():
    return [f for f in request.files.getlist("evidence") if f and f.filename]


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "danger")


def _as_of_arg() -> date:
    today = local_today()
    raw = request.args.get("as_of")
    if raw:
        try:
            return min(date.fromisoformat(raw), today)
        except ValueError:
            flash(_("评价日格式应为 YYYY-MM-DD，已按今天计算。"), "warning")
    return today


def _load_event(event_id: int, roles=None) -> CreditEvent:
    return scope.load(CreditEvent, event_id, roles=roles, options=(
        joinedload(CreditEvent.company), joinedload(CreditEvent.item).joinedload(CreditRuleItem.part),
        joinedload(CreditEvent.estate), joinedload(CreditEvent.staff), joinedload(CreditEvent.rule_set),
        joinedload(CreditEvent.objection)))


class _PerMember(dict):
    """Enum member → something worked out once a request (a list shows the same few states on every row), keyed by
    the member's class too: members of two enums may share a value (``EventStatus.REVOKED``,
    ``ObjectionStatus.REVOKED``), and str enums with equal values are equal keys."""

    def __getitem__(self, member):
        key = (type(member), member)
        found = self.get(key)
        if found is None:
            found = self[key] = self.make(member)
        return found


class Labels(_PerMember):
    """``labels[state]``: its translated label (``status_badge(state, labels[state])`` in a template)."""

    @staticmethod
    def make(member):
        return member.label


class Badges(_PerMember):
    """``badges[state]``: its badge (``status_badge``)."""

    @staticmethod
    def make(member):
        return status_badge(member)
