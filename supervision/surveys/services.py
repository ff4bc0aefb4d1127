"""Survey rounds: setting up, codes, voting, review, results and what follows from them.

Services flush and never commit; the caller commits (a vote: the public view, in one transaction).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..audit.services import record, record_change, snapshot
from ..core import generations, numbers
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today, utcnow
from ..credit import services as credit_services
from ..credit.automatic import record_automatic_event
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import company_users, notify, street_users
from . import codes
from .models import (
    COUNTING_STATUSES,
    SATISFIED_RATINGS,
    TALLY_SHARDS,
    FollowUp,
    Household,
    Rating,
    RoundStatus,
    SurveyAnswer,
    SurveyAnswerTally,
    SurveyCode,
    SurveyQuestion,
    SurveyQuestionSet,
    SurveyRound,
    SurveyRoundEstate,
    SurveyVote,
    SurveyVoteTally,
    VoteMethod,
    VoteStatus,
)

STANDARD_SET = "standard"
# Settings (override in the app config): the suspicious-burst rule and the public page's rate limit.
DEFAULTS = {"SURVEY_FLAG_MINUTES": 10, "SURVEY_FLAG_PER_ADDRESS": 5, "SURVEY_FLAG_PER_ESTATE": 60,
            "SURVEY_VOTE_RATE_LIMIT": "20 per minute;200 per day", "SURVEY_PAGE_RATE_LIMIT": "60 per minute"}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])
CODE_BATCH = 5000
PHONE = re.compile(r"^1\d{10}$")


# --- question sets -------------------------------------------------------------------------

def question_sets() -> list[SurveyQuestionSet]:
    return list(db.session.scalars(select(SurveyQuestionSet).order_by(SurveyQuestionSet.id)))


def questions_of(question_set_id: int) -> list[SurveyQuestion]:
    return list(db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.question_set_id == question_set_id)
                                   .order_by(SurveyQuestion.position, SurveyQuestion.id)))


# --- rounds -------------------------------------------------------------------------------

def estate_statement(*, street_id: int | None = None, company_id: int | None = None, q: str | None = None):
    """The estates (in use) a round may include, filtered by street, company and name."""
    statement = select(Estate).where(Estate.archived_at.is_(None))
    if street_id:
        statement = statement.where(Estate.street_id == street_id)
    if company_id:
        statement = statement.where(Estate.company_id == company_id)
    if q:
        statement = statement.where(Estate.name.contains(q.strip(), autoescape=True))
    return statement.order_by(Estate.street_id, Estate.name_sort)


def create_round(*, name: str, opens_on: date, closes_on: date, question_set: SurveyQuestionSet,
                 estates: Iterable[Estate], notes: str | None = None, actor=None) -> SurveyRound:
    estates = list(estates)
    if closes_on < opens_on:
        raise DomainError(_("结束日期不能早于开始日期。"), field="closes_on")
    if not estates:
        raise DomainError(_("请至少选择一个小区。"), field="estates")
    if not question_set.questions or not any(q.is_overall for q in question_set.questions):
        raise DomainError(_("问卷须包含总体评价题。"), field="question_set_id")
    survey = SurveyRound(name=name.strip(), opens_on=opens_on, closes_on=closes_on, question_set_id=question_set.id,
                         status=RoundStatus.DRAFT, notes=(notes or "").strip() or None,
                         created_by_id=getattr(actor, "id", None))
    db.session.add(survey)
    db.session.flush()
    for estate in estates:
        db.session.add(SurveyRoundEstate(round_id=survey.id, estate_id=estate.id, street_id=estate.street_id,
                                         company_id=estate.company_id, households=estate.households or 0,
                                         code_salt=codes.new_salt(), codes_count=0))
    db.session.flush()
    record("survey_round.create", survey, after={**snapshot(survey, ["name", "opens_on", "closes_on",
                                                                     "question_set_id"]),
                                                 "estates": [e.id for e in estates]}, actor=actor)
    return survey


def open_round(survey: SurveyRound, *, actor=None) -> SurveyRound:
    if survey.status is not RoundStatus.DRAFT:
        raise TransitionError(_("只有筹备中的测评可以开始。"))
    before = snapshot(survey, ["status"])
    survey.status = RoundStatus.OPEN
    db.session.flush()
    record_change("survey_round.open", survey, before, actor=actor)
    return survey


def close_round(survey: SurveyRound, *, actor=None, on: date | None = None) -> SurveyRound:
    """End the round and act on its results (credit proposals and follow-ups, see ``follow_up``).
    Flagged votes still waiting for review do not count: review them before closing."""
    # FOR UPDATE waits for the votes holding the round's row (key-share, ``_VOTE_BALLOT``) and makes the next
    # ones wait for the close, then read the round as closed.
    db.session.execute(select(SurveyRound.id).where(SurveyRound.id == survey.id).with_for_update())
    db.session.refresh(survey)
    if survey.status is not RoundStatus.OPEN:
        raise TransitionError(_("只有测评中的轮次可以结束。"))
    before = snapshot(survey, ["status", "closed_at", "threshold_percent"])
    survey.status = RoundStatus.CLOSED
    survey.closed_at = utcnow()
    survey.threshold_percent = thresholds(on).satisfaction
    db.session.flush()
    record_change("survey_round.close", survey, before, actor=actor)
    follow_up(survey, actor=actor, on=on)
    return survey


# --- codes --------------------------------------------------------------------------------

def generate_codes(round_estate: SurveyRoundEstate, *, count: int | None = None, actor=None,
                   progress=None) -> int:
    """One code per household of the estate (or ``count``); a second run voids the first sheet.
    Only while the round is being prepared: once voting began, a code handed out must stay valid."""
    survey = round_estate.round
    if survey.status is not RoundStatus.DRAFT:
        raise TransitionError(_("测评开始后不能重新生成测评码。"))
    count = round_estate.households if count is None else count
    if count <= 0:
        raise DomainError(_("该小区台账未填写户数，无法生成测评码。"))
    db.session.execute(delete(SurveyCode).where(SurveyCode.round_estate_id == round_estate.id))
    round_estate.code_salt = codes.new_salt()
    key = codes.code_key()
    for start in range(1, count + 1, CODE_BATCH):
        serials = range(start, min(start + CODE_BATCH, count + 1))
        db.session.execute(insert(SurveyCode), [
            {"round_estate_id": round_estate.id, "serial": serial,
             "code_hash": codes.code_hash(codes.derive(key, round_estate.id, round_estate.code_salt, serial))}
            for serial in serials])
        if progress is not None:
            progress(serials[-1], count)
    round_estate.codes_count = count
    round_estate.codes_generated_at = utcnow()
    db.session.flush()
    record("survey_codes.generate", round_estate, after={"count": count}, actor=actor)
    return count


def generate_round_codes(survey: SurveyRound, *, actor=None, progress=None) -> int:
    """Codes for every estate of the round at once (one per household; earlier codes void), written in
    batches across estates: what a district-wide round needs (2 million codes, see bench/surveys.py)."""
    if survey.status is not RoundStatus.DRAFT:
        raise TransitionError(_("测评开始后不能重新生成测评码。"))
    round_estates = list(db.session.scalars(select(SurveyRoundEstate).where(SurveyRoundEstate.round_id == survey.id)
                                            .order_by(SurveyRoundEstate.id)))
    db.session.execute(delete(SurveyCode).where(SurveyCode.round_estate_id.in_(
        select(SurveyRoundEstate.id).where(SurveyRoundEstate.round_id == survey.id))))
    key = codes.code_key()
    total = sum(max(re_.households, 0) for re_ in round_estates)
    done, batch, now = 0, [], utcnow()
    for round_estate in round_estates:
        round_estate.code_salt = codes.new_salt()
        salt, re_id = round_estate.code_salt, round_estate.id
        for serial in range(1, round_estate.households + 1):
            batch.append({"round_estate_id": re_id, "serial": serial,
                          "code_hash": codes.code_hash(codes.derive(key, re_id, salt, serial))})
        round_estate.codes_count = max(round_estate.households, 0)
        round_estate.codes_generated_at = now
        if len(batch) >= CODE_BATCH * 4:
            _insert_codes(batch)
            done += len(batch)
            batch = []
            if progress is not None:
                progress(done, total)
    if batch:
        _insert_codes(batch)
    db.session.flush()
    record("survey_codes.generate_round", survey, after={"count": total, "estates": len(round_estates)}, actor=actor)
    return total


def _insert_codes(rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL (several times faster than INSERTs for millions), else executemany."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(SurveyCode), rows)
        return
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy("COPY survey_codes (round_estate_id, serial, code_hash) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((row["round_estate_id"], row["serial"], row["code_hash"]))


def sheet_codes(round_estate: SurveyRoundEstate) -> list[tuple[int, str]]:
    """(serial, code) for the estate's sheet, derived again from the key and the salt."""
    key = codes.code_key()
    return [(serial, codes.derive(key, round_estate.id, round_estate.code_salt, serial))
            for serial in range(1, round_estate.codes_count + 1)]


