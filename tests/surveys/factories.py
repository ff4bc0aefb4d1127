"""Factories for survey tests."""
from __future__ import annotations

from datetime import date, timedelta

from supervision.core.timeutil import local_today
from supervision.extensions import db
from supervision.surveys import services
from supervision.surveys.models import Rating, RoundStatus, SurveyQuestionSet
from supervision.surveys.reference import load_reference


def standard_set() -> SurveyQuestionSet:
    load_reference()
    return db.session.scalar(db.select(SurveyQuestionSet).where(SurveyQuestionSet.code == services.STANDARD_SET))


def gen_round(estates, *, households=20, status=RoundStatus.OPEN, codes=True, opens_on: date | None = None,
              closes_on: date | None = None, name="测试测评"):
    today = local_today()
    for estate in estates:
        estate.households = households
    survey = services.create_round(name=name, opens_on=opens_on or today - timedelta(days=1),
                                   closes_on=closes_on or today + timedelta(days=10), question_set=standard_set(),
                                   estates=estates)
    if codes:
        for round_estate in survey.estates:
            services.generate_codes(round_estate)
    if status is not RoundStatus.DRAFT:
        services.open_round(survey)
    db.session.commit()
    return survey


def all_codes(round_estate) -> list[str]:
    return [code for _serial, code in services.sheet_codes(round_estate)]


def answers(survey, overall: Rating = Rating.SATISFIED, others: Rating = Rating.SATISFIED) -> dict[int, str]:
    return {q.id: (overall if q.is_overall else others).value for q in services.questions_of(survey.question_set_id)}


def vote(survey, code: str, overall: Rating = Rating.SATISFIED, address: str = "10.0.0.1"):
    result = services.cast_vote_by_code(code, answers(survey, overall), comment=None, address=address)
    db.session.commit()
    return result
