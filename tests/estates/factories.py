"""Factories for estates' owners' committees (estates themselves: ``tests.factories.gen_estate``)."""
from __future__ import annotations

from datetime import date

from supervision.estates.models import CommitteeStatus, OwnersCommittee
from supervision.estates.services import add_years
from supervision.extensions import db

from ..factories import gen_community, gen_estate, gen_street  # noqa: F401


def gen_committee(estate, status: CommitteeStatus = CommitteeStatus.FORMED, *, elected_on: date | None = None,
                  term_years: int = 5, **kw) -> OwnersCommittee:
    if status in (CommitteeStatus.FORMED, CommitteeStatus.EXPIRED):
        elected_on = elected_on or date(2022, 3, 1)
        kw.setdefault("term_end", add_years(elected_on, term_years))
        kw.setdefault("prep_group_on", date(elected_on.year - 1, 12, 1))
    if status is CommitteeStatus.PREPARING:
        kw.setdefault("prep_group_on", date(2026, 1, 5))
    committee = OwnersCommittee(estate_id=estate.id, status=status, elected_on=elected_on, term_years=term_years,
                                **kw)
    db.session.add(committee)
    db.session.flush()
    db.session.refresh(estate)
    return committee
