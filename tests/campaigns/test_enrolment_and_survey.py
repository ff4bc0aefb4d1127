"""Schemes, campaign creation, enrolment (filter, Excel, withdraw) and the survey."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.campaigns import reference
from supervision.campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignScheme,
    CampaignStatus,
    ChecklistItem,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    PhaseKind,
    RectificationItem,
    ResponsibleParty,
    SchemePhase,
)
from supervision.campaigns.services import enrolment as enrolment_service
from supervision.campaigns.services.campaigns import phase_warnings
from supervision.campaigns.services.survey import ProblemInput, record_survey
from supervision.core.errors import DomainError
from supervision.core.timeutil import local_today
from supervision.estates.models import Estate, ManagementMode
from supervision.extensions import db
from supervision.seeding import SEEDS_DIR

from ..documents.importing import upload_and_confirm
from ..factories import gen_company, gen_estate
from . import factories as f

K = PhaseKind


def test_schemes_load_from_seeds_and_reload_without_change(app):
    reference.load_reference()
    db.session.commit()
    schemes = {s.code: s for s in db.session.scalars(select(CampaignScheme))}
    kinds = {code: [p.kind for p in s.phases] for code, s in schemes.items()}
    names = {code: [p.name for p in s.phases] for code, s in schemes.items()}
    assert kinds["four_phase"] == [K.SURVEY, K.SELF_INSPECTION, K.RECTIFICATION, K.ACCEPTANCE]
    assert names["four_phase"] == ["摸底排查", "自查自纠", "整改", "验收"]
    assert names["s6_quality"] == ["动员培训阶段", "自查自纠阶段", "整改阶段", "检查验收阶段", "专项总结阶段"]
    assert names["p12_rectification"] == ["排查阶段", "整改完善阶段", "验收阶段"]
    assert names["s5_clearing"] == ["调研摸底阶段", "推进落实阶段", "巩固提升阶段"]
    assert len(schemes) >= 6 and all(s.source for s in schemes.values())
    counts = (db.session.scalar(select(func.count(SchemePhase.id))),
              db.session.scalar(select(func.count(ChecklistItem.id))))
    reference.load_reference()
    db.session.commit()
    assert counts == (db.session.scalar(select(func.count(SchemePhase.id))),
                      db.session.scalar(select(func.count(ChecklistItem.id))))
    data = json.loads((SEEDS_DIR / "campaigns/schemes.json").read_text(encoding="utf-8"))
    data["schemes"][0]["phases"][0]["name"] = "摸底"
    reference.load_schemes(data)
    assert schemes["four_phase"].phases[0].name == "摸底"


def test_a_campaign_copies_its_schemes_phases_and_overlaps_only_warn(world, login_as):
    client = login_as(world.officer)
    scheme = f.scheme("four_phase")
    template = f.template()
    db.session.commit()
    response = client.post("/campaigns/new", data={
        "name": "2026年物业专项整治", "year": 2026, "scheme_id": scheme.id, "starts_on": "2026-03-02",
        "checklist_template_id": template.id, "default_deadline_workdays": 15})
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status is CampaignStatus.DRAFT
    assert [(p.name, p.starts_on) for p in campaign.phases][:2] == [("摸底排查", date(2026, 3, 2)),
                                                                   ("自查自纠", date(2026, 3, 23))]
    form = {"name": campaign.name, "year": 2026, "checklist_template_id": template.id,
            "default_deadline_workdays": 15, "version": campaign.version}
    for n, phase in enumerate(campaign.phases):
        form[f"phases-{n}-id"] = phase.id
        form[f"phases-{n}-name"] = phase.name
        form[f"phases-{n}-starts_on"] = phase.starts_on.isoformat()
        form[f"phases-{n}-ends_on"] = phase.ends_on.isoformat()
    form["phases-1-starts_on"] = "2026-03-15"  # overlaps the survey
    html = client.post(f"/campaigns/{campaign.id}/edit", data=form, follow_redirects=True).get_data(as_text=True)
    assert "时间重叠" in html and "已保存" in html
    db.session.refresh(campaign)
    assert campaign.phases[1].starts_on == date(2026, 3, 15)
    form["version"] = campaign.version
    form["phases-1-ends_on"] = "2026-03-01"  # ends before it starts: refused
    html = client.post(f"/campaigns/{campaign.id}/edit", data=form).get_data(as_text=True)
    assert "结束日期早于开始日期" in html
    form["version"] = campaign.version - 1
    form["phases-1-ends_on"] = "2026-04-30"
    assert "已被他人修改" in client.post(f"/campaigns/{campaign.id}/edit", data=form).get_data(as_text=True)


def test_phase_warnings_name_the_overlap():
    a = CampaignPhase(position=1, name="甲", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 10),
                      kind=K.SURVEY)
    b = CampaignPhase(position=2, name="乙", starts_on=date(2026, 1, 8), ends_on=date(2026, 1, 20),
                      kind=K.RECTIFICATION)
    assert phase_warnings([a, b]) == ["“甲”与“乙”的时间重叠（2026-01-08 至 2026-01-10）。"]
    b.starts_on = date(2026, 1, 11)
    assert phase_warnings([a, b]) == []


def test_enrol_by_filter_then_withdraw_and_re_enrol(world, login_as):
    campaign = f.gen_campaign(world, status=CampaignStatus.DRAFT)
    old = gen_estate(community=world.community1, company=world.company2, name="老街坊", is_old=True)
    db.session.commit()
    client = login_as(world.officer)
    preview = client.get(f"/campaigns/{campaign.id}/enrol?street={world.street1.id}").get_data(as_text=True)
    assert "符合条件 2 个小区" in preview and "老街坊" in preview and "月亮小区" not in preview
    response = client.post(f"/campaigns/{campaign.id}/enrol?street={world.street1.id}&old=1")
    assert response.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment.estate_id == old.id
    # The enrolment belongs to the estate's street and managing company.
    assert (enrolment.street_id, enrolment.company_id) == (world.street1.id, world.company2.id)
    client.post(f"/campaigns/{campaign.id}/enrol?company={world.company2.id}")
    assert db.session.scalar(select(func.count(Enrolment.id))) == 2  # 老街坊 skipped, 月亮小区 added
    assert "请先选择筛选条件" in client.post(f"/campaigns/{campaign.id}/enrol", follow_redirects=True) \
        .get_data(as_text=True)
    html = client.post(f"/campaigns/enrolments/{enrolment.id}/withdraw", data={"reason": ""}).get_data(as_text=True)
    assert "请填写退出原因" in html
    client.post(f"/campaigns/enrolments/{enrolment.id}/withdraw", data={"reason": "已拆迁"})
    db.session.refresh(enrolment)
    assert enrolment.status is EnrolmentStatus.WITHDRAWN and enrolment.withdrawn_reason == "已拆迁"
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "enrolment.withdraw"))
    enrolment_service.enrol(campaign, [old], actor=world.officer)
    assert enrolment.status is EnrolmentStatus.ACTIVE and enrolment.withdrawn_reason is None


def _xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_enrol_from_an_excel_list_all_or_nothing(world, login_as):
    campaign = f.gen_campaign(world)
    db.session.commit()
    client = login_as(world.officer)
    template = client.get(f"/campaigns/{campaign.id}/enrol/template.xlsx")
    assert template.status_code == 200
    bad = _xlsx([["所属街道", "小区名称", "备注"], ["东城街道", "阳光小区", None], ["东城街道", "不存在小区", None],
                 ["南城街道", "阳光小区", None], ["东城街道", "阳光小区", "重复"]])
    html = client.post(f"/campaigns/{campaign.id}/enrol/import", data={"file": (io.BytesIO(bad), "名单.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "文件中的数据均未导入" in html and "东城街道没有名为“不存在小区”的小区" in html
    assert 'data-testid="import-confirm"' not in html
    assert "找不到街道“南城街道”" in html and "与第 2 行重复" in html
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0
    good = _xlsx([["所属街道", "小区名称", "备注"], ["东城街道", "阳光小区", None], ["西城街道", "月亮小区", None]])
    response = upload_and_confirm(client, f"/campaigns/{campaign.id}/enrol/import", good, "名单.xlsx")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Enrolment.id))) == 2
    wrong = client.post(f"/campaigns/{campaign.id}/enrol/import", data={"file": (io.BytesIO(f.PDF_BYTES), "名单.xlsx")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "文件类型不符" in wrong


def test_the_survey_corrects_the_estate_and_turns_problems_into_items(running, login_as):
    w = running
    new_company = gen_company(name="新接管物业公司")
    f.gen_item(w.enrolment1, actor=w.officer)  # an open item that follows the real company
    db.session.commit()
    client = login_as(w.street_user)
    form = {"surveyed_on": local_today().isoformat(), "management_mode": "professional",
            "company_id": new_company.id, "committee_status": "none", "notes": "物业已更换",
            "problems-0-category": "消防安全", "problems-0-description": "消防栓无水",
            "problems-0-severity": "serious", "problems-0-responsible_party": "company",
            "problems-0-deadline_workdays": 5,
            "problems-1-category": "房屋本体", "problems-1-description": "屋面渗漏",
            "problems-1-severity": "general", "problems-1-responsible_party": "developer",
            "problems-1-deadline_workdays": 20, "problems-2-description": ""}
    assert client.post(f"/campaigns/enrolments/{w.enrolment1.id}/survey", data=form).status_code == 302
    db.session.expire_all()
    estate = db.session.get(Estate, w.estate1.id)
    enrolment = db.session.get(Enrolment, w.enrolment1.id)
    assert estate.company_id == new_company.id and enrolment.company_id == new_company.id
    assert enrolment.survey.facts_confirmed is False
    change = db.session.scalar(select(AuditLog).where(AuditLog.action == "estate.update"))
    assert change.before == {"company_id": w.company1.id} and change.after == {"company_id": new_company.id}
    survey_items = db.session.scalars(select(RectificationItem).where(
        RectificationItem.source == ItemSource.SURVEY)).all()
    assert [(i.description, i.responsible_party) for i in survey_items] == [
        ("消防栓无水", ResponsibleParty.COMPANY), ("屋面渗漏", ResponsibleParty.DEVELOPER)]
    assert all(i.company_id == new_company.id for i in db.session.scalars(select(RectificationItem)))
    # The old company no longer sees the estate's open items; a second survey is refused.
    assert login_as(w.company_user).get(f"/campaigns/items/{survey_items[0].id}").status_code == 404
    with pytest.raises(DomainError, match="已录入摸底"):
        record_survey(enrolment, actor=w.officer, surveyed_on=local_today(),
                      management_mode=ManagementMode.PROFESSIONAL, company_id=new_company.id,
                      committee_status=None, notes="", problems=[])


def test_survey_rules(running):
    w = running
    with pytest.raises(DomainError, match="本街道办"):
        record_survey(w.enrolment2, actor=w.street_user, surveyed_on=local_today(),
                      management_mode=ManagementMode.PROFESSIONAL, company_id=w.company2.id, committee_status=None,
                      notes="", problems=[])
    with pytest.raises(DomainError, match="请选择物业服务企业"):
        record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today(),
                      management_mode=ManagementMode.PROFESSIONAL, company_id=None, committee_status=None,
                      notes="", problems=[])
    with pytest.raises(DomainError, match="不能晚于今天"):
        record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today() + timedelta(days=1),
                      management_mode=ManagementMode.PROFESSIONAL, company_id=w.company1.id, committee_status=None,
                      notes="", problems=[])
    survey = record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today(),
                           management_mode=ManagementMode.PROFESSIONAL, company_id=w.company1.id,
                           committee_status=None, notes="", problems=[ProblemInput("消防安全", "堵塞")])
    assert survey.facts_confirmed is True
    item = db.session.scalar(select(RectificationItem))
    assert item.state is ItemState.OPEN and item.source_id == survey.id
