"""``flask seed demo`` tells the credit story with whatever companies exist."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.companies.models import Company
from supervision.credit import company_file
from supervision.credit.corrections import stale_rows
from supervision.credit.models import (
    ClueStatus,
    CreditClue,
    CreditCorrection,
    CreditEvent,
    CreditObjection,
    CreditPublication,
    EventStatus,
    ObjectionStatus,
)
from supervision.extensions import db

from ..factories import gen_company


def _count(model, *where):
    return db.session.scalar(select(func.count(model.id)).where(*where))


def test_the_demo_year_of_credit_records(demo):
    with demo.app.app_context():
        _check_credit_story()


def _check_credit_story():
    assert _count(Company) >= 5  # the registries' demo companies, or four the credit demo adds
    rows = company_file.current_scores()
    assert sum(r.black for r in rows) == 1 and sum(r.red for r in rows) >= 1
    assert {r.grade.code for r in rows} >= {"AAA", "BLACK", "C-MISSING"}
    statuses = {row[0]: row[1] for row in db.session.execute(
        select(CreditObjection.status, func.count()).group_by(CreditObjection.status))}
    assert statuses[ObjectionStatus.PENDING] >= 1 and statuses[ObjectionStatus.UPHELD] >= 1
    assert statuses[ObjectionStatus.REVOKED] >= 1
    assert _count(CreditEvent, CreditEvent.status == EventStatus.REVOKED) >= 2
    # The only drafts are proposals waiting for the bureau: from a survey round or a verified complaint.
    drafts = db.session.scalars(select(CreditEvent.source_key).where(CreditEvent.status == EventStatus.DRAFT)).all()
    assert all(key and key.startswith(("survey:", "complaint:")) for key in drafts)
    assert {c.status for c in db.session.scalars(select(CreditClue))} == set(ClueStatus)
    assert _count(CreditPublication) == 1
    correction = db.session.scalar(select(CreditCorrection))  # a record revoked after publication, corrected
    assert correction is not None and correction.number.startswith("更正〔") and correction.rows
    assert stale_rows(correction.publication) == []
    # The demo company can object to a notice still within its window.
    from supervision.auth.models import User
    from supervision.core.timeutil import local_today

    user = db.session.scalar(select(User).where(User.username == "company"))
    open_events = [e for e in db.session.scalars(select(CreditEvent).where(CreditEvent.company_id == user.company_id))
                   if e.objection_open(local_today())]
    assert open_events


def test_the_demo_works_with_many_registered_companies(runner):
    import random

    from supervision.credit.demo import seed_demo

    runner.invoke(args=["seed", "reference"])
    for _ in range(30):
        gen_company()
    db.session.commit()
    seed_demo(random.Random(1))
    db.session.commit()
    assert _count(Company) == 30  # nothing added when there are enough companies
    events = _count(CreditEvent)
    assert events > 60
    assert sum(r.black for r in company_file.current_scores()) == 1
    seed_demo(random.Random(1))
    db.session.commit()
    assert _count(CreditEvent) == events
