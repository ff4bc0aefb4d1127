"""The demo holds one finished survey round with results, credit proposals and follow-ups."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.credit.models import CreditEvent, EventStatus
from supervision.extensions import db
from supervision.surveys import services
from supervision.surveys.models import FollowUp, RoundStatus, SurveyCode, SurveyRound, SurveyVote, VoteStatus


def test_the_demo_has_a_finished_round_with_results(demo):
    assert demo.first.exit_code == 0 and demo.second.exit_code == 0
    with demo.app.app_context():
        rounds = db.session.scalars(select(SurveyRound)).all()
        assert [r.status for r in rounds] == [RoundStatus.CLOSED]
        survey = rounds[0]
        results = services.estate_results(survey, list(survey.estates))
        total = services.total_of(results)
        assert len(results) == 8 and total.votes > 0 and 0 < total.response_rate < 1
        used = db.session.scalar(select(func.count()).select_from(SurveyCode).where(SurveyCode.used_at.is_not(None)))
        assert used == db.session.scalar(select(func.count()).select_from(SurveyVote))
        assert {r.round_estate.follow_up for r in results} == {FollowUp.CREDIT, FollowUp.RECTIFY}
        statuses = set(db.session.scalars(select(SurveyVote.status)))
        assert {VoteStatus.ACCEPTED, VoteStatus.REJECTED, VoteStatus.COUNTED} <= statuses
        proposals = db.session.scalars(select(CreditEvent).where(CreditEvent.source_key.like("survey:%"))).all()
        assert proposals and {e.status for e in proposals} == {EventStatus.DRAFT}
        assert demo.counts_first == demo.counts_second
