"""The dashboards' survey card: open and latest rounds with response and satisfaction rates, flagged
below the thresholds, scoped to the user's street or company, cached by the "surveys" generation
except the open rounds' vote counts, read from the round estates' vote tallies on every request."""
from __future__ import annotations

import re

from supervision.credit.models import CreditRuleItem
from supervision.credit.services import rule_set_for
from supervision.extensions import db
from supervision.surveys import card
from supervision.surveys.models import Rating, RoundStatus

from ..credit.factories import rules
from .factories import all_codes, gen_round, vote


def _card(html: str) -> str:
    assert 'data-testid="survey-card"' in html, "no survey card on the dashboard"
    return html.split('data-testid="survey-card"')[1].split("</table>")[0]


def _row(html: str, round_id: int) -> str:
    match = re.search(rf'<tr[^>]*data-round="{round_id}">(.*?)</tr>', _card(html), re.S)
    assert match, f"round {round_id} not on the card"
    return match.group(1)


def test_bureau_sees_rates_and_flags_with_a_link_to_the_results(login_as, world):
    rules()  # the thresholds come from LH-05 in the rule set in force
    survey = gen_round([world.estate1, world.estate2], households=10, name="东西测评")
    codes = all_codes(survey.estates[0])
    for code in codes[:4]:
        vote(survey, code, Rating.SATISFIED, address=f"10.0.0.{len(code)}")
    vote(survey, codes[4], Rating.DISSATISFIED, address="10.0.1.1")
    for user in (world.officer, world.leader):
        html = login_as(user).get("/").get_data(as_text=True)
        row = _row(html, survey.id)
        assert f'href="/surveys/{survey.id}"' in row
        assert "25.0%" in row and "(5/20)" in row  # 5 votes of 20 households
        assert "80.0%" in row  # 4 of 5 satisfied
        assert 'data-testid="low-satisfaction"' in row  # 80 % < 90 %
        assert 'data-testid="low-response"' not in row  # 25 % ≥ 20 %


def test_low_response_is_flagged_and_a_round_without_votes_is_not_called_unsatisfied(login_as, world):
    survey = gen_round([world.estate1], households=50, name="冷清测评")
    row = _row(login_as(world.officer).get("/").get_data(as_text=True), survey.id)
    assert 'data-testid="low-response"' in row and 'data-testid="low-satisfaction"' not in row


def test_a_street_office_sees_only_its_streets_estates_and_rounds(login_as, world):
    ours = gen_round([world.estate1, world.estate2], households=10, name="两街道测评")
    theirs = gen_round([world.estate2], households=10, name="西城专项测评")
    for code in all_codes(ours.estates[1])[:3]:  # votes in the other street's estate only
        vote(ours, code, Rating.DISSATISFIED, address=f"10.0.2.{code[:3]}")
    html = login_as(world.street_user).get("/").get_data(as_text=True)
    row = _row(html, ours.id)
    assert "(0/10)" in row  # its own estate's households and votes only
    assert "西城专项测评" not in html and f'data-round="{theirs.id}"' not in html
    other = login_as(world.street2_user).get("/").get_data(as_text=True)
    assert "(3/10)" in _row(other, ours.id) and f'data-round="{theirs.id}"' in other


def test_a_company_sees_only_rounds_of_its_own_estates(login_as, world):
    theirs = gen_round([world.estate2], households=10, name="乙企业测评")
    ours = gen_round([world.estate1], households=10, name="甲企业测评")
    html = login_as(world.company_user).get("/").get_data(as_text=True)
    assert f'data-round="{ours.id}"' in _card(html)
    assert "乙企业测评" not in html and f'data-round="{theirs.id}"' not in html
    # The link opens the round's results for the company (its estates only).
    assert login_as(world.company_user).get(f"/surveys/{ours.id}").status_code == 200


def test_open_rounds_come_first_and_drafts_are_left_out(world):
    closed = gen_round([world.estate1], name="已结束测评")
    closed.status = RoundStatus.CLOSED
    draft = gen_round([world.estate1], status=RoundStatus.DRAFT, name="筹备测评")
    opened = gen_round([world.estate1], name="进行中测评")
    ids = [row.round_id for row in card.rows()]
    assert ids[0] == opened.id and closed.id in ids and draft.id not in ids


def test_the_card_shows_a_vote_at_once_and_keeps_the_query_count_flat(login_as, world, count_queries):
    rules()
    survey = gen_round([world.estate1], households=10)
    client = login_as(world.officer)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    for index in range(3):
        gen_round([world.estate1, world.estate2], households=10, name=f"更多测评{index}")
    codes = all_codes(survey.estates[0])
    vote(survey, codes[0], Rating.SATISFIED)
    html = client.get("/").get_data(as_text=True)
    assert "(1/10)" in _row(html, survey.id)  # the vote shows on the very next request
    with count_queries() as many:
        client.get("/")
    assert len(many) == len(few)


def test_a_changed_threshold_shows_at_once(login_as, world):
    rules()
    survey = gen_round([world.estate1], households=10)
    for index, code in enumerate(all_codes(survey.estates[0])[:5]):
        vote(survey, code, Rating.SATISFIED if index < 4 else Rating.DISSATISFIED, address=f"10.9.0.{index}")
    client = login_as(world.officer)
    assert 'data-testid="low-satisfaction"' in _row(client.get("/").get_data(as_text=True), survey.id)  # 80 %
    item = db.session.scalar(db.select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set_for().id,
                                                             CreditRuleItem.code == "LH-05"))
    item.params = {**(item.params or {}), "satisfaction_percent": 75}
    db.session.commit()
    assert 'data-testid="low-satisfaction"' not in _row(client.get("/").get_data(as_text=True), survey.id)


def test_the_committing_transaction_stores_the_district_and_street_cards(app, world, count_queries):
    """A worker's first card after a change of the rounds is read from the store (one query), equal to the
    card computed live; a company's card (not stored) is computed, its thresholds read from the store."""
    from flask import current_app

    from supervision.core import generations
    from supervision.core.timeutil import local_today

    rules()
    survey = gen_round([world.estate1, world.estate2], households=10)
    vote(survey, all_codes(survey.estates[0])[0], Rating.SATISFIED)
    db.session.commit()
    today = local_today()
    for street_id in (None, world.street1.id):
        for cache in current_app.extensions.values():
            if isinstance(cache, generations.LRUCache):
                cache.clear()
        with app.test_request_context("/"):
            generations.current(card.SURVEYS_TOPIC)
            with count_queries() as queries:
                shown = card.card_for(street_id=street_id)
            assert shown == card._live_counts(card._card(street_id, None, card.CARD_ROUNDS, today), street_id, None)
        assert [row.round_id for row in card.rows(street_id=street_id)] == [survey.id]
        assert not any("survey_rounds" in statement for statement in queries), street_id
        assert sum("stored_figures" in statement for statement in queries) == 1
    for cache in current_app.extensions.values():
        if isinstance(cache, generations.LRUCache):
            cache.clear()
    with app.test_request_context("/"):
        generations.current(card.SURVEYS_TOPIC)
        with count_queries() as queries:
            card.card_for(company_id=world.company1.id)
    assert not any("credit_rule_sets" in statement for statement in queries)
