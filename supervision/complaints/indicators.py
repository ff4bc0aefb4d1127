"""维修及时率 as a target indicator (targets page, dashboard, drill-down), over the repair requests
of the register: repairs due by the day in the day's year (repeats left out) whose resolution was
recorded by their deadline. The targets feature reads it from its registry like its own."""
from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_
from sqlalchemy.orm import joinedload

from ..core import generations
from ..core.timeutil import LOCAL_TZ
from ..regions.models import Street
from ..targets.indicators import SUBJECT_UNITS, Base, Indicator, end_of_day_utc, register
from .models import Complaint, Kind

C = Complaint
SUBJECT_UNITS.setdefault("repair", _l("件"))
# The dashboard shows this indicator (and the three rates): its cache follows the register.
generations.watch("dashboard", Complaint)


def _repair_base(day: date) -> Base:
    bound = end_of_day_utc(day)
    year_start = datetime.combine(date(day.year, 1, 1), time.min, tzinfo=LOCAL_TZ)
    on_time = and_(C.resolved_at.is_not(None), C.resolved_at <= C.resolution_due_at, C.resolved_at < bound)
    return Base(subject=C, street=C.street_id, company=C.company_id, achieved=on_time,
                where=[C.kind == Kind.REPAIR, C.repeat_of_id.is_(None), C.resolution_due_at < bound,
                       C.received_at >= year_start])


def _repair_columns(base: Base):
    options = (joinedload(C.estate), joinedload(C.company))
    return ((C, Street.name.label("street_name")), [(Street, Street.id == C.street_id, True)], options,
            (C.resolution_due_at, C.id))


REPAIR_TIMELY = register(Indicator(
    code="repair_timely", street_scoped=True, name=_l("维修及时率"), short_name=_l("维修及时"), subject="repair",
    numerator_label=_l("按时修复"), denominator_label=_l("到期报修"), gap_label=_l("未按时修复的报修"),
    definition=_l("本年受理、修复时限在统计日当天或之前的报修（业主报修、12345转办和企业报修台账，重复报修不计）中，"
                  "在时限内办结的件数 ÷ 到期报修件数。时限按紧急程度：紧急当日，一般3个工作日（可配置）。"),
    base=_repair_base, gap_columns=_repair_columns,
))
