"""生成抽查样本: a random sample of estates to check, weighted by risk, reproducible from its seed.

Every estate (not archived; of one street if asked) is a candidate with weight

    1 + 2 × overdue open rectification items (at most 5 counted)
      + 1 × complaints received in the last 30 days (from the start of the day 30 days ago) (at most 5 counted)
      + 2 or 4 for the managing company's published credit grade: the second-lowest band, or the lowest
        band / an override grade / the black list, in the latest credit publication (corrections applied),

so an estate without any risk can still be drawn, and a risky one is drawn earlier more often. The draw
is weighted sampling without replacement (Efraimidis–Spirakis): each candidate, in order of id, takes
``u = rng.random()`` from ``random.Random(seed)`` and the key ``u ** (1 / weight)``; the sample is the
``size`` largest keys, largest first. The same seed over the same data gives the same list.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...audit.services import record
from ...complaints.models import Complaint, Kind
from ...core.errors import DomainError
from ...core.timeutil import local_day_bounds_utc, local_today
from ...credit.corrections import latest_corrections
from ...credit.models import CreditGrade, CreditPublication, CreditPublicationRow
from ...estates.models import Estate
from ...extensions import db
from ..models import RectificationItem, SpotCheck, SpotCheckSample
from .common import require_bureau

OVERDUE_POINTS, OVERDUE_CAP = 2, 5
COMPLAINT_POINTS, COMPLAINT_CAP = 1, 5
COMPLAINT_DAYS = 30
LOWEST_GRADE_POINTS, LOW_GRADE_POINTS = 4, 2
MAX_SIZE = 50
MAX_SEED = 2**31 - 1


@dataclass
class Candidate:
    estate_id: int
    overdue: int = 0
    complaints: int = 0
    grade: str | None = None  # the grade label, when it adds risk
    grade_points: int = 0

    @property
    def weight(self) -> int:
        return (1 + OVERDUE_POINTS * min(self.overdue, OVERDUE_CAP)
                + COMPLAINT_POINTS * min(self.complaints, COMPLAINT_CAP) + self.grade_points)

    def entry(self) -> dict:
        return {"estate_id": self.estate_id, "weight": self.weight, "overdue": self.overdue,
                "complaints": self.complaints, "grade": self.grade, "grade_points": self.grade_points}


def _overdue_by_estate(today: date) -> dict[int, int]:
    return dict(db.session.execute(
        select(RectificationItem.estate_id, func.count(RectificationItem.id))
        .where(RectificationItem.overdue_clause(today)).group_by(RectificationItem.estate_id)).all())


def _complaints_by_estate(today: date) -> dict[int, int]:
    since, _end = local_day_bounds_utc(today - timedelta(days=COMPLAINT_DAYS))
    return dict(db.session.execute(
        select(Complaint.estate_id, func.count(Complaint.id))
        .where(Complaint.kind == Kind.COMPLAINT, Complaint.estate_id.is_not(None), Complaint.received_at >= since)
        .group_by(Complaint.estate_id)).all())


def _grade_points_by_company() -> dict[int, tuple[str, int]]:
    """Company id → (grade label, points) from the latest publication, for the grades that add risk."""
    publication = db.session.scalar(select(CreditPublication).order_by(
        CreditPublication.published_at.desc(), CreditPublication.id.desc()).limit(1))
    if publication is None:
        return {}
    lowest_band = db.session.scalar(select(func.max(CreditGrade.rank)).where(
        CreditGrade.rule_set_id == publication.rule_set_id, CreditGrade.banded.is_(True))) or 0
    rows = list(db.session.scalars(select(CreditPublicationRow).where(
        CreditPublicationRow.publication_id == publication.id)))
    corrected = latest_corrections(row.id for row in rows)
    result = {}
    for row in rows:
        fix = corrected.get(row.id)
        label, rank, black = ((fix.new_grade_label, fix.new_grade_rank, fix.new_black) if fix is not None
                              else (row.grade_label, row.grade_rank, row.black))
        if black or rank >= lowest_band:
            result[row.company_id] = (label, LOWEST_GRADE_POINTS)
        elif rank == lowest_band - 1:
            result[row.company_id] = (label, LOW_GRADE_POINTS)
    return result


def candidates(today: date, street_id: int | None = None) -> list[Candidate]:
    """Every estate that may be drawn, in order of id, with its risk (a fixed number of queries)."""
    statement = select(Estate.id, Estate.company_id).where(Estate.archived_at.is_(None)).order_by(Estate.id)
    if street_id is not None:
        statement = statement.where(Estate.street_id == street_id)
    estates = db.session.execute(statement).all()
    overdue, complaints, grades = _overdue_by_estate(today), _complaints_by_estate(today), _grade_points_by_company()
    result = []
    for estate_id, company_id in estates:
        grade, points = grades.get(company_id, (None, 0)) if company_id is not None else (None, 0)
        result.append(Candidate(estate_id, overdue.get(estate_id, 0), complaints.get(estate_id, 0), grade, points))
    return result


def draw(pool: list[Candidate], size: int, seed: int) -> list[Candidate]:
    """``size`` candidates without replacement, weighted; the same pool and seed give the same list."""
    rng = Random(seed)
    keyed = [(rng.random() ** (1.0 / c.weight), c) for c in sorted(pool, key=lambda c: c.estate_id)]
    keyed.sort(key=lambda pair: (-pair[0], pair[1].estate_id))
    return [c for _key, c in keyed[:size]]


def create_sample(*, actor, size: int, street=None, seed: int | None = None,
                  today: date | None = None) -> SpotCheckSample:
    require_bureau(actor, _("生成抽查样本"))
    if not 1 <= (size or 0) <= MAX_SIZE:
        raise DomainError(_("样本量应在1至%(n)s之间。", n=MAX_SIZE), field="size")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise DomainError(_("随机种子应在0至%(n)s之间。", n=MAX_SEED), field="seed")
    today = today or local_today()
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    pool = candidates(today, street.id if street is not None else None)
    if not pool:
        raise DomainError(_("没有可抽取的小区。"), field="street")
    drawn = draw(pool, size, seed)
    sample = SpotCheckSample(seed=seed, size=size, street_id=street.id if street is not None else None,
                             drawn_on=today, created_by_id=actor.id, entries=[c.entry() for c in drawn])
    db.session.add(sample)
    db.session.flush()
    record("spot_check_sample.create", sample, actor=actor,
           after={"seed": seed, "size": size, "street_id": sample.street_id, "estate_ids": sample.estate_ids})
    return sample


def checked_estates(sample: SpotCheckSample) -> dict[int, int]:
    """Estate id → the first spot check recorded with the sample."""
    return dict(db.session.execute(
        select(SpotCheck.estate_id, func.min(SpotCheck.id)).where(SpotCheck.sample_id == sample.id)
        .group_by(SpotCheck.estate_id)).all())


def require_in_sample(sample: SpotCheckSample, estate) -> None:
    if estate.id not in sample.estate_ids:
        raise DomainError(_("所选小区不在抽查样本 #%(n)s 中。", n=sample.id), field="estate_id")
