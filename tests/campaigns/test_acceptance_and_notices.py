"""Acceptance and closure (销号), rectification notices, and the two PDFs."""
from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from supervision.campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    EnrolmentStatus,
    ItemState,
    PhaseKind,
    RectificationNotice,
)
from supervision.campaigns.services import acceptance, notices
from supervision.campaigns.services.acceptance import ItemVerdictInput
from supervision.campaigns.services.survey import record_survey
from supervision.core.errors import DomainError
from supervision.core.timeutil import local_today
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from . import factories as f


@pytest.fixture
def p12(world):
    """A 排查—整改完善—验收 campaign (no self-inspection) with estate1 surveyed and two items."""
    campaign = f.gen_campaign(world, code="p12_rectification")
    assert campaign.phases[0].kind is PhaseKind.SURVEY
    (e,) = f.enrol(campaign, world.estate1, actor=world.officer)
    record_survey(e, actor=world.officer, surveyed_on=local_today(), management_mode=ManagementMode.PROFESSIONAL,
                  company_id=world.company1.id, committee_status=None, notes="", problems=[])
    world.campaign, world.e = campaign, e
    world.a = f.gen_item(e, actor=world.officer, description="消防通道堆放杂物")
    world.b = f.gen_item(e, actor=world.officer, description="二次供水未消毒")
    db.session.commit()
    return world


def _verdicts(*pairs):
    return {item.id: ItemVerdictInput(passed, comment) for item, passed, comment in pairs}