# --- voting -------------------------------------------------------------------------------

class VoteRefused(DomainError):
    """The vote cannot be taken (a used or unknown code, a closed round...); the message says why."""


class UnknownCode(VoteRefused):
    """No code like this one exists (the public page answers 404, not 409)."""


@dataclass(frozen=True)
class Ballot:
    """What the public page knows about a code before the vote: the round and the estate."""

    code_id: int | None
    round_estate_id: int
    round_id: int
    round_name: str
    estate_name: str
    question_set_id: int
    used: bool
    accepts_votes: bool
    street_id: int = 0
    company_id: int | None = None


_BALLOT = (select(SurveyCode.id, SurveyCode.used_at, SurveyRoundEstate.id.label("round_estate_id"),
                  SurveyRound.id.label("round_id"), SurveyRound.name.label("round_name"), SurveyRound.status,
                  SurveyRound.opens_on, SurveyRound.closes_on, SurveyRound.question_set_id,
                  Estate.name.label("estate_name"), SurveyRoundEstate.street_id, SurveyRoundEstate.company_id)
           .join(SurveyRoundEstate, SurveyRoundEstate.id == SurveyCode.round_estate_id)
           .join(SurveyRound, SurveyRound.id == SurveyRoundEstate.round_id)
           .join(Estate, Estate.id == SurveyRoundEstate.estate_id))


