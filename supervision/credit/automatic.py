"""Automatic credit events from facts recorded elsewhere (campaigns), idempotently.

One fact yields at most one event, however often the job runs: every automatic
event carries a ``source_key`` naming its fact (``"item-overdue:123"``,
``"acceptance-failed:45"``, ``"self-inspection-missing:67"``) and the column is
unique.

Other features plug in *detectors*: a function ``detector(on: date)`` that
yields ``AutoFact``s. Register it with ``@register_detector("name")`` in a
module named ``supervision/<feature>/credit_detectors.py``; ``flask credit
auto-events`` imports those modules (for every feature in ``seeding.FEATURES``)
and records an event per new fact::

    # supervision/campaigns/credit_detectors.py
    from supervision.credit.automatic import AutoFact, register_detector, rule_param

    @register_detector("item-overdue")
    def overdue_items(on):
        days = rule_param("BL-20", "overdue_days", 10, on=on)
        for item in ...:  # items overdue by more than ``days``
            yield AutoFact(company_id=item.company_id, rule_code="BL-20",
                           source_key=f"item-overdue:{item.id}", occurred_on=item.deadline,
                           estate_id=item.estate_id, description=f"整改事项 {item.id} 逾期未完成")
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..companies.models import Company, Staff
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..extensions import db
from ..seeding import FEATURES
from .models import CreditEvent, EventOrigin, RecordingLevel
from .services import confirm_event, create_event, item_by_code, notify_event, rule_set_for


@dataclass(frozen=True)
class AutoFact:
    company_id: int
    rule_code: str
    source_key: str
    occurred_on: date
    estate_id: int | None = None
    staff_id: int | None = None
    description: str | None = None


Detector = Callable[[date], Iterable[AutoFact]]
DETECTORS: dict[str, Detector] = {}


def register_detector(name: str):
    """Decorator: ``detector(on)`` yields the facts that should carry a credit event."""

    def decorator(function: Detector) -> Detector:
        DETECTORS[name] = function
        return function

    return decorator


def discover_detectors() -> dict[str, Detector]:

    for feature in FEATURES:
        module = f"supervision.{feature}.credit_detectors"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return DETECTORS


def rule_param(code: str, key: str, default=None, *, on: date | None = None):
    """A parameter of a rule item in the rule set in force (e.g. BL-20's overdue_days)."""

    try:
        item = item_by_code(rule_set_for(on), code)
    except DomainError:
        return default
    return (item.params or {}).get(key, default)


def _get(model, value):
    if value is None or isinstance(value, model):
        return value
    found = db.session.get(model, value)
    if found is None:
        raise DomainError(_("找不到记录 %(model)s #%(id)s", model=model.__name__, id=value))
    return found


def record_automatic_event(*, company, rule_code: str, source_key: str, occurred_on: date, estate=None,
                           staff=None, description: str | None = None, notify: bool = True,
                           on: date | None = None) -> tuple[CreditEvent, bool]:
    """Record the event for one fact, once. Returns (event, created).

    ``company``, ``estate`` and ``staff`` are model objects or ids. The item is
    ``rule_code`` in the rule set in force on ``on``; a deduction is notified at
    once (notice number, objection window), so the company can object as to any
    other record.
    """

    source_key = source_key.strip()
    if not source_key:
        raise ValueError("source_key is required")
    existing = db.session.scalar(select(CreditEvent).where(CreditEvent.source_key == source_key))
    if existing is not None:
        return existing, False
    on = on or local_today()
    company = _get(Company, company)
    estate = _get(Estate, estate)
    staff = _get(Staff, staff)
    item = item_by_code(rule_set_for(on), rule_code)
    event = create_event(
        company=company, item=item, occurred_on=min(occurred_on, on),
        description=description or item.description, estate=estate, staff=staff,
        recording_level=RecordingLevel.DISTRICT, origin=EventOrigin.AUTOMATIC, source_key=source_key, on=on)
    if notify:
        if event.is_deduction:
            notify_event(event, on=on)
        else:
            confirm_event(event, on=on)
    return event, True


@dataclass
class DetectorResult:
    name: str
    created: int = 0
    existing: int = 0
    error: str | None = None
    failed: list[str] = field(default_factory=list)


def run_detectors(*, on: date | None = None, names: Iterable[str] | None = None) -> list[DetectorResult]:
    """Run every registered detector (or those named) and record one event per new fact."""
    on = on or local_today()
    detectors = discover_detectors()
    wanted = list(names) if names else sorted(detectors)
    results = []
    for name in wanted:
        result = DetectorResult(name)
        detector = detectors.get(name)
        if detector is None:
            result.error = _("未注册的检测器")
            results.append(result)
            continue
        for fact in detector(on):
            try:
                _event, created = record_automatic_event(
                    company=fact.company_id, rule_code=fact.rule_code, source_key=fact.source_key,
                    occurred_on=fact.occurred_on, estate=fact.estate_id, staff=fact.staff_id,
                    description=fact.description, on=on)
            except DomainError as error:  # e.g. the rule set in force lacks the item: report, go on
                result.failed.append(f"{fact.source_key}: {error.message}")
                continue
            if created:
                result.created += 1
            else:
                result.existing += 1
        results.append(result)
    return results
