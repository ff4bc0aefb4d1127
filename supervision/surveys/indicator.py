"""满意度: the satisfaction indicator of the targets page (registered with ``targets.indicators``).

Its subject is the counted vote (有效票) of the survey rounds of the day's year (by their end date) closed on or
before the day; a vote is achieved when its overall answer (总体评价) is 满意 or 基本满意. Per street by the
vote's street (the estate's street when the round was set up); the drill-down lists the votes
whose overall answer was 不满意 (when and where, never who).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract

from ..core import generations
from ..estates.models import Estate
from ..targets.indicators import SUBJECT_UNITS, Base, Indicator, end_of_day_utc, register
from .models import COUNTING_STATUSES, SATISFIED_RATINGS, RoundStatus, SurveyRound, SurveyRoundEstate, SurveyVote

SUBJECT_UNITS["vote"] = _l("票")
# The dashboard's cached figures include this indicator: they change with the rounds (closing one
# brings its votes in) and with votes changed through the ORM. The public vote bumps nothing
# (services.cast_vote_by_code): it goes into an open round, which this indicator does not read.
generations.watch("dashboard", SurveyVote, SurveyRound)


def _satisfaction_base(day: date) -> Base:
    return Base(subject=SurveyVote, street=SurveyVote.street_id, company=SurveyVote.company_id,
                where=[SurveyVote.status.in_(COUNTING_STATUSES), SurveyRound.status == RoundStatus.CLOSED,
                       SurveyRound.closed_at < end_of_day_utc(day), extract("year", SurveyRound.closes_on) == day.year],
                achieved=SurveyVote.overall.in_(SATISFIED_RATINGS),
                joins=[(SurveyRound, SurveyRound.id == SurveyVote.round_id, False)])


def _vote_columns(base: Base):
    columns = (SurveyVote.id.label("id"), SurveyVote.created_at.label("created_at"),
               SurveyVote.round_estate_id.label("round_estate_id"), Estate.name.label("estate_name"),
               SurveyRound.name.label("round_name"))
    joins = [(SurveyRoundEstate, SurveyRoundEstate.id == SurveyVote.round_estate_id, False),
             (Estate, Estate.id == SurveyRoundEstate.estate_id, False)]
    return columns, joins, (), (SurveyVote.created_at.desc(), SurveyVote.id)


register(Indicator(
    code="satisfaction", name=_l("业主满意度"), short_name=_l("满意度"), subject="vote",
    numerator_label=_l("满意+基本满意"), denominator_label=_l("有效票"), gap_label=_l("总体评价为不满意的票"),
    definition=_l("统计日所在年度内（按测评结束日期）在统计日或之前已结束的满意度测评中，有效票（含复核有效，不含待复核和复核"
                  "无效）里“总体评价”为满意或基本满意的票数 ÷ 有效票数。街道口径按测评时小区所属街道统计。"),
    base=_satisfaction_base, gap_columns=_vote_columns,
))