_BALLOT_BY_HASH = _BALLOT.where(SurveyCode.code_hash == bindparam("code_hash"))
# The public vote's statements, built once (a vote is the hot path: see bench/surveys.py). Core tables,
# not the ORM entities, run on the session's connection: no ORM execution or persistence work per vote.
#
# Past the session, a vote bumps no data generation (core/generations.py): no upsert of a shared
# generation row that every concurrent vote would queue behind until its commit. Nothing cached needs
# one: a vote only goes into an open round, the dashboard's satisfaction indicator reads closed rounds
# only (closing a round bumps "dashboard"), and the survey card reads open rounds' counts live from the
# round estates' tallies that the vote increments (card.py).
_CODES, _VOTES, _ANSWERS = SurveyCode.__table__, SurveyVote.__table__, SurveyAnswer.__table__
_ROUND_ESTATES, _ROUNDS, _ESTATES = SurveyRoundEstate.__table__, SurveyRound.__table__, Estate.__table__
_CONSUME = (update(_CODES).where(_CODES.c.id == bindparam("code_id"), _CODES.c.used_at.is_(None))
            .values(used_at=bindparam("now")))
_RECENT = select(func.count()).select_from(_VOTES).where(_VOTES.c.created_at >= bindparam("since"))
_FROM_ADDRESS = _RECENT.where(_VOTES.c.address_hash == bindparam("address_hash"))
_BURST = select(
    _FROM_ADDRESS.where(_VOTES.c.round_id == bindparam("round_id")).scalar_subquery(),
    _RECENT.where(_VOTES.c.round_estate_id == bindparam("round_estate_id")).scalar_subquery())
# What a vote by code needs before it is written, in one round trip: the ballot, the round's version
# (keys the cached questions) and the burst counts (correlated with the code's round and estate).
_VOTE_BALLOT = (
    select(_CODES.c.id, _CODES.c.used_at, _ROUND_ESTATES.c.id.label("round_estate_id"),
           _ROUNDS.c.id.label("round_id"), _ROUNDS.c.name.label("round_name"), _ROUNDS.c.status,
           _ROUNDS.c.opens_on, _ROUNDS.c.closes_on, _ROUNDS.c.question_set_id, _ESTATES.c.name.label("estate_name"),
           _ROUND_ESTATES.c.street_id, _ROUND_ESTATES.c.company_id, _ROUNDS.c.version, _ROUNDS.c.created_at,
           _FROM_ADDRESS.where(_VOTES.c.round_id == _ROUNDS.c.id).scalar_subquery().label("from_address"),
           _RECENT.where(_VOTES.c.round_estate_id == _ROUND_ESTATES.c.id).scalar_subquery().label("in_estate"))
    .select_from(_CODES.join(_ROUND_ESTATES, _ROUND_ESTATES.c.id == _CODES.c.round_estate_id)
                 .join(_ROUNDS, _ROUNDS.c.id == _ROUND_ESTATES.c.round_id)
                 .join(_ESTATES, _ESTATES.c.id == _ROUND_ESTATES.c.estate_id))
    .where(_CODES.c.code_hash == bindparam("code_hash"))
    # The round's row key-share locked (PostgreSQL; SQLite has one writer anyway): closing a round locks it
    # FOR UPDATE, so a vote either commits before the round closes or waits and finds it closed — never a
    # vote in a closed round that the workers' cached figures of that round would not count.
    .with_for_update(of=_ROUNDS, key_share=True, read=True))
