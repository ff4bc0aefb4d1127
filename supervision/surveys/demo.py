"""One finished survey round in the demo district (``flask seed demo``), idempotently.

Eight estates managed by companies, codes generated for every household, votes cast with some of
them (a different response and mood per estate, so some estates fall below the threshold), a burst
flagged and reviewed, then the round closed: the companies at or above the threshold got an LH-05
proposal (a draft credit event), the estates below it a rectification prompt.
"""
from __future__ import annotations

from datetime import UTC, time, timedelta

from sqlalchemy import insert, select, update

from ..core.timeutil import local_datetime, local_today, utcnow
from ..estates.models import Estate
from ..extensions import db
from . import codes, services
from .models import (
    Rating,
    SurveyAnswer,
    SurveyCode,
    SurveyQuestionSet,
    SurveyRound,
    SurveyVote,
    VoteMethod,
    VoteStatus,
)

DEMO_NAME = "2026年第三季度物业服务满意度测评"
ESTATES = 8
MAX_HOUSEHOLDS = 800


def seed_demo(rng) -> None:
    if db.session.scalar(select(SurveyRound.id).where(SurveyRound.name == DEMO_NAME)) is not None:
        return
    question_set = db.session.scalar(select(SurveyQuestionSet).where(SurveyQuestionSet.code == services.STANDARD_SET))
    estates = list(db.session.scalars(select(Estate).where(Estate.company_id.is_not(None),
                                                           Estate.archived_at.is_(None)).order_by(Estate.id)
                                      .limit(ESTATES)))
    if question_set is None or not estates:
        return
    today = local_today()
    survey = services.create_round(name=DEMO_NAME, opens_on=today - timedelta(days=45),
                                   closes_on=today - timedelta(days=15), question_set=question_set,
                                   estates=estates, notes="演示数据：街道和社区发放二维码测评码，每户一码。")
    questions = services.questions_of(question_set.id)
    for number, round_estate in enumerate(survey.estates):
        round_estate.households = min(round_estate.households or 300, MAX_HOUSEHOLDS)
        services.generate_codes(round_estate)
        response = rng.uniform(0.25, 0.6)
        # Most estates content; every third one below the threshold.
        mood = 0.7 if number % 3 == 2 else 0.97
        votes = int(round_estate.households * response)
        ids = list(db.session.scalars(select(SurveyCode.id).where(SurveyCode.round_estate_id == round_estate.id)
                                      .order_by(SurveyCode.serial).limit(votes)))
        voted_at = utcnow() - timedelta(days=30)
        db.session.execute(update(SurveyCode).where(SurveyCode.id.in_(ids)).values(used_at=voted_at))
        for n, code_id in enumerate(ids):
            ratings = {q.id: _rating(rng, mood) for q in questions}
            overall = next(q for q in questions if q.is_overall)
            flagged = number == 0 and n < 6  # a burst from one address: flagged, half accepted
            vote = SurveyVote(
                round_id=survey.id, round_estate_id=round_estate.id, street_id=round_estate.street_id,
                company_id=round_estate.company_id, method=VoteMethod.CODE, code_id=code_id,
                overall=ratings[overall.id], address_hash=codes.keyed_hash(f"demo-{number}-{n if not flagged else 0}"),
                status=(VoteStatus.ACCEPTED if n % 2 else VoteStatus.REJECTED) if flagged else VoteStatus.COUNTED,
                flag_reason="10 分钟内同一网络地址已有 5 票" if flagged else None,
                comment=rng.choice(COMMENTS) if rng.random() < 0.08 else None,
                created_at=voted_at + timedelta(minutes=n))
            db.session.add(vote)
            db.session.flush()
            db.session.execute(insert(SurveyAnswer), [{"vote_id": vote.id, "question_id": qid, "rating": r}
                                                      for qid, r in ratings.items()])
    services.recount([round_estate.id for round_estate in survey.estates])  # the votes above skip the counters
    services.open_round(survey)
    services.close_round(survey)
    survey.closed_at = local_datetime(survey.closes_on, time(18, 0)).astimezone(UTC)  # closed on its last day


def _rating(rng, mood: float) -> Rating:
    roll = rng.random()
    if roll < mood * 0.75:
        return Rating.SATISFIED
    if roll < mood:
        return Rating.FAIRLY
    return Rating.DISSATISFIED


COMMENTS = ["楼道保洁比以前好多了。", "希望加强夜间巡逻。", "电梯经常停运，维修不及时。", "公共收益没有公示。",
            "绿化修剪及时，满意。", "停车管理混乱。", "物业服务中心态度很好。"]
