"""Confirming, dismissing, escalating, approving, numbering and closing cases."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from supervision.campaigns.models import ItemState
from supervision.core.errors import DomainError
from supervision.credit.models import EventStatus
from supervision.enforcement import services
from supervision.enforcement.models import CaseStatus, LegalArticle, ProposalStatus, StepStatus
from supervision.extensions import db

from .factories import ON, confirmed_interview, ladder, overdue_item, pending


def test_confirming_opens_a_case_numbers_the_notice_and_notifies_the_credit_item(world):
    ladder()
    _item, step = confirmed_interview(world)
    case = step.case
    assert case.status is CaseStatus.OPEN and case.rung.code == "interview"
    assert (case.company_id, case.estate_id, case.street_id) == (world.company1.id, world.estate1.id, world.street1.id)
    assert step.number == "〔2026〕约谈第0001号" and step.status is StepStatus.ISSUED
    event = step.credit_event
    assert event.item.code == "BL-07" and event.status is EventStatus.NOTIFIED  # the objection window is open
    assert event.notice_number and event.objection_deadline > ON
    assert pending() == []


def test_dismissing_needs_a_reason(world):
    ladder()
    overdue_item(world.estate1)
    services.sweep(on=ON)
    [proposal] = pending()
    with pytest.raises(DomainError):
        services.dismiss_proposal(proposal, reason="  ", actor=world.officer)
    with pytest.raises(DomainError):
        services.dismiss_proposal(proposal, reason="已延期", actor=world.leader)  # a leader does not handle them
    services.dismiss_proposal(proposal, reason="已批准延期", actor=world.officer)
    assert proposal.status is ProposalStatus.DISMISSED and proposal.reason == "已批准延期"
    assert proposal.case_id is None


def test_numbers_run_per_document_kind_and_year(world):
    ladder()
    _i1, first = confirmed_interview(world, world.estate1)
    _i2, second = confirmed_interview(world, world.estate2)
    assert (first.number, second.number) == ("〔2026〕约谈第0001号", "〔2026〕约谈第0002号")
    circular = services.take_step(first.case, services.rung_by_code("circular"), actor=world.officer, on=ON)
    assert circular.number == "〔2026〕通报第0001号"
    assert circular.credit_event.item.code == "BL-08"


def test_an_officer_cannot_approve_an_exposure_a_leader_can(world):
    ladder()
    _item, step = confirmed_interview(world)
    exposure = services.take_step(step.case, services.rung_by_code("exposure"), actor=world.officer, on=ON)
    assert exposure.status is StepStatus.PENDING and exposure.number is None
    assert step.case.rung.code == "interview"  # not before the leader approves
    for user in (world.officer, world.admin):
        with pytest.raises(DomainError):
            services.approve_step(exposure, actor=user, on=ON)
    with pytest.raises(DomainError):  # nor may the case climb past a step waiting for approval
        services.take_step(step.case, services.rung_by_code("penalty"), actor=world.officer, article=None, on=ON)
    services.approve_step(exposure, actor=world.leader, on=ON)
    assert exposure.status is StepStatus.PUBLISHED and exposure.number == "〔2026〕曝光第0001号"
    assert exposure.approved_by_id == world.leader.id and exposure.approving_office == "测试区住房和城乡建设局"
    assert step.case.rung.code == "exposure"


def test_a_penalty_cites_an_article_within_its_range(world):
    ladder()
    _item, step = confirmed_interview(world)
    article = db.session.scalar(db.select(LegalArticle).where(LegalArticle.code == "62"))
    assert article.article == "第六十二条" and article.max_amount == Decimal("100000")
    penalty = services.rung_by_code("penalty")
    with pytest.raises(DomainError, match="上限"):
        services.take_step(step.case, penalty, actor=world.officer, article=article, amount=200000, on=ON)
    with pytest.raises(DomainError):
        services.take_step(step.case, penalty, actor=world.officer, article=None, amount=20000, on=ON)
    decision = services.take_step(step.case, penalty, actor=world.officer, article=article, amount=20000, on=ON)
    services.approve_step(decision, actor=world.leader, on=ON)
    assert decision.number == "〔2026〕罚第0001号" and decision.amount == Decimal("20000")


def test_a_case_climbs_only_upwards(world):
    ladder()
    _item, step = confirmed_interview(world)
    with pytest.raises(DomainError):
        services.take_step(step.case, services.rung_by_code("interview"), actor=world.officer, on=ON)


def test_the_interview_record_sets_a_follow_up_deadline(world):
    ladder()
    _item, step = confirmed_interview(world)
    with pytest.raises(DomainError):
        services.record_interview(step, interviewed_on=date(2026, 12, 3), attendees="张某", commitments="整改",
                                  follow_up_on=date(2026, 12, 2), actor=world.officer, on=date(2026, 12, 3))
    services.record_interview(step, interviewed_on=date(2026, 12, 3), attendees="张某", commitments="整改",
                              follow_up_on=date(2026, 12, 17), actor=world.officer, on=date(2026, 12, 3))
    assert step.follow_up_on == date(2026, 12, 17)


def test_rectifying_the_facts_closes_the_case_and_the_history_stays(world, login_as):
    ladder()
    item, step = confirmed_interview(world)
    assert services.sweep(on=ON).closed == 0
    item.state = ItemState.ACCEPTED
    db.session.commit()
    assert services.sweep(on=ON).closed == 1
    case = step.case
    assert case.status is CaseStatus.CLOSED and case.closed_on == ON
    assert all(f.rectified_on == ON for f in case.facts)
    db.session.commit()
    company_page, estate_page = f"/companies/{world.company1.id}", f"/estates/{world.estate1.id}"
    for user, url in ((world.officer, company_page), (world.officer, estate_page), (world.company_user, company_page),
                      (world.street_user, estate_page)):
        html = login_as(user).get(url).get_data(as_text=True)
        assert "执法记录" in html and f"/enforcement/cases/{case.id}" in html, (user.username, url)
