"""The public vote bumps no data generation (no shared row every concurrent vote would wait on); what the
dashboard shows stays right: the card reads the round estates' vote tallies (in shards), kept in the vote's
transaction, and the satisfaction indicator reads closed rounds only (closing a round bumps it)."""
from __future__ import annotations

from sqlalchemy import delete, func, select

from supervision.core import generations
from supervision.extensions import db
from supervision.surveys import card, services
from supervision.surveys.models import (
    COUNTING_STATUSES,
    TALLY_SHARDS,
    Rating,
    SurveyAnswer,
    SurveyAnswerTally,
    SurveyVote,
    SurveyVoteTally,
    VoteStatus,
)
from supervision.targets.indicators import Counts, get_indicator, measure_total

from ..credit.factories import rules
from .factories import all_codes, gen_round, vote


def _generations() -> tuple:
    db.session.commit()
    return tuple(generations.current(topic) for topic in ("dashboard", "surveys"))


def _card_row(survey):
    return next(row for row in card.rows() if row.round_id == survey.id)


def _counters(survey) -> list[tuple[int, int]]:
    """(counted, satisfied) per round estate, summed over the tally's shards."""
    sums = dict((row[0], (int(row[1]), int(row[2]))) for row in db.session.execute(
        select(SurveyVoteTally.round_estate_id, func.sum(SurveyVoteTally.votes), func.sum(SurveyVoteTally.satisfied))
        .group_by(SurveyVoteTally.round_estate_id)))
    return [sums.get(re.id, (0, 0)) for re in sorted(survey.estates, key=lambda r: r.id)]


def test_a_vote_bumps_no_generation_and_the_card_shows_it_at_once(world):
    rules()
    survey = gen_round([world.estate1, world.estate2], households=10)
    codes = all_codes(survey.estates[0])
    vote(survey, codes[0], Rating.SATISFIED, address="10.5.0.1")
    before = _generations()
    assert None not in before  # both generations exist (the card and the dashboard are cached)
    assert (_card_row(survey).votes, _card_row(survey).satisfied) == (1, 1)
    vote(survey, codes[1], Rating.DISSATISFIED, address="10.5.0.2")
    vote(survey, codes[2], Rating.FAIRLY, address="10.5.0.3")
    assert _generations() == before  # the votes changed neither generation …
    row = _card_row(survey)
    assert (row.votes, row.satisfied, row.households) == (3, 2, 20)  # … and the card counts them all
    assert _counters(survey) == [(3, 2), (0, 0)]


def test_a_flagged_vote_counts_on_the_card_only_once_accepted(world):
    survey = gen_round([world.estate1], households=20)
    for code in all_codes(survey.estates[0])[:7]:
        vote(survey, code, Rating.SATISFIED, address="203.0.113.7")  # the 6th and 7th are flagged
    assert _card_row(survey).votes == 5 and _counters(survey) == [(5, 5)]
    flagged = db.session.scalars(select(SurveyVote).where(SurveyVote.status == VoteStatus.FLAGGED)
                                 .order_by(SurveyVote.id)).all()
    services.review_vote(flagged[0], accept=False, actor=world.officer)
    db.session.commit()
    assert _card_row(survey).votes == 5
    services.review_vote(flagged[1], accept=True, actor=world.officer)
    db.session.commit()
    assert _card_row(survey).votes == 6 and _counters(survey) == [(6, 6)]
    tally = services.estate_results(survey, list(survey.estates))[0].tally
    assert (tally.votes, tally.satisfied) == (6, 6)  # the counters agree with the votes


def test_closing_a_round_brings_its_votes_into_the_cached_dashboard_figures(world):
    rules()
    survey = gen_round([world.estate1], households=10)
    for n, code in enumerate(all_codes(survey.estates[0])[:4]):
        vote(survey, code, Rating.SATISFIED if n else Rating.DISSATISFIED, address=f"10.6.0.{n}")
    indicator, today = get_indicator("satisfaction"), services.local_today()

    def figure():  # as the dashboard keeps its figures: under the "dashboard" generation
        return generations.cached("dashboard", "test_satisfaction", 4, ("total",),
                                  lambda: measure_total(indicator, today))

    assert figure() == Counts(0, 0)  # an open round is not in the indicator
    services.close_round(survey)
    db.session.commit()
    assert figure() == Counts(3, 4)
    row = _card_row(survey)  # the closed round on the card (kept under "surveys"): its counts
    assert (row.votes, row.satisfied) == (4, 3)