_INSERT_VOTE = insert(_VOTES).returning(_VOTES.c.id)
_INSERT_ANSWERS: dict[int, object] = {}  # number of answers → one multi-row INSERT, built once
_QUESTIONS = SurveyQuestion.__table__
_QUESTION_ROWS = (select(_QUESTIONS.c.id, _QUESTIONS.c.is_overall)
                  .where(_QUESTIONS.c.question_set_id == bindparam("question_set_id"))
                  .order_by(_QUESTIONS.c.position, _QUESTIONS.c.id))
_QUESTION_CACHE = "survey_vote_questions"  # app.extensions key
_QUESTION_CACHE_SIZE = 64


def question_rows(question_set_id: int):
    """(id, is_overall) of the set's questions: all a vote needs of them (no ORM objects)."""
    return db.session.execute(_QUESTION_ROWS, {"question_set_id": question_set_id}).all()


def _cached_question_rows(row) -> tuple:
    """The round's questions, kept per process under the round's id, version and creation time.

    A question set has no editor and a round's set never changes, so the key can only go stale when
    the round itself is replaced (a new database: a new creation time) or changed (a new version)."""
    cache = current_app.extensions.setdefault(_QUESTION_CACHE, {})
    key = (row.round_id, row.version, row.created_at, row.question_set_id)
    questions = cache.get(key)
    if questions is None:
        questions = tuple(question_rows(row.question_set_id))
        if len(cache) >= _QUESTION_CACHE_SIZE:
            cache.clear()
        cache[key] = questions
    return questions


def _ballot(row, today: date) -> Ballot:
    accepts = row.status is RoundStatus.OPEN and row.opens_on <= today <= row.closes_on
    return Ballot(row.id, row.round_estate_id, row.round_id, row.round_name, row.estate_name, row.question_set_id,
                  row.used_at is not None, accepts, row.street_id, row.company_id)


def ballot_for_code(typed: str | None, today: date | None = None) -> Ballot | None:
    code = codes.normalise(typed)
    if code is None:
        return None
    row = db.session.execute(_BALLOT_BY_HASH, {"code_hash": codes.code_hash(code)}).one_or_none()
    if row is None:
        return None
    return _ballot(row, today or local_today())


def _check_answers(questions, answers: dict[int, str]) -> dict[int, Rating]:
    ratings = {}
    for question in questions:
        value = answers.get(question.id)
        try:
            ratings[question.id] = Rating(value)
        except ValueError:
            raise DomainError(_("请回答全部问题。"), field=f"q{question.id}") from None
    return ratings


def cast_vote_by_code(typed: str, answers: dict[int, str], *, comment: str | None, address: str | None,
                      today: date | None = None) -> int:
    """Take one household's vote with its code (returns the vote's id); the code is used up in the same transaction.

    Four statements: the ballot with the burst counts, the code consumed, the vote, its answers (the
    questions come from a per-process cache). The code is consumed by ONE conditional UPDATE
    (``used_at IS NULL``): of two requests with one code, the second waits for the first's row lock
    and then matches no row, so it is refused; the unique ``code_id`` of the vote is a second guard."""
    code = codes.normalise(typed)
    if code is None:
        raise UnknownCode(_("测评码无效，请核对后重新输入。"))
    address_hash = codes.keyed_hash(address or "unknown")
    since = utcnow() - timedelta(minutes=setting("SURVEY_FLAG_MINUTES"))
    connection = db.session.connection()
    row = connection.execute(_VOTE_BALLOT, {"code_hash": codes.code_hash(code), "address_hash": address_hash,
                                            "since": since}).one_or_none()
    if row is None:
        raise UnknownCode(_("测评码无效，请核对后重新输入。"))
    ballot = _ballot(row, today or local_today())
    if ballot.used:
        raise VoteRefused(_("该测评码已使用，每户只能投票一次。"))
    if not ballot.accepts_votes:
        raise VoteRefused(_("本次测评不在投票期内。"))
    questions = _cached_question_rows(row)
    ratings = _check_answers(questions, answers)
    consumed = connection.execute(_CONSUME, {"code_id": ballot.code_id, "now": utcnow()}).rowcount
    if consumed != 1:
        raise VoteRefused(_("该测评码已使用，每户只能投票一次。"))
    return _add_vote(ballot, questions, ratings, comment=comment, address_hash=address_hash,
                     reason=_burst_reason(row.from_address, row.in_estate), method=VoteMethod.CODE,
                     code_id=ballot.code_id)


def normalise_room(room: str | None) -> str:
    return re.sub(r"\s+", "", (room or "")).replace("－", "-").upper()[:64]


