"""The complaint register seen from the portal's estate sheet and from the enforcement sweep."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from supervision.complaints.links import VerifiedComplaints
from supervision.complaints.models import State, Verdict
from supervision.enforcement import services as enforcement
from supervision.enforcement.models import EnforcementProposal
from supervision.extensions import db

from ..enforcement.factories import ladder
from .factories import gen_complaint

ON = date(2026, 11, 20)


def _verified(estate, day: int, n: int = 1):
    for _i in range(n):
        gen_complaint(estate, state=State.RESOLVED, verdict=Verdict.VALID,
                      received_at=datetime(2026, 11, day, 2, 0, tzinfo=UTC),
                      verified_at=datetime(2026, 11, day, 6, 0, tzinfo=UTC))


def test_three_verified_complaints_in_30_days_propose_the_next_rung(world, app):
    ladder()
    _verified(world.estate1, 10, n=3)  # company1: three, within the window
    _verified(world.estate2, 10, n=2)  # company2: two, below K
    db.session.commit()
    enforcement.sweep(on=ON)
    db.session.commit()
    proposals = db.session.scalars(select(EnforcementProposal)).all()
    assert {p.company_id for p in proposals} == {world.company1.id}
    # Idempotent: the same month's fact is not proposed again.
    enforcement.sweep(on=ON)
    db.session.commit()
    assert len(db.session.scalars(select(EnforcementProposal)).all()) == len(proposals)
    # Thirty days on, the complaints fall out of the window: the fact counts as rectified.
    assert not VerifiedComplaints().rectified({"company_id": world.company1.id}, ON)
    assert VerifiedComplaints().rectified({"company_id": world.company1.id}, date(2026, 12, 20))


def test_the_public_estate_sheet_shows_the_rates_not_the_people(world, client):
    assert "业主投诉办理" not in client.get(f"/public/estates/{world.estate1.id}").get_data(as_text=True)
    _verified(world.estate1, 10, n=2)
    db.session.commit()
    sheet = client.get(f"/public/estates/{world.estate1.id}").get_data(as_text=True)
    assert "业主投诉办理（近12个月）" in sheet and "2 件" in sheet and "响应率" in sheet
    assert "13812341234" not in sheet and "张三" not in sheet and "1234" not in sheet.split("业主投诉办理")[1][:400]