def test_recount_rebuilds_the_counters_from_the_votes(world):
    survey = gen_round([world.estate1, world.estate2], households=10)
    one, two = survey.estates
    for n, code in enumerate(all_codes(one)[:3]):
        vote(survey, code, Rating.DISSATISFIED if n == 0 else Rating.FAIRLY, address=f"10.7.0.{n}")
    vote(survey, all_codes(two)[0], Rating.SATISFIED, address="10.7.1.1")
    kept = _counters(survey)
    assert kept == [(3, 2), (1, 1)]
    shards = db.session.execute(select(SurveyVoteTally.round_estate_id, SurveyVoteTally.shard, SurveyVoteTally.votes,
                                       SurveyVoteTally.satisfied).order_by(SurveyVoteTally.round_estate_id,
                                                                           SurveyVoteTally.shard)).all()
    assert len(shards) > 2 and all(0 <= row.shard < TALLY_SHARDS for row in shards)  # spread over shards
    db.session.execute(delete(SurveyVoteTally))
    services.recount([one.id, two.id])
    db.session.commit()
    assert _counters(survey) == kept
    rebuilt = db.session.execute(select(SurveyVoteTally.round_estate_id, SurveyVoteTally.shard, SurveyVoteTally.votes,
                                        SurveyVoteTally.satisfied).order_by(SurveyVoteTally.round_estate_id,
                                                                            SurveyVoteTally.shard)).all()
    assert rebuilt == shards


def _live_answers(survey) -> dict:
    """question id → rating → the counted votes' answers, counted from the answers themselves."""
    out: dict = {}
    for row in db.session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.rating, func.count())
            .join(SurveyVote, SurveyVote.id == SurveyAnswer.vote_id)
            .where(SurveyVote.round_id == survey.id, SurveyVote.status.in_(COUNTING_STATUSES))
            .group_by(SurveyAnswer.question_id, SurveyAnswer.rating)):
        out.setdefault(row[0], {})[Rating(row[1])] = row[2]
    return out


def test_the_answer_tallies_follow_votes_and_reviews_and_recount_rebuilds_them(world):
    survey = gen_round([world.estate1, world.estate2], households=20)
    one, two = survey.estates
    ids = [one.id, two.id]
    for n, code in enumerate(all_codes(one)[:7]):  # the 6th and 7th from one address are flagged
        vote(survey, code, Rating.DISSATISFIED if n == 0 else Rating.SATISFIED, address="203.0.113.9")
    vote(survey, all_codes(two)[0], Rating.FAIRLY, address="10.8.0.1")
    results = services.question_results(survey.id, ids)
    assert results == _live_answers(survey) and sum(results[q][r] for q in results for r in results[q]) > 0
    overall = next(q for q in services.questions_of(survey.question_set_id) if q.is_overall)
    assert results[overall.id] == {Rating.DISSATISFIED: 1, Rating.SATISFIED: 4, Rating.FAIRLY: 1}
    assert services.tallies(survey.id, ids)[one.id].flagged == 2
    flagged = db.session.scalars(select(SurveyVote).where(SurveyVote.status == VoteStatus.FLAGGED)
                                 .order_by(SurveyVote.id)).all()
    services.review_vote(flagged[0], accept=True, actor=world.officer)
    services.review_vote(flagged[1], accept=False, actor=world.officer)
    db.session.commit()
    results = services.question_results(survey.id, ids)
    assert results == _live_answers(survey) and results[overall.id][Rating.SATISFIED] == 5
    assert services.question_results(survey.id, [two.id])[overall.id] == {Rating.FAIRLY: 1}
    assert services.tallies(survey.id, ids)[one.id].flagged == 0
    db.session.execute(delete(SurveyAnswerTally))
    services.recount(ids)
    db.session.commit()
    assert services.question_results(survey.id, ids) == results


def test_the_round_and_estate_pages_read_the_tallies_not_the_votes(world, login_as, count_queries):
    """More votes add no query to the round and estate pages, and the per-question counts they show are the
    answer tallies' (emptied, the pages show no answers until ``recount`` rebuilds them from the votes)."""
    survey = gen_round([world.estate1], households=60)
    codes = all_codes(survey.estates[0])
    vote(survey, codes[0], Rating.DISSATISFIED, address="10.9.0.1")
    client = login_as(world.officer)
    urls = (f"/surveys/{survey.id}", f"/surveys/estates/{survey.estates[0].id}")

    def counted():
        for url in urls:
            client.get(url)  # warm
        out = []
        for url in urls:
            with count_queries() as queries:
                html = client.get(url).get_data(as_text=True)
            out.append((len(queries), html))
        return out

    few = counted()
    for n, code in enumerate(codes[1:30], 1):
        vote(survey, code, Rating.SATISFIED, address=f"10.9.{n}.1")
    many = counted()
    assert [q for q, _html in many] == [q for q, _html in few]
    overall = next(q for q in services.questions_of(survey.question_set_id) if q.is_overall)
    assert services.question_results(survey.id, [survey.estates[0].id])[overall.id] == {
        Rating.DISSATISFIED: 1, Rating.SATISFIED: 29}

    def overall_row(html):  # the question table's row of the overall question
        return html.split(overall.text, 1)[1].split("</tr>", 1)[0]

    assert all('<td class="num">29</td>' in overall_row(html) for _q, html in many)
    db.session.execute(delete(SurveyAnswerTally))
    db.session.commit()
    assert all('<td class="num">29</td>' not in overall_row(html) for _q, html in counted())
    services.recount([survey.estates[0].id])
    db.session.commit()
    assert all('<td class="num">29</td>' in overall_row(html) for _q, html in counted())
