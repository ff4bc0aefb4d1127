"""Evidence uploads through the item page, spot checks, the estate-page partial, and every page per role."""
from __future__ import annotations

import io

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from supervision.attachments.models import Attachment
from supervision.campaigns.models import Campaign, ItemSource, ItemState, RectificationItem, SpotCheck
from supervision.campaigns.services.estate_section import estate_section
from supervision.core.timeutil import local_today
from supervision.extensions import db

from . import factories as f


@pytest.fixture
def item(running):
    item = f.gen_item(running.enrolment1, actor=running.officer)
    db.session.commit()
    return item


def _answer(client, item, filename, data):
    return client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "已清理完毕", "fact_date": local_today().isoformat(),
        "evidence": [(io.BytesIO(data), filename)]}, content_type="multipart/form-data", follow_redirects=True)


@pytest.mark.parametrize("filename, data, message", [
    ("证明.pdf", b"%PDF-1.4\n" + b" " * (20 * 1024 * 1024 + 10) + b"\n%%EOF\n", "文件过大"),
    ("照片.jpg", b"MZ\x90\x00\x03 this is a program, not a photo", "文件类型不符"),
    ("../../etc/照片.jpg", f.jpeg_bytes(), "文件名不能包含路径"),
])
def test_bad_evidence_is_refused_and_nothing_changes(running, item, login_as, filename, data, message):
    client = login_as(running.company_user)
    response = _answer(client, item, filename, data)
    assert message in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.state is ItemState.OPEN and item.response is None
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_good_evidence_submits_the_item_with_its_fact_date(running, item, login_as):
    client = login_as(running.company_user)
    response = client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "已清理完毕", "fact_date": "2026-01-05",
        "evidence": [(io.BytesIO(f.jpeg_bytes()), "清理后.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(item)
    attachment = db.session.scalar(select(Attachment))
    assert item.state is ItemState.SUBMITTED and attachment.owner_id == item.id
    assert attachment.fact_date.isoformat() == "2026-01-05" and attachment.purpose == "evidence"
    assert login_as(running.company2_user).get(f"/files/{attachment.id}").status_code == 404
    assert login_as(running.officer).get(f"/files/{attachment.id}").status_code == 200


def test_a_spot_check_of_any_estate_opens_items(running, login_as):
    w = running
    client = login_as(w.officer)
    assert client.get(f"/campaigns/spot-checks/new?estate={w.estate2.id}").status_code == 200
    response = client.post("/campaigns/spot-checks/new", data={
        "estate_id": w.estate2.id, "campaign_id": w.campaign.id, "checked_on": local_today().isoformat(),
        "summary": "夜间抽查", "findings-0-category": "安全防范", "findings-0-description": "门岗无人值守",
        "findings-0-severity": "serious", "findings-0-responsible_party": "company",
        "findings-0-deadline_workdays": 3})
    assert response.status_code == 302
    check = db.session.scalar(select(SpotCheck))
    found = db.session.scalar(select(RectificationItem).where(RectificationItem.source == ItemSource.SPOT_CHECK))
    assert found.source_id == check.id and found.enrolment_id == w.enrolment2.id and found.company_id == w.company2.id
    assert "门岗无人值守" in client.get(f"/campaigns/spot-checks/{check.id}").get_data(as_text=True)
    assert "夜间抽查" in client.get("/campaigns/spot-checks").get_data(as_text=True)
    # Estates outside any campaign may be checked too.
    loose = client.post("/campaigns/spot-checks/new", data={
        "estate_id": w.estate1.id, "checked_on": local_today().isoformat(), "summary": "日常巡查，未发现问题"})
    assert loose.status_code == 302


def test_the_estate_page_partial(app, running):
    w = running
    f.gen_item(w.enrolment1, actor=w.officer, description="电梯年检过期")
    db.session.commit()
    with app.test_request_context():
        login_user(w.company_user)
        section = estate_section(w.estate1, w.company_user)
        html = render_template("campaigns/_estate_section.html", campaign_section=section)
        assert "测试专项行动" in html and "电梯年检过期" in html and "待摸底" in html
        login_user(w.company2_user)
        other = estate_section(w.estate1, w.company2_user)
        assert other.enrolments == [] and other.open_items == []


ROLES = ["admin", "officer", "leader", "street_user", "company_user"]


@pytest.mark.parametrize("who", ROLES)
def test_every_page_renders_for_every_role(running, login_as, who):
    w = running
    item = f.gen_item(w.enrolment1, actor=w.officer)
    db.session.commit()
    client = login_as(getattr(w, who))
    pages = ["/campaigns/", f"/campaigns/{w.campaign.id}", f"/campaigns/{w.campaign.id}/enrolments",
             f"/campaigns/enrolments/{w.enrolment1.id}", f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection",
             "/campaigns/items", f"/campaigns/items/{item.id}", "/campaigns/notices"]
    for url in pages:
        assert client.get(url).status_code == 200, url
    nav = client.get("/campaigns/").get_data(as_text=True).split('class="app-sidebar"')[1].split("</nav>")[0]
    assert 'href="/campaigns/items"' in nav
    assert ('href="/campaigns/spot-checks"' in nav) is (who in ("admin", "officer", "leader"))


def test_bureau_starts_and_ends_a_campaign_with_confirmation(world, login_as):
    from supervision.campaigns.models import CampaignStatus

    campaign = f.gen_campaign(world, status=CampaignStatus.DRAFT)
    db.session.commit()
    client = login_as(world.officer)
    assert "确定启动" in client.get(f"/campaigns/{campaign.id}/activate").get_data(as_text=True)
    client.post(f"/campaigns/{campaign.id}/activate")
    db.session.refresh(campaign)
    assert campaign.status is CampaignStatus.ACTIVE
    assert "确定结束" in client.get(f"/campaigns/{campaign.id}/close").get_data(as_text=True)
    client.post(f"/campaigns/{campaign.id}/close")
    db.session.refresh(campaign)
    assert campaign.status is CampaignStatus.CLOSED
    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_the_item_export_has_a_timestamp_per_transition_and_time_in_state(running, login_as):
    from openpyxl import load_workbook

    w = running
    item = f.gen_item(w.enrolment1, actor=w.officer)
    f.move(item, f.PATH_TO[ItemState.REJECTED], answerer=w.company_user, officer=w.officer)
    db.session.commit()
    data = login_as(w.officer).get(f"/campaigns/items/export.xlsx?campaign={w.campaign.id}").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    for column in ("下达时间", "开始整改时间", "最近提交时间", "最近驳回时间", "销项时间", "当前状态停留（天）",
                   "整改用时（天）"):
        assert column in header
    assert row["状态"] == "已驳回" and row["最近驳回时间"] and row["最近提交时间"] and not row["销项时间"]
    assert row["当前状态停留（天）"] == 0 and row["驳回原因"] == "原因"
