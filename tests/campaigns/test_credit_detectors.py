"""Campaign facts become automatic credit events, once each, however often the job runs."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supervision.campaigns.models import Acceptance, AcceptanceVerdict, PhaseKind
from supervision.core.timeutil import local_today, utcnow
from supervision.credit.models import CreditEvent, EventOrigin
from supervision.extensions import db

from ..credit.factories import rules
from .factories import enrol, gen_campaign, gen_item


def _facts(world):
    rules()
    today = local_today()
    campaign = gen_campaign(world, starts_on=today - timedelta(days=60))
    enrolment, other = enrol(campaign, world.estate1, world.estate2, actor=world.officer)
    for e in (enrolment, other):
        e.enrolled_at = e.enrolled_at - timedelta(days=30)  # enrolled before the phase ended
    # estate2's company submits its self-inspection in time; estate1's never does.
    for phase in campaign.phases:
        if phase.kind is PhaseKind.SELF_INSPECTION:
            phase.ends_on = today - timedelta(days=3)
    from supervision.campaigns.services import self_inspection

    submitted = self_inspection.start(other, actor=world.company2_user)
    submitted.first_submitted_at = submitted.submitted_at = utcnow() - timedelta(days=5)  # before the phase end
    late_item = gen_item(enrolment, actor=world.officer)
    late_item.deadline = today - timedelta(days=11)  # overdue by more than BL-20's 10 days
    recent_item = gen_item(enrolment, actor=world.officer)
    recent_item.deadline = today - timedelta(days=5)  # overdue, but not by 10 days yet
    db.session.add(Acceptance(enrolment_id=enrolment.id, inspected_on=today - timedelta(days=1),
                              verdict=AcceptanceVerdict.FAILED, inspected_by_id=world.officer.id))
    db.session.commit()
    return late_item, enrolment


def test_each_fact_yields_one_event(runner, world):
    late_item, enrolment = _facts(world)
    for _ in range(2):
        result = runner.invoke(args=["credit", "auto-events"])
        assert result.exit_code == 0, result.output
    events = db.session.scalars(select(CreditEvent).where(CreditEvent.origin == EventOrigin.AUTOMATIC)).all()
    keys = {e.source_key: e for e in events}
    assert set(keys) == {f"item-overdue:{late_item.id}", f"self-inspection-missing:{enrolment.id}",
                         next(k for k in keys if k.startswith("acceptance-failed:"))}
    assert {e.company_id for e in events} == {world.company1.id}
    assert {e.item.code for e in events} == {"BL-20", "BL-21", "BL-22"}
    assert all(e.estate_id == world.estate1.id for e in events)


def test_the_overdue_event_waits_for_the_rule_s_days(runner, world):
    late_item, _enrolment = _facts(world)
    late_item.deadline = local_today() - timedelta(days=10)  # exactly 10 days: not yet
    db.session.commit()
    runner.invoke(args=["credit", "auto-events", "--detector", "item-overdue"])
    assert db.session.scalar(select(CreditEvent).where(CreditEvent.source_key.like("item-overdue:%"))) is None
