"""The safety registers' two indicators on the targets page (and so on the dashboard):

- 电梯定期检验率: lifts in use (在用, estate not archived) whose next periodic inspection is due on
  or after the day ÷ lifts in use; a lift without a due date counts in the gap.
- 消防设施按期检查率: fire facilities in service (正常 or 故障) whose next check is due on or after the
  day ÷ those facilities; likewise.

Both count the register as it stands (a past year's figure is today's register read on that day).
They are registered into ``targets.indicators`` when this module is imported (the safety views do).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from ..companies.models import Company
from ..core import generations
from ..dashboard.services import DASHBOARD_TOPIC
from ..estates.models import Estate
from ..regions.models import Street
from ..targets.indicators import SUBJECT_UNITS, Base, Indicator, register, sqlite_opaque
from .models import FireFacility, Lift

SUBJECT_UNITS.setdefault("lift", _l("部电梯"))
SUBJECT_UNITS.setdefault("facility", _l("处消防设施"))


def _base(model, day: date) -> Base:
    # The status and the estate's archived_at hidden from SQLite's planner (``sqlite_opaque``): both hold for nearly
    # every row, and through their indexes it read every row and sorted them for the drill-down's page; without them
    # it walks the ``next_due_on`` index, whose first rows (undated, then overdue) are the gap, and stops after the
    # page. PostgreSQL estimates them from its statistics (as expressions, it took them for 0.5 % of the rows).
    return Base(subject=model, street=Estate.street_id, company=Estate.company_id,
                where=[sqlite_opaque(model.status).in_(model.COUNTED_STATUSES),
                       sqlite_opaque(Estate.archived_at).is_(None)],
                achieved=model.next_due_on.is_not(None) & (model.next_due_on >= day),
                joins=[(Estate, Estate.id == model.estate_id, False)])


def _columns(base: Base):
    model = base.subject
    columns = (model, Street.name.label("street_name"), Company.name.label("company_name"))
    joins = [(Street, Street.id == Estate.street_id, False), (Company, Company.id == Estate.company_id, True)]
    return columns, joins, (contains_eager(model.estate),), (model.next_due_on, model.id)


register(Indicator(
    code="lift_inspection", street_scoped=True, name=_l("电梯定期检验率"), short_name=_l("电梯检验"), subject="lift",
    numerator_label=_l("未逾期"), denominator_label=_l("在用电梯"), gap_label=_l("检验逾期或未登记的电梯"),
    definition=_l("未归档小区的在用电梯中，下次定期检验日期在统计日当天或之后的电梯数 ÷ 在用电梯数。"
                  "未登记下次检验日期的计入差额；停用、报废的电梯不计。按台账当前状态统计。"),
    base=lambda day: _base(Lift, day), gap_columns=_columns,
))
register(Indicator(
    code="fire_check", street_scoped=True, name=_l("消防设施按期检查率"), short_name=_l("消防检查"), subject="facility",
    numerator_label=_l("未逾期"), denominator_label=_l("在役消防设施"), gap_label=_l("检查逾期或未登记的消防设施"),
    definition=_l("未归档小区在役（正常或故障）的消防设施中，下次检查日期在统计日当天或之后的数量 ÷ 在役消防设施数。"
                  "未登记下次检查日期的计入差额；已停用的不计。按台账当前状态统计。"),
    base=lambda day: _base(FireFacility, day), gap_columns=_columns,
))

generations.watch(DASHBOARD_TOPIC, Lift, FireFacility, attributes=None)
