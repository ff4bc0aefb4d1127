"""The survey card of the dashboards: the open rounds and the latest closed ones, with response and
satisfaction rates over the estates the user may see, flagged when below the thresholds.

Scoped like the results page: the bureau sees whole rounds, a street office only its street's
estates of each round, a company only its own estates. The figures come from the round estates' vote
tallies (kept by the vote services, see models.SurveyVoteTally), never from counting the votes. The
rounds, households and closed rounds' counts are kept per process under the "surveys" data generation
(bumped by a change to a round, its estates or the credit rules — not by a vote, which would serialise
every concurrent vote on that generation's row); an open round's counts are read afresh on every
request, in one query over its estates' tallies. So the card takes the same number of queries whatever
the number of rounds and votes, and shows each vote on the next request.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from flask import current_app
from sqlalchemy import case, func, select

from ..core import figures, generations
from ..core.timeutil import local_today
from ..credit.models import CreditGrade, CreditRuleItem, CreditRulePart, CreditRuleSet, CreditRuleSetYear
from ..extensions import db
from ..regions.models import Street
from .models import RoundStatus, SurveyRound, SurveyRoundEstate, SurveyVote, SurveyVoteTally
from .services import Thresholds, rate, thresholds

SURVEYS_TOPIC = "surveys"
# SurveyVote: votes changed through the ORM (a review, the demo's votes). The public vote and the
# tally it adds to are written past the session and bump nothing (services.cast_vote_by_code).
generations.watch(SURVEYS_TOPIC, SurveyRound, SurveyRoundEstate, SurveyVote, SurveyVoteTally)
# The thresholds come from LH-05's parameters in the credit rule set in force.
generations.watch(SURVEYS_TOPIC, CreditRuleSet, CreditRulePart, CreditRuleItem, CreditGrade, CreditRuleSetYear)

CARD_ROUNDS = 5  # open rounds first, then the latest closed ones


@dataclass(frozen=True)
class CardRow:
    round_id: int
    name: str
    status: RoundStatus
    closes_on: date
    threshold_percent: int | None  # fixed when the round closed
    estates: int
    households: int
    votes: int = 0
    satisfied: int = 0

    @property
    def response_rate(self) -> Fraction | None:
        return rate(self.votes, self.households)

    @property
    def satisfaction_rate(self) -> Fraction | None:
        return rate(self.satisfied, self.votes)


@dataclass(frozen=True)
class CardLine:
    row: CardRow
    low_response: bool
    low_satisfaction: bool

    @property
    def flagged(self) -> bool:
        return self.low_response or self.low_satisfaction


def _scope_filter(statement, street_id: int | None, company_id: int | None):
    if street_id is not None:
        statement = statement.where(SurveyRoundEstate.street_id == street_id)
    if company_id is not None:
        statement = statement.where(SurveyRoundEstate.company_id == company_id)
    return statement


def _counts(round_ids: list[int], street_id: int | None, company_id: int | None) -> dict[int, tuple[int, int]]:
    """round id → (counted votes, satisfied) in scope, from the tallies: one query."""
    RE, T = SurveyRoundEstate, SurveyVoteTally
    statement = _scope_filter(
        select(RE.round_id, func.sum(T.votes).label("votes"), func.sum(T.satisfied).label("satisfied"))
        .join(T, T.round_estate_id == RE.id).where(RE.round_id.in_(round_ids)).group_by(RE.round_id),
        street_id, company_id)
    return {r.round_id: (int(r.votes or 0), int(r.satisfied or 0)) for r in db.session.execute(statement)}


def _rows(street_id: int | None, company_id: int | None, limit: int) -> tuple[CardRow, ...]:
    """Two queries: the rounds with their estates and households in scope, then their tallies."""
    RE = SurveyRoundEstate
    rounds = _scope_filter(
        select(SurveyRound.id, SurveyRound.name, SurveyRound.status, SurveyRound.closes_on,
               SurveyRound.threshold_percent, func.count(RE.id).label("estates"),
               func.coalesce(func.sum(RE.households), 0).label("households"))
        .join(RE, RE.round_id == SurveyRound.id)
        .where(SurveyRound.status.in_((RoundStatus.OPEN, RoundStatus.CLOSED)))
        .group_by(SurveyRound.id, SurveyRound.name, SurveyRound.status, SurveyRound.closes_on,
                  SurveyRound.threshold_percent)
        .order_by(case((SurveyRound.status == RoundStatus.OPEN, 0), else_=1), SurveyRound.closes_on.desc(),
                  SurveyRound.id.desc())
        .limit(limit), street_id, company_id)
    found = db.session.execute(rounds).all()
    if not found:
        return ()
    tallies = _counts([r.id for r in found], street_id, company_id)
    return tuple(CardRow(r.id, r.name, RoundStatus(r.status), r.closes_on, r.threshold_percent, int(r.estates),
                         int(r.households), *tallies.get(r.id, (0, 0))) for r in found)


def _live_counts(card: Card, street_id: int | None, company_id: int | None) -> Card:
    """The card with its open rounds' vote counts read now (a vote bumps no generation): one query,
    none without an open round."""
    open_ids = [line.row.round_id for line in card.lines if line.row.status is RoundStatus.OPEN]
    if not open_ids:
        return card
    counts = _counts(open_ids, street_id, company_id)
    lines = []
    for line in card.lines:
        if line.row.status is RoundStatus.OPEN:
            votes, satisfied = counts.get(line.row.round_id, (0, 0))
            line = flag(replace(line.row, votes=votes, satisfied=satisfied), card.limits)
        lines.append(line)
    return Card(tuple(lines), card.limits)


def flag(row: CardRow, limits: Thresholds) -> CardLine:
    """Below the satisfaction threshold (the round's own once closed) or the minimum response rate.
    A round without a vote yet is flagged for its response only."""
    satisfaction_limit = Fraction(row.threshold_percent or limits.satisfaction, 100)
    response, satisfaction = row.response_rate, row.satisfaction_rate
    low_response = response is not None and response < Fraction(limits.min_response, 100)
    low_satisfaction = satisfaction is not None and satisfaction < satisfaction_limit
    return CardLine(row, low_response, low_satisfaction)


@dataclass(frozen=True)
class Card:
    lines: tuple[CardLine, ...]
    limits: Thresholds


def _card(street_id: int | None, company_id: int | None, limit: int, today: date,
          limits: Thresholds | None = None) -> Card:
    found = _rows(street_id, company_id, limit)
    limits = limits or _thresholds(today)
    return Card(tuple(flag(row, limits) for row in found), limits)


STORED_THRESHOLDS = "survey_thresholds"


def _thresholds(today: date) -> Thresholds:
    """``services.thresholds`` of today, kept per process under the "surveys" generation (it watches the credit
    rules) and stored by the committing transaction: a company's card reads it in one query, not the rule set."""
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if size <= 0 or today != local_today():
        return thresholds(today)

    def stored():
        key = today.isoformat()
        payload = figures.load(STORED_THRESHOLDS, generations.current(SURVEYS_TOPIC), [key]).get(key)
        return None if payload is None else Thresholds(*payload)

    return generations.cached(SURVEYS_TOPIC, STORED_THRESHOLDS, 4, (today,), lambda: thresholds(today), stored=stored)


def _precompute_thresholds(keys: list[str]) -> dict[str, figures.Entry]:
    limits = thresholds(local_today())
    return {key: figures.Entry([limits.satisfaction, limits.min_response]) for key in keys}


figures.register(figures.Precomputed(SURVEYS_TOPIC, STORED_THRESHOLDS, lambda: [local_today().isoformat()],
                                     _precompute_thresholds))


def card_for(*, street_id: int | None = None, company_id: int | None = None, limit: int = CARD_ROUNDS) -> Card:
    """The card in the scope, kept per process (and day: the rule set in force) until a round, a
    round's estate or the credit rules change; the open rounds' counts read on every call. The district's
    and each street's card of today are stored by the committing transaction (``core.figures``): a worker's
    first request after a change reads it in one query."""
    today = local_today()
    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if size <= 0:
        return _card(street_id, company_id, limit, today)

    def stored():
        if company_id is not None or limit != CARD_ROUNDS:
            return None
        key = _stored_key(street_id, today)
        payload = figures.load(STORED_CARD, generations.current(SURVEYS_TOPIC), [key]).get(key)
        return None if payload is None else _card_from_payload(payload)

    kept = generations.cached(SURVEYS_TOPIC, "survey_card", size, ("card", street_id, company_id, limit, today),
                              lambda: _card(street_id, company_id, limit, today), stored=stored)
    return _live_counts(kept, street_id, company_id)


# The district's and every active street's card of today, stored by the transaction that changed the rounds,
# their estates or the credit rules (``core.figures``).
STORED_CARD = "survey_card"


def _stored_key(street_id: int | None, day: date) -> str:
    return f"{'district' if street_id is None else street_id}|{day.isoformat()}"


def _stored_scopes() -> dict[str, int | None]:
    day = local_today()
    streets = db.session.scalars(select(Street.id).where(Street.active.is_(True)).order_by(Street.id))
    return {_stored_key(street_id, day): street_id for street_id in (None, *streets)}


def _card_payload(card: Card) -> dict:
    return {"limits": [card.limits.satisfaction, card.limits.min_response],
            "rows": [[row.round_id, row.name, row.status.value, row.closes_on.isoformat(), row.threshold_percent,
                      row.estates, row.households, row.votes, row.satisfied]
                     for row in (line.row for line in card.lines)]}


def _card_from_payload(payload: dict) -> Card:
    limits = Thresholds(*payload["limits"])
    rows = [CardRow(round_id, name, RoundStatus(status), date.fromisoformat(closes_on), threshold, estates,
                    households, votes, satisfied)
            for round_id, name, status, closes_on, threshold, estates, households, votes, satisfied in payload["rows"]]
    return Card(tuple(flag(row, limits) for row in rows), limits)


def _precompute_cards(keys: list[str]) -> dict[str, figures.Entry]:
    today = local_today()
    scopes = _stored_scopes()
    limits = thresholds(today)  # the rule set read once for every scope
    return {key: figures.Entry(_card_payload(_card(scopes[key], None, CARD_ROUNDS, today, limits)))
            for key in keys if key in scopes}


figures.register(figures.Precomputed(SURVEYS_TOPIC, STORED_CARD, lambda: list(_stored_scopes()), _precompute_cards))


def rows(*, street_id: int | None = None, company_id: int | None = None) -> tuple[CardRow, ...]:
    return tuple(line.row for line in card_for(street_id=street_id, company_id=company_id).lines)


def card(user) -> Card:
    """What templates/surveys/_dashboard_card.html shows for ``user``."""
    return card_for(street_id=user.street_id if user.is_street else None,
                    company_id=user.company_id if user.is_company else None)