def normalise_phone(phone: str | None) -> str | None:
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits if PHONE.match(digits) else None


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def has_register(estate_id: int) -> bool:
    return db.session.scalar(select(Household.id).where(Household.estate_id == estate_id).limit(1)) is not None


def cast_vote_by_register(round_estate: SurveyRoundEstate, *, room: str, phone: str, answers: dict[int, str],
                          comment: str | None, address: str | None, today: date | None = None) -> int:
    """Take a vote from a room number and phone that match the household register.
    The answer never says whether the room or the phone was wrong."""
    survey = round_estate.round
    # As ``_VOTE_BALLOT``: the round's row key-share locked and read again, so a closing waits for this vote.
    db.session.execute(select(SurveyRound.id).where(SurveyRound.id == survey.id)
                       .with_for_update(key_share=True, read=True))
    db.session.refresh(survey)
    if not survey.accepts_votes(today or local_today()):
        raise VoteRefused(_("本次测评不在投票期内。"))
    normal = normalise_phone(phone)
    household = None
    if normal is not None:
        household = db.session.scalar(select(Household).where(
            Household.estate_id == round_estate.estate_id, Household.room == normalise_room(room),
            Household.phone_hash == codes.keyed_hash(normal)))
    if household is None:
        raise VoteRefused(_("房号与手机号不符合登记信息，请核对或使用测评码。"))
    questions = questions_of(survey.question_set_id)
    ratings = _check_answers(questions, answers)
    try:
        with db.session.begin_nested():
            ballot = Ballot(None, round_estate.id, survey.id, survey.name, "", survey.question_set_id, False, True,
                            round_estate.street_id, round_estate.company_id)
            address_hash = codes.keyed_hash(address or "unknown")
            return _add_vote(ballot, questions, ratings, comment=comment, address_hash=address_hash,
                             reason=_flag_reason(survey.id, round_estate.id, address_hash),
                             method=VoteMethod.REGISTER, household_id=household.id)
    except IntegrityError:
        raise VoteRefused(_("该户已参加本次测评，每户只能投票一次。")) from None


def _flag_reason(round_id: int, round_estate_id: int, address_hash: str) -> str | None:
    """Why a vote about to be taken looks like part of a burst (None: it does not). One query."""
    since = utcnow() - timedelta(minutes=setting("SURVEY_FLAG_MINUTES"))
    row = db.session.execute(_BURST, {"since": since, "round_id": round_id, "address_hash": address_hash,
                                      "round_estate_id": round_estate_id}).one()
    return _burst_reason(*row)


def _burst_reason(from_address: int, in_estate: int) -> str | None:
    """The flag of a vote, from the votes of the last minutes from its address (in its round) and in its estate."""
    minutes = setting("SURVEY_FLAG_MINUTES")
    if from_address >= setting("SURVEY_FLAG_PER_ADDRESS"):
        return _("%(minutes)s 分钟内同一网络地址已有 %(n)s 票", minutes=minutes, n=from_address)
    if in_estate >= setting("SURVEY_FLAG_PER_ESTATE"):
        return _("%(minutes)s 分钟内同一小区已有 %(n)s 票", minutes=minutes, n=in_estate)
    return None


def _insert_answers(count: int):
    """``INSERT … VALUES (…), (…)`` for ``count`` answers, built once per count: a statement built per
    vote would be compiled again every time (a multi-row VALUES misses SQLAlchemy's compiled cache)."""
    statement = _INSERT_ANSWERS.get(count)
    if statement is None:
        statement = _INSERT_ANSWERS[count] = insert(_ANSWERS).values([
            {"vote_id": bindparam("vote_id"), "question_id": bindparam(f"q{n}"), "rating": bindparam(f"r{n}")}
            for n in range(count)])
    return statement


@functools.cache
def _count_statement(dialect_name: str):
    # Built once per dialect: an upsert of the vote's shard of its estate's tally.
    table = SurveyVoteTally.__table__
    insert = postgresql_insert if dialect_name == "postgresql" else sqlite_insert
    statement = insert(table).values(round_estate_id=bindparam("round_estate_id"), shard=bindparam("shard"),
                                     votes=1, satisfied=bindparam("satisfied"))
    return statement.on_conflict_do_update(index_elements=["round_estate_id", "shard"], set_={
        "votes": table.c.votes + 1, "satisfied": table.c.satisfied + statement.excluded.satisfied})