def test_a_failed_acceptance_reopens_the_failed_items(p12):
    w = p12
    for item in (w.a, w.b):
        f.move(item, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    f.move(w.b, [ItemState.ACCEPTED], answerer=w.company_user, officer=w.officer)
    record = acceptance.record_acceptance(
        w.e, actor=w.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.FAILED, remarks="未达标",
        item_verdicts=_verdicts((w.a, True, "已清理"), (w.b, False, "水质报告缺失")), reopen_deadline_workdays=5)
    assert w.a.state is ItemState.ACCEPTED
    assert w.b.state is ItemState.REJECTED and w.b.reject_reason == "水质报告缺失" and w.b.reopened_count == 1
    assert w.e.status is EnrolmentStatus.ACTIVE and record.verdict is AcceptanceVerdict.FAILED
    assert {v.item_id: v.passed for v in record.verdicts} == {w.a.id: True, w.b.id: False}


def test_closure_needs_every_item_accepted_and_a_passed_acceptance(p12):
    w = p12
    f.move(w.a, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    with pytest.raises(DomainError, match="尚未提交整改结果，不能验收通过"):
        acceptance.record_acceptance(w.e, actor=w.officer, inspected_on=local_today(),
                                     verdict=AcceptanceVerdict.PASSED, remarks="",
                                     item_verdicts=_verdicts((w.a, True, ""), (w.b, True, "")))
    with pytest.raises(DomainError, match="整体验收结论不能为“通过”"):
        acceptance.record_acceptance(w.e, actor=w.officer, inspected_on=local_today(),
                                     verdict=AcceptanceVerdict.PASSED, remarks="",
                                     item_verdicts=_verdicts((w.a, True, ""), (w.b, False, "")))
    with pytest.raises(DomainError, match="请对每一项"):
        acceptance.record_acceptance(w.e, actor=w.officer, inspected_on=local_today(),
                                     verdict=AcceptanceVerdict.FAILED, remarks="",
                                     item_verdicts=_verdicts((w.a, True, "")))
    with pytest.raises(DomainError, match="只有住建局"):
        acceptance.record_acceptance(w.e, actor=w.street_user, inspected_on=local_today(),
                                     verdict=AcceptanceVerdict.FAILED, remarks="", item_verdicts={})
    assert db.session.scalar(select(Acceptance.id)) is None
    f.move(w.b, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    acceptance.record_acceptance(w.e, actor=w.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.PASSED,
                                 remarks="", item_verdicts=_verdicts((w.a, True, ""), (w.b, True, "")))
    assert w.e.status is EnrolmentStatus.CLOSED and w.a.state is ItemState.ACCEPTED is w.b.state
    with pytest.raises(DomainError, match="已销号"):
        acceptance.record_acceptance(w.e, actor=w.officer, inspected_on=local_today(),
                                     verdict=AcceptanceVerdict.PASSED, remarks="", item_verdicts={})


def test_acceptance_through_the_browser_form(p12, login_as):
    w = p12
    for item in (w.a, w.b):
        f.move(item, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    db.session.commit()
    client = login_as(w.officer)
    page = client.get(f"/campaigns/enrolments/{w.e.id}/acceptance").get_data(as_text=True)
    assert f'name="v_{w.a.id}"' in page
    response = client.post(f"/campaigns/enrolments/{w.e.id}/acceptance", data={
        "inspected_on": local_today().isoformat(), "verdict": "passed", "remarks": "同意销号",
        "reopen_deadline_workdays": 10, f"v_{w.a.id}": "1", f"v_{w.b.id}": "1"}, follow_redirects=True)
    assert "已销号" in response.get_data(as_text=True)
    db.session.refresh(w.e)
    assert w.e.status is EnrolmentStatus.CLOSED


def test_notice_numbers_run_per_year(p12):
    w = p12
    first = notices.issue_notice(estate=w.estate1, items=[w.a], actor=w.officer, deadline_workdays=10,
                                 campaign=w.campaign, issued_on=date(2025, 12, 30))
    second = notices.issue_notice(estate=w.estate1, items=[w.b], actor=w.officer, deadline_workdays=10,
                                  campaign=w.campaign, issued_on=date(2026, 1, 5))
    c = f.gen_item(w.e, actor=w.officer)
    third = notices.issue_notice(estate=w.estate1, items=[c], actor=w.officer, deadline_workdays=10,
                                 campaign=w.campaign, issued_on=date(2026, 1, 6))
    assert [first.number, second.number, third.number] == ["〔2025〕整改第0001号", "〔2026〕整改第0001号",
                                                           "〔2026〕整改第0002号"]
    with pytest.raises(DomainError, match="已列入整改通知书"):
        notices.issue_notice(estate=w.estate1, items=[w.a], actor=w.officer, deadline_workdays=10)
    other = f.gen_item(w.estate2, actor=w.officer)
    d = f.gen_item(w.e, actor=w.officer)
    with pytest.raises(DomainError, match="同一小区"):
        notices.issue_notice(estate=w.estate1, items=[d, other], actor=w.officer, deadline_workdays=10)


def test_a_concurrent_number_is_retried(p12, monkeypatch):
    """Two officers issuing at once: the second sees the same next number, the constraint
    refuses it, and the service takes the following one."""
    w = p12
    notices.issue_notice(estate=w.estate1, items=[w.a], actor=w.officer, deadline_workdays=10,
                         issued_on=date(2026, 3, 2))
    calls = []
    real = notices._next_sequence

    def stale(year):
        calls.append(year)
        return 1 if len(calls) == 1 else real(year)

    monkeypatch.setattr(notices, "_next_sequence", stale)
    notice = notices.issue_notice(estate=w.estate1, items=[w.b], actor=w.officer, deadline_workdays=10,
                                  issued_on=date(2026, 3, 3))
    assert notice.number == "〔2026〕整改第0002号" and len(calls) == 2
    assert w.b.notice_id == notice.id


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_notice_pdf_text(p12, login_as):
    w = p12
    client = login_as(w.officer)
    db.session.commit()
    form = client.get(f"/campaigns/notices/new?estate={w.estate1.id}&campaign={w.campaign.id}")
    assert form.status_code == 200
    response = client.post(f"/campaigns/notices/new?estate={w.estate1.id}&campaign={w.campaign.id}", data={
        "item_ids": [w.a.id, w.b.id], "issued_on": "2026-09-28", "deadline_workdays": 3,
        "remarks": "请按期整改并书面报告。"})
    assert response.status_code == 302
    notice = db.session.scalar(select(RectificationNotice))
    pdf = client.get(f"/campaigns/notices/{notice.id}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    compact = text.replace(" ", "").replace("\n", "")
    assert "整改通知书" in compact and notice.number in compact
    assert "测试区住房和城乡建设局" in compact and "甲物业服务有限公司" in compact
    assert "消防通道堆放杂物" in compact and "二次供水未消毒" in compact
    assert "2026年10月8日" in compact  # 3 working days after 28 September: 29, 30 September, 8 October
    # The company sees its notice; the other company does not.
    assert login_as(w.company_user).get(f"/campaigns/notices/{notice.id}.pdf").status_code == 200
    assert login_as(w.company2_user).get(f"/campaigns/notices/{notice.id}.pdf").status_code == 404


def test_acceptance_pdf_text(p12, login_as):
    w = p12
    for item in (w.a, w.b):
        f.move(item, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    record = acceptance.record_acceptance(
        w.e, actor=w.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.FAILED, remarks="水质报告缺失",
        item_verdicts=_verdicts((w.a, True, "已清理"), (w.b, False, "未提供检测报告")))
    db.session.commit()
    pdf = login_as(w.leader).get(f"/campaigns/acceptances/{record.id}.pdf")
    compact = _pdf_text(pdf.data).replace(" ", "").replace("\n", "")
    assert "整改验收记录" in compact and "阳光小区" in compact and "验收不通过" in compact
    assert "未提供检测报告" in compact and "测试区住房和城乡建设局" in compact and "测试专项行动" in compact
