"""每周抽查覆盖率 on the targets page (``targets.indicators`` registry), counting weeks:

the working weeks of the year (ISO weeks with at least one working day on the holiday register) that
ended on or before the day, of which those with at least one spot-check day ÷ those weeks. The weeks
are a list of rows computed from the calendar, so the figure is still one query; the rule binds the
bureau, so the figure is the district's only (a street's cell shows "—"). The drill-down lists the
weeks without a check. Registered when this module is imported (the spot-check views do).
"""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, cast, exists, false, literal, null, select, union_all

from ..core import generations
from ..core.holidays.models import HolidayDay, HolidayYear
from ..dashboard.services import DASHBOARD_TOPIC
from ..targets.indicators import SUBJECT_UNITS, Base, Indicator, register
from .models import SpotCheck
from .services.rhythm import past_working_weeks

SUBJECT_UNITS.setdefault("week", _l("周"))
CODE = "spot_check_weekly"
_NO_WEEK = date(2000, 1, 3)  # a VALUES list cannot be empty: one Monday, excluded by ``where``


def weeks_table(mondays: list[date]):
    """The weeks as rows (monday, sunday): a UNION ALL of one-row selects (SQLite has no named VALUES)."""
    rows = [select(literal(monday, Date).label("monday"), literal(monday + timedelta(days=6), Date).label("sunday"))
            for monday in mondays or [_NO_WEEK]]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("spot_check_weeks")


def _base(day: date) -> Base:
    mondays = [week.monday for week in past_working_weeks(day)]
    weeks = weeks_table(mondays)
    checked = exists(select(SpotCheck.id).where(SpotCheck.checked_on >= weeks.c.monday,
                                                SpotCheck.checked_on <= weeks.c.sunday))
    return Base(subject=weeks, street=cast(null(), Integer), where=[] if mondays else [false()], achieved=checked)


def _columns(base: Base):
    weeks = base.subject
    return (weeks.c.monday.label("monday"), weeks.c.sunday.label("sunday")), [], (), (weeks.c.monday.desc(),)


register(Indicator(
    code=CODE, name=_l("每周抽查覆盖率"), short_name=_l("每周抽查"), subject="week",
    numerator_label=_l("有抽查的周"), denominator_label=_l("已过工作周"), gap_label=_l("未开展现场抽查的周"),
    definition=_l("统计日所在年度中已结束的工作周（按节假日安排至少有一个工作日的自然周，周一至周日）里，至少有一天"
                  "开展现场抽查的周数 ÷ 已结束的工作周数。全周放假的周不计；按住建局整体统计，不按街道分列。"),
    base=_base, gap_columns=_columns, district_only=True, reads_calendar=True,
))

# The figure reads the spot checks and the holiday register (which weeks are working weeks).
generations.watch(DASHBOARD_TOPIC, SpotCheck, HolidayYear, HolidayDay)