def count_vote(connection, vote_id: int, round_estate_id: int, overall: Rating,
               answers: dict[int, Rating] | None = None) -> None:
    """Add a vote that counts (有效 or 复核有效) to its round estate's tallies (the votes, and its answers by
    question and rating), in the caller's transaction. ``answers``: question id → rating (read from the
    vote's answers when not given)."""
    shard = vote_id % TALLY_SHARDS
    connection.execute(_count_statement(connection.dialect.name), {
        "round_estate_id": round_estate_id, "shard": shard,
        "satisfied": int(Rating(overall) in SATISFIED_RATINGS)})
    if answers is None:
        answers = dict(connection.execute(select(_ANSWERS.c.question_id, _ANSWERS.c.rating)
                                          .where(_ANSWERS.c.vote_id == vote_id)).all())
    if not answers:
        return
    parameters = {"round_estate_id": round_estate_id, "shard": shard}
    for n, (question_id, rating) in enumerate(sorted(answers.items())):
        parameters[f"q{n}"], parameters[f"r{n}"] = question_id, Rating(rating)
    connection.execute(_count_answers_statement(connection.dialect.name, len(answers)), parameters)


@functools.cache
def _count_answers_statement(dialect_name: str, count: int):
    # Built once per dialect and number of answers: one multi-row upsert of the vote's shard of its estate's
    # answer tallies (one row per question: a vote answers each question once).
    table = SurveyAnswerTally.__table__
    insert = postgresql_insert if dialect_name == "postgresql" else sqlite_insert
    statement = insert(table).values([
        {"round_estate_id": bindparam("round_estate_id"), "shard": bindparam("shard"),
         "question_id": bindparam(f"q{n}"), "rating": bindparam(f"r{n}", type_=table.c.rating.type), "answers": 1}
        for n in range(count)])
    return statement.on_conflict_do_update(index_elements=["round_estate_id", "question_id", "rating", "shard"],
                                           set_={"answers": table.c.answers + 1})


def recount(round_estate_ids: Iterable[int]) -> None:
    """Rebuild the round estates' tallies from their votes (after votes written past the vote services)."""
    ids = list(round_estate_ids)
    counting = SurveyVote.status.in_(COUNTING_STATUSES)
    shard = SurveyVote.id % TALLY_SHARDS
    db.session.execute(delete(SurveyVoteTally).where(SurveyVoteTally.round_estate_id.in_(ids)))
    db.session.execute(insert(SurveyVoteTally).from_select(
        ["round_estate_id", "shard", "votes", "satisfied"],
        select(SurveyVote.round_estate_id, shard, func.sum(case((counting, 1), else_=0)),
               func.sum(case((counting & SurveyVote.overall.in_(SATISFIED_RATINGS), 1), else_=0)))
        .where(SurveyVote.round_estate_id.in_(ids)).group_by(SurveyVote.round_estate_id, shard)))
    db.session.execute(delete(SurveyAnswerTally).where(SurveyAnswerTally.round_estate_id.in_(ids)))
    db.session.execute(insert(SurveyAnswerTally).from_select(
        ["round_estate_id", "question_id", "rating", "shard", "answers"],
        select(SurveyVote.round_estate_id, SurveyAnswer.question_id, SurveyAnswer.rating, shard, func.count())
        .join(SurveyVote, SurveyVote.id == SurveyAnswer.vote_id)
        .where(SurveyVote.round_estate_id.in_(ids), counting)
        .group_by(SurveyVote.round_estate_id, SurveyAnswer.question_id, SurveyAnswer.rating, shard)))


def _add_vote(ballot: Ballot, questions, ratings: dict[int, Rating], *, comment, address_hash: str,
              reason: str | None, method: VoteMethod, code_id: int | None = None,
              household_id: int | None = None) -> int:
    """Insert the vote and its answers and count it (Core: three statements); the vote's id."""
    connection = db.session.connection()
    overall = ratings[next(q for q in questions if q.is_overall).id]
    vote_id = connection.execute(_INSERT_VOTE, {
        "round_id": ballot.round_id, "round_estate_id": ballot.round_estate_id, "street_id": ballot.street_id,
        "company_id": ballot.company_id, "method": method, "code_id": code_id, "household_id": household_id,
        "overall": overall, "comment": (comment or "").strip()[:1000] or None,
        "address_hash": address_hash, "status": VoteStatus.FLAGGED if reason else VoteStatus.COUNTED,
        "flag_reason": reason, "created_at": utcnow()}).scalar_one()
    # One multi-row INSERT (not executemany: one round trip to the database, not one per answer).
    parameters = {"vote_id": vote_id}
    for n, (question_id, rating) in enumerate(ratings.items()):
        parameters[f"q{n}"], parameters[f"r{n}"] = question_id, rating
    connection.execute(_insert_answers(len(ratings)), parameters)
    if reason is None:  # a flagged vote counts once a reviewer accepts it (review_vote)
        count_vote(connection, vote_id, ballot.round_estate_id, overall, ratings)
    return vote_id


