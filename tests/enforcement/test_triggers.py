"""Each trigger proposes from its facts, and stops once they are rectified; the sweep is idempotent."""
from __future__ import annotations

from datetime import date

from supervision.campaigns.models import AcceptanceVerdict, CampaignPhase, ItemState, PhaseKind
from supervision.enforcement import services, triggers
from supervision.enforcement.models import EnforcementFact, ProposalStatus
from supervision.extensions import db

from ..reports.factories import gen_acceptance, gen_campaign, gen_enrolment, gen_self_inspection, local, utc
from .factories import DEADLINE, ON, confirmed_interview, ladder, overdue_item, pending, workdays_after


def test_an_item_overdue_by_n_working_days_is_proposed_for_interview(world, app):
    ladder()
    n = app.config.get("ENFORCEMENT_OVERDUE_WORKDAYS", 10)
    item = overdue_item(world.estate1)
    db.session.commit()
    assert services.sweep(on=workdays_after(DEADLINE, n - 1)).proposals == 0
    result = services.sweep(on=workdays_after(DEADLINE, n))
    assert result.proposals == 1
    [proposal] = pending()
    assert proposal.rung.code == "interview" and proposal.company_id == world.company1.id
    assert proposal.estate_id == world.estate1.id and proposal.street_id == world.street1.id
    assert [f.key for f in proposal.facts] == [f"item-overdue:{item.id}"]


def test_an_accepted_or_bureau_waiting_item_is_not_proposed(world):
    ladder()
    overdue_item(world.estate1, state=ItemState.ACCEPTED)
    waiting = overdue_item(world.estate2, state=ItemState.SUBMITTED)
    waiting.submitted_on = date(2026, 8, 30)  # answered before its deadline: the bureau's turn
    db.session.commit()
    assert services.sweep(on=ON).proposals == 0


def test_the_sweep_is_idempotent(world):
    ladder()
    overdue_item(world.estate1)
    overdue_item(world.estate2)
    first = services.sweep(on=ON)
    db.session.commit()
    second = services.sweep(on=ON)
    assert (first.proposals, first.facts) == (2, 2)
    assert (second.proposals, second.facts, second.attached) == (0, 0, 0)
    assert len(pending()) == 2


def test_new_facts_join_the_pending_proposal_of_the_same_company_and_estate(world):
    ladder()
    overdue_item(world.estate1)
    services.sweep(on=ON)
    overdue_item(world.estate1)
    result = services.sweep(on=ON)
    assert (result.proposals, result.attached) == (0, 1)
    [proposal] = pending()
    assert len(proposal.facts) == 2


def test_a_dismissed_proposal_is_not_proposed_again(world):
    ladder()
    overdue_item(world.estate1)
    services.sweep(on=ON)
    [proposal] = pending()
    services.dismiss_proposal(proposal, reason="企业已提交延期申请并获批准", actor=world.officer)
    db.session.commit()
    assert services.sweep(on=ON).proposals == 0
    assert proposal.status is ProposalStatus.DISMISSED


def test_acceptance_failed_twice_is_proposed_and_a_pass_rectifies_it(world):
    ladder()
    enrolment = gen_enrolment(gen_campaign(), world.estate2)
    gen_acceptance(enrolment, date(2026, 10, 8), AcceptanceVerdict.FAILED)
    db.session.commit()
    assert services.sweep(on=ON).proposals == 0  # once is not enough
    gen_acceptance(enrolment, date(2026, 10, 20), AcceptanceVerdict.FAILED)
    services.sweep(on=ON)
    [proposal] = pending()
    assert proposal.company_id == world.company2.id
    assert proposal.facts[0].key == f"acceptance-failed-twice:{enrolment.id}"
    trigger = triggers.by_name("acceptance-failed-twice")
    assert not trigger.rectified(proposal.facts[0].ref, ON)
    gen_acceptance(enrolment, date(2026, 11, 2), AcceptanceVerdict.PASSED)
    assert trigger.rectified(proposal.facts[0].ref, ON)


def _with_self_inspection_phase(ends_on: date):
    campaign = gen_campaign()
    campaign.phases.append(CampaignPhase(position=3, kind=PhaseKind.SELF_INSPECTION, name="自查自纠",
                                         starts_on=date(2026, 8, 3), ends_on=ends_on))
    db.session.flush()
    return campaign


def test_a_self_inspection_not_submitted_by_the_deadline_is_proposed(world):
    ladder()
    campaign = _with_self_inspection_phase(date(2026, 9, 30))
    missing = gen_enrolment(campaign, world.estate1)
    on_time = gen_enrolment(_with_self_inspection_phase(date(2026, 9, 30)), world.estate2)
    gen_self_inspection(on_time, utc(local(2026, 9, 20)), first_submitted_at=utc(local(2026, 9, 20)))
    db.session.commit()
    assert services.sweep(on=date(2026, 9, 30)).proposals == 0  # the phase has not ended yet
    services.sweep(on=ON)
    [proposal] = pending()
    assert [f.key for f in proposal.facts] == [f"self-inspection-missing:{missing.id}"]


def test_a_recorded_refusal_is_proposed_and_closes_when_rectified(world):
    ladder()
    refusal = services.record_refusal(company=world.company2, estate=world.estate2, occurred_on=date(2026, 11, 20),
                                      description="拒不清理消防通道堆放物", actor=world.officer, on=ON)
    services.sweep(on=ON)
    [proposal] = pending()
    assert proposal.facts[0].key == f"refusal:{refusal.id}"
    step = services.confirm_proposal(proposal, actor=world.officer, on=ON)
    services.mark_refusal_rectified(refusal, actor=world.officer, on=ON)
    assert services.sweep(on=ON).closed == 1
    assert step.case.status.value == "closed"


def test_an_overdue_follow_up_proposes_the_next_rung(world):
    ladder()
    _item, step = confirmed_interview(world)
    services.record_interview(step, interviewed_on=date(2026, 12, 3), attendees="企业负责人张某、项目经理李某",
                              commitments="两周内清理完毕", follow_up_on=date(2026, 12, 17), actor=world.officer,
                              on=date(2026, 12, 3))
    db.session.commit()
    assert services.sweep(on=date(2026, 12, 17)).proposals == 0
    services.sweep(on=date(2026, 12, 18))
    [proposal] = pending()
    assert proposal.rung.code == "circular" and proposal.case_id == step.case_id
    assert proposal.facts[0].key == f"follow-up-overdue:{step.id}"


def test_triggers_are_a_registry_another_feature_extends(world):
    ladder()

    class Complaints:
        name, label = "complaints-test", "投诉"

        def facts(self, on):
            yield triggers.Fact(key="complaints-test:1", company_id=world.company1.id, estate_id=world.estate1.id,
                                occurred_on=on, summary="30日内经核实投诉5件", ref={})

        def rectified(self, ref, on):
            return False

    triggers.register(Complaints())
    try:
        services.sweep(on=ON)
        assert [p.facts[0].trigger for p in pending()] == ["complaints-test"]
        assert db.session.scalar(db.select(EnforcementFact.trigger)) == "complaints-test"
    finally:
        triggers.TRIGGERS[:] = [t for t in triggers.TRIGGERS if t.name != "complaints-test"]


def test_a_proposal_whose_facts_were_rectified_is_withdrawn(world):
    ladder()
    item = overdue_item(world.estate1)
    services.sweep(on=ON)
    [proposal] = pending()
    item.state = ItemState.ACCEPTED
    services.sweep(on=ON)
    assert pending() == [] and proposal.status is ProposalStatus.DISMISSED and "已整改" in proposal.reason
