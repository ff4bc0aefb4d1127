"""Owners' satisfaction surveys (满意度测评).

- A ``SurveyQuestionSet`` holds ``SurveyQuestion``s, each answered 满意 / 基本满意 / 不满意; one
  question is the overall one (总体评价), whose answers make the satisfaction rate.
- A ``SurveyRound`` is one survey the bureau runs (name, period, question set) over a set of
  estates, each a ``SurveyRoundEstate`` holding the estate's street, company and households as on
  the day the round was set up.
- A ``SurveyCode`` is one household's one-time code. Only its SHA-256 is stored; the code itself is
  derived from a server key, the round-estate's salt and the code's serial number (see
  ``codes.py``), so the sheet of QR codes can be printed again but the database alone gives none.
- A ``SurveyVote`` is one household's answers (``SurveyAnswer`` per question). A vote made by code
  consumes the code (``UPDATE … WHERE used_at IS NULL``; ``code_id`` is unique besides); a vote made
  by room number and phone is unique per (round, household). A vote from a suspicious burst is
  *flagged* and counts only once an officer accepts it.
- A ``Household`` is the smallest household register: room and a keyed hash of the phone.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.models import TimestampMixin, VersionedMixin
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime, enum_column
from ..extensions import db


class Rating(LabelledEnum):
    SATISFIED = ("satisfied", _l("满意"), "success")
    FAIRLY = ("fairly", _l("基本满意"), "info")
    DISSATISFIED = ("dissatisfied", _l("不满意"), "danger")


# The ratings that count as satisfied in the satisfaction rate (满意 + 基本满意).
SATISFIED_RATINGS = (Rating.SATISFIED, Rating.FAIRLY)


class RoundStatus(LabelledEnum):
    DRAFT = ("draft", _l("筹备中"), "secondary")
    OPEN = ("open", _l("测评中"), "primary")
    CLOSED = ("closed", _l("已结束"), "success")


class VoteStatus(LabelledEnum):
    COUNTED = ("counted", _l("有效"), "success")
    FLAGGED = ("flagged", _l("待复核"), "warning")
    ACCEPTED = ("accepted", _l("复核有效"), "success")
    REJECTED = ("rejected", _l("复核无效"), "dark")


# The votes that count in the results.
COUNTING_STATUSES = (VoteStatus.COUNTED, VoteStatus.ACCEPTED)


class VoteMethod(LabelledEnum):
    CODE = ("code", _l("测评码"), "primary")
    REGISTER = ("register", _l("房号+手机号"), "info")


class SurveyQuestionSet(TimestampMixin, db.Model):
    __tablename__ = "survey_question_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))

    questions: Mapped[list[SurveyQuestion]] = relationship(back_populates="question_set",
                                                           order_by="SurveyQuestion.position")

    def __str__(self) -> str:
        return self.name

    scope_clause = scoping.Everyone()


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("question_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_set_id: Mapped[int] = mapped_column(ForeignKey("survey_question_sets.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The overall question (总体评价): its answers make the satisfaction rate.
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)

    question_set: Mapped[SurveyQuestionSet] = relationship(back_populates="questions")

    def __str__(self) -> str:
        return self.text

    scope_clause = scoping.Everyone()


class SurveyRound(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date, index=True)
    question_set_id: Mapped[int] = mapped_column(ForeignKey("survey_question_sets.id"), index=True)
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus), default=RoundStatus.DRAFT, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The satisfaction threshold (percent) applied when the round was closed (from the credit rule set).
    threshold_percent: Mapped[int | None] = mapped_column(Integer)

    question_set: Mapped[SurveyQuestionSet] = relationship()
    estates: Mapped[list[SurveyRoundEstate]] = relationship(back_populates="round")
    created_by = relationship("User")

    def __str__(self) -> str:
        return self.name

    def accepts_votes(self, today: date) -> bool:
        return self.status is RoundStatus.OPEN and self.opens_on <= today <= self.closes_on

    # A street office or company sees a round that includes one of its estates.
    scope_clause = scoping.Via("estates")


class FollowUp(LabelledEnum):
    CREDIT = ("credit", _l("已提出加分建议"), "success")
    RECTIFY = ("rectify", _l("已发整改提示"), "warning")
    NONE = ("none", _l("无（无有效票）"), "secondary")


class SurveyRoundEstate(db.Model):
    """One estate in a round, with its street, company and households as when it was added."""

    __tablename__ = "survey_round_estates"
    __table_args__ = (UniqueConstraint("round_id", "estate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    households: Mapped[int] = mapped_column(Integer, default=0)
    # Keys the codes of this estate (with the server key); a new salt voids the old sheet.
    code_salt: Mapped[str] = mapped_column(String(32))
    codes_count: Mapped[int] = mapped_column(Integer, default=0)
    codes_generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up: Mapped[FollowUp | None] = mapped_column(enum_column(FollowUp))

    round: Mapped[SurveyRound] = relationship(back_populates="estates")
    estate = relationship("Estate")
    street = relationship("Street")
    company = relationship("Company")

    def __str__(self) -> str:
        return f"{self.round.name} · {self.estate.name}" if self.round and self.estate else "测评小区"

    scope_clause = scoping.ByStreetOrCompany()


# Shards of a round estate's tally: concurrent votes in one estate update different rows (a vote's
# shard is its id modulo this), so they do not queue behind one row lock until each commits.
TALLY_SHARDS = 16


class SurveyVoteTally(db.Model):
    """The counted votes (有效 + 复核有效) of a round estate and those of them satisfied (总体评价 满意 or
    基本满意), in ``TALLY_SHARDS`` rows per estate: kept by the vote services in the vote's transaction
    (services.count_vote; services.recount rebuilds them). The dashboard card sums them instead of
    counting millions of votes, or being invalidated by every vote."""

    __tablename__ = "survey_vote_tallies"

    round_estate_id: Mapped[int] = mapped_column(ForeignKey("survey_round_estates.id"), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    votes: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)


class SurveyAnswerTally(db.Model):
    """The counted votes' answers of a round estate by question and rating, in ``TALLY_SHARDS`` rows (the
    vote's shard, as ``SurveyVoteTally``): kept with the vote tally in the vote's transaction
    (services.count_vote; services.recount rebuilds them). The round and estate pages sum them per question
    instead of counting every answer of every vote."""

    __tablename__ = "survey_answer_tallies"

    round_estate_id: Mapped[int] = mapped_column(ForeignKey("survey_round_estates.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), primary_key=True)
    rating: Mapped[Rating] = mapped_column(enum_column(Rating), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    answers: Mapped[int] = mapped_column(Integer, default=0)


class SurveyCode(db.Model):
    __tablename__ = "survey_codes"
    __table_args__ = (UniqueConstraint("round_estate_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_estate_id: Mapped[int] = mapped_column(ForeignKey("survey_round_estates.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    # SHA-256 (hex) of the normalised code: the only trace of the code in the database.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    round_estate: Mapped[SurveyRoundEstate] = relationship()

    # Codes are for the bureau and the street that hands them out; never for the company.
    scope_clause = scoping.ByStreet(scoping.Via("round_estate"))


class Household(TimestampMixin, db.Model):
    """The smallest household register: a room of an estate and a keyed hash of its phone."""

    __tablename__ = "survey_households"
    __table_args__ = (UniqueConstraint("estate_id", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    room: Mapped[str] = mapped_column(String(64))
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(16))  # 138****1234: the only form ever shown

    estate = relationship("Estate")

    scope_clause = scoping.ByStreet(scoping.Via("estate"))


class SurveyVote(db.Model):
    __tablename__ = "survey_votes"
    __table_args__ = (
        UniqueConstraint("round_id", "household_id"),
        Index("ix_survey_votes_round_estate_created", "round_estate_id", "created_at"),
        Index("ix_survey_votes_round_address_created", "round_id", "address_hash", "created_at"),
        # The votes awaiting review of some estates (the round and estate pages' 待复核 counts): few rows.
        Index("ix_survey_votes_status_round_estate", "status", "round_estate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"), index=True)
    round_estate_id: Mapped[int] = mapped_column(ForeignKey("survey_round_estates.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    method: Mapped[VoteMethod] = mapped_column(enum_column(VoteMethod))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("survey_codes.id"), unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("survey_households.id"))
    overall: Mapped[Rating] = mapped_column(enum_column(Rating))
    comment: Mapped[str | None] = mapped_column(Text)
    # A keyed hash of the client address: compares votes from one address, never shows it.
    address_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[VoteStatus] = mapped_column(enum_column(VoteStatus), default=VoteStatus.COUNTED, index=True)
    flag_reason: Mapped[str | None] = mapped_column(String(255))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[SurveyRound] = relationship()
    round_estate: Mapped[SurveyRoundEstate] = relationship()
    answers: Mapped[list[SurveyAnswer]] = relationship(back_populates="vote")
    reviewed_by = relationship("User")

    def __str__(self) -> str:
        return f"测评票 #{self.id}"

    @property
    def counts(self) -> bool:
        return self.status in COUNTING_STATUSES

    # Votes (and comments) are for the bureau and the estate's street; companies see the results only.
    scope_clause = scoping.ByStreet()


class SurveyAnswer(db.Model):
    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("vote_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("survey_votes.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), index=True)
    rating: Mapped[Rating] = mapped_column(enum_column(Rating))

    vote: Mapped[SurveyVote] = relationship(back_populates="answers")

    scope_clause = scoping.Via("vote")