def review_vote(vote: SurveyVote, *, accept: bool, actor=None) -> SurveyVote:
    if vote.status is not VoteStatus.FLAGGED:
        raise TransitionError(_("只有待复核的票可以复核。"))
    if vote.round.status is RoundStatus.CLOSED:
        raise TransitionError(_("测评已结束，结果已确定。"))
    before = snapshot(vote, ["status", "reviewed_by_id", "reviewed_at"])
    # Only while still flagged, in one statement: of two reviews at once (a double click, two reviewers)
    # one decides and the other is refused, so an accepted vote is counted once.
    decided = db.session.execute(
        update(SurveyVote).where(SurveyVote.id == vote.id, SurveyVote.status == VoteStatus.FLAGGED)
        .values(status=VoteStatus.ACCEPTED if accept else VoteStatus.REJECTED,
                reviewed_by_id=getattr(actor, "id", None), reviewed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        db.session.refresh(vote)
        raise TransitionError(_("只有待复核的票可以复核。"))
    generations.wrote(db.session, SurveyVote.__tablename__)
    db.session.refresh(vote)
    if accept:
        count_vote(db.session.connection(), vote.id, vote.round_estate_id, vote.overall)
    record_change("survey_vote.review", vote, before, actor=actor)
    return vote


# --- results ------------------------------------------------------------------------------

def rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


@dataclass
class Tally:
    """Counts behind one line of results: households, counted votes, satisfied (总体评价 满意+基本满意)."""

    households: int = 0
    votes: int = 0
    satisfied: int = 0
    flagged: int = 0

    def add(self, other: Tally) -> None:
        self.households += other.households
        self.votes += other.votes
        self.satisfied += other.satisfied
        self.flagged += other.flagged

    @property
    def response_rate(self) -> Fraction | None:
        return rate(self.votes, self.households)

    @property
    def satisfaction_rate(self) -> Fraction | None:
        return rate(self.satisfied, self.votes)


@dataclass
class EstateResult:
    round_estate: SurveyRoundEstate
    tally: Tally


@dataclass
class GroupResult:
    key: int | None
    name: str
    tally: Tally = field(default_factory=Tally)
    estates: int = 0


def tallies(round_id: int, round_estate_ids: list[int] | None = None) -> dict[int, Tally]:
    """round-estate id → Tally: the counted and satisfied votes from the estates' vote tallies (kept with each
    vote, ``SurveyVoteTally``), the votes awaiting review counted (few, on the status index)."""
    T = SurveyVoteTally
    counted = select(T.round_estate_id, func.sum(T.votes).label("votes"), func.sum(T.satisfied).label("satisfied"))
    flagged = select(SurveyVote.round_estate_id, func.count().label("flagged")).where(
        SurveyVote.status == VoteStatus.FLAGGED)
    if round_estate_ids is not None:  # the round's estates (ix_survey_votes_status_round_estate)
        counted = counted.where(T.round_estate_id.in_(round_estate_ids))
        flagged = flagged.where(SurveyVote.round_estate_id.in_(round_estate_ids))
    else:
        flagged = flagged.where(SurveyVote.round_id == round_id)
        counted = counted.join(SurveyRoundEstate, SurveyRoundEstate.id == T.round_estate_id).where(
            SurveyRoundEstate.round_id == round_id)
    out = {row.round_estate_id: Tally(0, int(row.votes or 0), int(row.satisfied or 0))
           for row in db.session.execute(counted.group_by(T.round_estate_id))}
    for row in db.session.execute(flagged.group_by(SurveyVote.round_estate_id)):
        out.setdefault(row.round_estate_id, Tally()).flagged = int(row.flagged)
    return out


def estate_results(survey: SurveyRound, round_estates: list[SurveyRoundEstate]) -> list[EstateResult]:
    counts = tallies(survey.id, [re.id for re in round_estates])
    results = []
    for round_estate in round_estates:
        tally = counts.get(round_estate.id, Tally())
        tally.households = round_estate.households
        results.append(EstateResult(round_estate, tally))
    return results


def group_results(results: list[EstateResult], by: str) -> list[GroupResult]:
    """Results summed per company (``by="company"``) or street: the rates of the sums."""
    groups: dict[int | None, GroupResult] = {}
    for result in results:
        re_ = result.round_estate
        key = getattr(re_, f"{by}_id")
        owner = getattr(re_, by)
        group = groups.setdefault(key, GroupResult(key, owner.name if owner else _("（无物业企业）")))
        group.tally.add(result.tally)
        group.estates += 1
    return sorted(groups.values(), key=lambda g: (g.key is None, g.name))


def total_of(results: list[EstateResult]) -> Tally:
    tally = Tally()
    for result in results:
        tally.add(result.tally)
    return tally


def question_results(round_id: int, round_estate_ids: list[int]) -> dict[int, dict[Rating, int]]:
    """question id → rating → counted answers, over the given estates of the round: the sums of their answer
    tallies (``SurveyAnswerTally``, kept with each vote), not a count of the answers."""
    statement = (select(SurveyAnswerTally.question_id, SurveyAnswerTally.rating,
                        func.sum(SurveyAnswerTally.answers).label("n"))
                 .where(SurveyAnswerTally.round_estate_id.in_(round_estate_ids))
                 .group_by(SurveyAnswerTally.question_id, SurveyAnswerTally.rating))
    out: dict[int, dict[Rating, int]] = {}
    for row in db.session.execute(statement):
        if row.n:
            out.setdefault(row.question_id, {})[Rating(row.rating)] = int(row.n)
    return out


# --- credit and follow-up -----------------------------------------------------------------

@dataclass(frozen=True)
class Thresholds:
    satisfaction: int  # percent: at or above, LH-05 is proposed
    min_response: int  # percent: below it, the result is too thin to earn credit


CREDIT_CODE = "LH-05"


def thresholds(on: date | None = None) -> Thresholds:
    """From the credit rule set in force: LH-05's params ``satisfaction_percent`` (default 90, the
    clause's 达到90%以上) and ``min_response_percent`` (default 20)."""
    try:  # the rule set in force read once for both (``credit.automatic.rule_param`` reads it per parameter)
        params = credit_services.item_by_code(credit_services.rule_set_for(on), CREDIT_CODE).params or {}
    except DomainError:
        params = {}
    return Thresholds(int(params.get("satisfaction_percent", 90)), int(params.get("min_response_percent", 20)))


def earns_credit(tally: Tally, limits: Thresholds) -> bool:
    satisfaction, response = tally.satisfaction_rate, tally.response_rate
    return (satisfaction is not None and satisfaction >= Fraction(limits.satisfaction, 100)
            and response is not None and response >= Fraction(limits.min_response, 100))


def follow_up(survey: SurveyRound, *, actor=None, on: date | None = None) -> dict[str, int]:
    """After the round: a company at or above the threshold (over all its estates in the round, with
    enough responses) gets a *draft* LH-05 event — a proposal the bureau issues or drops on the
    credit pages; every estate below it gets a rectification prompt to its company and street."""
    on = on or local_today()
    limits = Thresholds(survey.threshold_percent or thresholds(on).satisfaction, thresholds(on).min_response)
    results = estate_results(survey, list(survey.estates))
    done = {"proposed": 0, "follow_ups": 0}
    for group in group_results(results, "company"):
        if group.key is None or not earns_credit(group.tally, limits):
            continue
        _event, created = record_automatic_event(
            company=group.key, rule_code=CREDIT_CODE, source_key=f"survey:{survey.id}:company:{group.key}",
            occurred_on=min(survey.closes_on, on), notify=False, on=on,
            description=_("%(round)s：满意率 %(rate)s，参评率 %(response)s（%(votes)s/%(households)s 户）",
                          round=survey.name, rate=percent(group.tally.satisfaction_rate),
                          response=percent(group.tally.response_rate), votes=group.tally.votes,
                          households=group.tally.households))
        done["proposed"] += int(created)
    for result in results:
        re_ = result.round_estate
        satisfaction = result.tally.satisfaction_rate
        if satisfaction is None:
            re_.follow_up = FollowUp.NONE
            continue
        if satisfaction >= Fraction(limits.satisfaction, 100):
            re_.follow_up = FollowUp.CREDIT
            continue
        re_.follow_up = FollowUp.RECTIFY
        title = _("满意度测评：%(estate)s 满意率 %(rate)s，低于 %(threshold)s%%，请制定整改措施",
                  estate=re_.estate.name, rate=percent(satisfaction), threshold=limits.satisfaction)
        users = street_users(re_.street_id) + (company_users(re_.company_id) if re_.company_id else [])
        notify(users, kind="survey_follow_up", title=title, dedup_key=f"survey-follow-up:{re_.id}",
               body=_("请对照测评中不满意的服务项目整改，并向街道报告整改情况。"))
        done["follow_ups"] += 1
    db.session.flush()
    record("survey_round.follow_up", survey, after=done, actor=actor)
    return done


def percent(value: Fraction | None) -> str:
    return numbers.percent(value)
