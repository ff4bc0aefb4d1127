"""The pages: a street files and sees only its own reports; the bureau returns; a company sees nothing."""
from __future__ import annotations

import io

import pytest
import time_machine
from sqlalchemy import select

from supervision.attachments.models import Attachment
from supervision.extensions import db
from supervision.reports.models import ReportStatus, WeeklyReport
from supervision.reports.weeks import Week

from .factories import campaign_world, gen_report, local, utc

W39 = Week(2026, 39)
WEDNESDAY = local(2026, 9, 23, 10)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

FORM = {"fig_meetings": "2", "fig_households_visited": "120", "fig_publicity_events": "1",
        "fig_issues_resolved": "0", "progress": "完成阳光小区摸底。", "problems": "无",
        "next_week_plan": "推进引入物业。", "contact_person": "张主任", "contact_phone": "123"}


@pytest.fixture
def frozen():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def _start(client, campaign, week=W39):
    return client.post("/reports/start", data={"campaign_id": campaign.id, "week": str(week)})


def test_street_fills_and_submits_this_weeks_report(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    html = client.get("/reports/").get_data(as_text=True)
    assert "填写本周周报" in html and campaign.name in html and "2026-09-24 18:00（周四）" in html
    response = _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{report.id}/edit")
    html = client.get(f"/reports/{report.id}/edit").get_data(as_text=True)
    assert "系统统计数据" in html and "纳入行动的小区" in html and 'name="fig_meetings"' in html
    data = dict(FORM, version=report.version, action="submit",
                files=[(io.BytesIO(PDF_BYTES), "会议纪要.pdf")])
    response = client.post(f"/reports/{report.id}/edit", data=data, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{report.id}/submit")
    db.session.refresh(report)
    assert report.status is ReportStatus.DRAFT and report.progress == "完成阳光小区摸底。"
    page = client.get(f"/reports/{report.id}/submit").get_data(as_text=True)
    assert "确认报送" in page and "报送后周报将锁定" in page
    response = client.post(f"/reports/{report.id}/submit", data={"version": report.version})
    assert response.status_code == 302
    db.session.refresh(report)
    assert report.status is ReportStatus.SUBMITTED and report.first_submitted_at == utc(WEDNESDAY)
    assert report.system_figures["enrolled_total"] == 1
    attachment = db.session.scalar(select(Attachment))
    assert attachment.owner_id == report.id and attachment.original_name == "会议纪要.pdf"
    # Locked: the form redirects, a POST is refused with a clear message.
    response = client.get(f"/reports/{report.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{report.id}")
    response = client.post(f"/reports/{report.id}/edit", data=dict(FORM, version=report.version,
                                                                   progress="偷偷修改"), follow_redirects=True)
    assert "已报送并锁定" in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.progress == "完成阳光小区摸底。"


def test_bad_input_is_kept_and_explained_in_chinese(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    response = client.post(f"/reports/{report.id}/edit",
                           data=dict(FORM, fig_meetings="三", fig_households_visited="-5", version=report.version))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入整数" in html and "请输入 0 至 1000000 之间的整数" in html
    assert 'value="三"' in html and "完成阳光小区摸底。" in html  # nothing typed is lost
    db.session.refresh(report)
    assert report.progress is None


def test_a_bad_file_does_not_lose_the_text(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    data = dict(FORM, version=report.version, files=[(io.BytesIO(b"MZ not a pdf"), "病毒.pdf")])
    response = client.post(f"/reports/{report.id}/edit", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "文件类型不符" in html and "草稿已保存" in html
    db.session.refresh(report)
    assert report.progress == "完成阳光小区摸底。" and db.session.scalar(select(Attachment.id)) is None


def test_submit_with_gaps_goes_back_to_the_form(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    response = client.get(f"/reports/{report.id}/submit", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "报送前请先补充" in html and "请填写本周工作进展" in html
    assert client.post(f"/reports/{report.id}/submit", data={"version": report.version}).status_code == 302
    db.session.refresh(report)
    assert report.status is ReportStatus.DRAFT


def test_concurrent_edit_is_detected(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    stale = report.version
    assert client.post(f"/reports/{report.id}/edit", data=dict(FORM, version=stale)).status_code == 302
    response = client.post(f"/reports/{report.id}/edit", data=dict(FORM, version=stale, progress="另一人的修改"))
    assert response.status_code == 409 and "已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(report)
    assert report.progress == "完成阳光小区摸底。"


def test_bureau_returns_with_a_confirmation_and_comments(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    report = gen_report(campaign, world.street1, W39, status=ReportStatus.SUBMITTED,
                        submitted_at=utc(local(2026, 9, 23, 9)), progress="进展", next_week_plan="计划")
    db.session.commit()
    officer = login_as(world.officer)
    page = officer.get(f"/reports/{report.id}/return").get_data(as_text=True)
    assert "确定将东城街道" in page and "退回意见" in page
    response = officer.post(f"/reports/{report.id}/return", data={"version": report.version, "comment": ""})
    assert "请填写退回意见" in response.get_data(as_text=True)
    response = officer.post(f"/reports/{report.id}/return", data={"version": report.version,
                                                                 "comment": "请补充照片。"})
    assert response.status_code == 302
    db.session.refresh(report)
    assert report.status is ReportStatus.RETURNED and report.return_comment == "请补充照片。"
    street = login_as(world.street_user)
    html = street.get(f"/reports/{report.id}/edit").get_data(as_text=True)
    assert "请补充照片。" in html and "区住建局退回意见" in html
    assert login_as(world.leader).get(f"/reports/{report.id}/return").status_code == 403
    assert street.get(f"/reports/{report.id}/return").status_code == 403


@pytest.mark.parametrize("who, own, other", [
    ("admin", 200, 200), ("officer", 200, 200), ("leader", 200, 200),
    ("street_user", 200, 404), ("street2_user", 404, 200), ("company_user", 403, 403),
])
def test_report_pages_are_scoped(login_as, world, frozen, who, own, other):
    campaign, _ = campaign_world(world)
    mine = gen_report(campaign, world.street1, W39)
    theirs = gen_report(campaign, world.street2, W39)
    db.session.commit()
    client = login_as(getattr(world, who))
    assert client.get(f"/reports/{mine.id}").status_code == own
    assert client.get(f"/reports/{theirs.id}").status_code == other


def test_a_street_edits_only_its_own_and_the_bureau_edits_none(login_as, world, frozen):
    campaign, _ = campaign_world(world)
    theirs = gen_report(campaign, world.street2, W39)
    mine = gen_report(campaign, world.street1, W39)
    db.session.commit()
    street = login_as(world.street_user)
    assert street.get(f"/reports/{theirs.id}/edit").status_code == 404
    assert street.post(f"/reports/{theirs.id}/edit", data=dict(FORM, version=1)).status_code == 404
    assert street.post(f"/reports/{theirs.id}/submit", data={"version": 1}).status_code == 404
    assert street.get(f"/reports/cell/{campaign.id}/{world.street2.id}/{W39}").status_code == 404
    officer = login_as(world.officer)
    assert officer.get(f"/reports/{mine.id}/edit").status_code == 403
    assert officer.post("/reports/start", data={"campaign_id": campaign.id, "week": str(W39)}).status_code == 403
    html = street.get("/reports/").get_data(as_text=True)
    assert f"/reports/{mine.id}\"" in html and f"/reports/{theirs.id}\"" not in html


@pytest.mark.parametrize("url", ["/reports/", "/reports/overview", "/reports/bulletin", "/reports/bulletin.pdf",
                                 "/reports/bulletin.xlsx"])
def test_a_company_sees_none_of_it(login_as, world, url):
    assert login_as(world.company_user).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/reports/overview", "/reports/bulletin", "/reports/bulletin.xlsx"])
def test_streets_do_not_see_the_district_pages(login_as, world, url):
    assert login_as(world.street_user).get(url).status_code == 403


def test_a_street_cannot_start_a_report_for_a_campaign_it_is_not_in(login_as, world, frozen):
    from .factories import gen_campaign, gen_enrolment

    other = gen_campaign()
    gen_enrolment(other, world.estate2)
    db.session.commit()
    assert _start(login_as(world.street_user), other).status_code == 404
    assert db.session.scalar(select(WeeklyReport.id)) is None


def test_missing_cell_offers_a_late_filing(login_as, world):
    campaign, _ = campaign_world(world)
    with time_machine.travel(local(2026, 9, 29, 9), tick=False):
        street = login_as(world.street_user)
        html = street.get(f"/reports/cell/{campaign.id}/{world.street1.id}/{W39}").get_data(as_text=True)
        assert "未报" in html and "补报" in html and "遇中秋节" in html
        assert "以下周报已过截止时间仍未报送" in street.get("/reports/").get_data(as_text=True)
        assert _start(street, campaign).status_code == 302
        report = db.session.scalar(select(WeeklyReport))
        assert report.week == W39 and report.due_at == utc(local(2026, 9, 24, 18))
        cell = street.get(f"/reports/cell/{campaign.id}/{world.street1.id}/{W39}")
        assert cell.status_code == 302 and cell.headers["Location"].endswith(f"/reports/{report.id}")


def test_attachments_can_be_removed_from_a_draft_only(login_as, world, frozen):
    from supervision.attachments.services import store_bytes
    from supervision.reports import services

    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    attachment = store_bytes(PDF_BYTES, "错传的文件.pdf", owner=report, purpose="report", user=world.street_user)
    db.session.commit()
    page = client.get(f"/reports/{report.id}/attachments/{attachment.id}/remove").get_data(as_text=True)
    assert "确定从周报中移除附件“错传的文件.pdf”吗" in page
    assert client.post(f"/reports/{report.id}/attachments/{attachment.id}/remove").status_code == 302
    db.session.refresh(attachment)
    assert attachment.owner_id is None and services.report_attachments(report) == []
    # Once sent, nothing can be taken off.
    kept = store_bytes(PDF_BYTES, "会议纪要.pdf", owner=report, purpose="report", user=world.street_user)
    db.session.commit()
    client.post(f"/reports/{report.id}/edit", data=dict(FORM, version=report.version))
    db.session.refresh(report)
    client.post(f"/reports/{report.id}/submit", data={"version": report.version})
    db.session.commit()
    response = client.post(f"/reports/{report.id}/attachments/{kept.id}/remove", follow_redirects=True)
    assert "已锁定" in response.get_data(as_text=True)
    db.session.refresh(kept)
    assert kept.owner_id == report.id


def test_navigation_entries(login_as, world):
    street_nav = login_as(world.street_user).get("/").get_data(as_text=True).split('class="app-sidebar"')[1]
    assert 'href="/reports/"' in street_nav and 'href="/reports/overview"' not in street_nav
    leader_nav = login_as(world.leader).get("/").get_data(as_text=True).split('class="app-sidebar"')[1]
    assert 'href="/reports/"' in leader_nav and 'href="/reports/overview"' in leader_nav
    company_nav = login_as(world.company_user).get("/").get_data(as_text=True).split('class="app-sidebar"')[1]
    assert "/reports/" not in company_nav


def test_another_objects_file_is_not_removed_through_a_report(login_as, world, frozen):
    from supervision.attachments.services import store_bytes

    campaign, _ = campaign_world(world)
    client = login_as(world.street_user)
    _start(client, campaign)
    report = db.session.scalar(select(WeeklyReport))
    estate_file = store_bytes(PDF_BYTES, "小区照片.pdf", owner=world.estate1, user=world.officer)
    elsewhere = store_bytes(PDF_BYTES, "别处.pdf", owner=world.estate2, user=world.officer)
    db.session.commit()
    url = f"/reports/{report.id}/attachments/{{}}/remove"
    assert client.get(url.format(elsewhere.id)).status_code == 404  # another street's: not seen
    assert client.get(url.format(10**9)).status_code == 404
    response = client.post(url.format(estate_file.id), follow_redirects=True)
    assert "该附件不属于本周报" in response.get_data(as_text=True)
    db.session.refresh(estate_file)
    assert estate_file.owner_id == world.estate1.id


def test_the_report_list_pages_by_key_in_a_flat_number_of_queries(login_as, world, frozen, app, monkeypatch,
                                                                  count_queries):
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    campaign, _ = campaign_world(world)
    weeks = [Week(2026, n) for n in range(33, 39)]

    def add(week_list):
        for week in week_list:
            gen_report(campaign, world.street1, week, status=ReportStatus.SUBMITTED,
                       submitted_at=utc(local(2026, 8, 1, 9)), progress="很长的进展" * 500)
            gen_report(campaign, world.street2, week)
        db.session.commit()

    for role, user in (("officer", world.officer), ("street", world.street_user)):
        client = login_as(user)
        add(weeks[:2] if role == "officer" else [])
        with count_queries() as first:  # the holiday calendar and the reporting spans loaded
            client.get("/reports/")
        assert len(first) <= 15, (role, first)
        with count_queries() as small:
            client.get("/reports/")
        if role == "officer":
            add(weeks[2:])
        with count_queries() as large:
            html = client.get("/reports/?page=2").get_data(as_text=True)
        assert len(small) == len(large) <= 15, (role, small, large)
        assert "很长的进展" not in html
        rows = html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
        assert rows == 3
        if role == "street":  # the other street's drafts are not listed, on any page
            pages = "".join(client.get(f"/reports/?page={n}").get_data(as_text=True) for n in (1, 2))
            ids = {r.id for r in db.session.scalars(select(WeeklyReport).where(WeeklyReport.street_id
                                                                               == world.street1.id))}
            shown = {int(part.split('"')[0]) for part in pages.split('href="/reports/')[1:]
                     if part.split('"')[0].isdigit()}
            assert shown == ids
    # The newest week first, streets in order within a week.
    officer = login_as(world.officer)
    html = officer.get("/reports/").get_data(as_text=True)
    first = db.session.scalars(select(WeeklyReport).order_by(WeeklyReport.week_start.desc(),
                                                             WeeklyReport.street_id, WeeklyReport.id.desc())
                               .limit(3)).all()
    positions = [html.index(f'href="/reports/{r.id}"') for r in first]
    assert positions == sorted(positions)


def test_the_streets_duties_read_only_the_running_campaigns_reports_of_the_week(login_as, world, frozen,
                                                                                  count_queries):
    """Past campaigns covered the same weeks (at 100× the street has 100 reports of this week): the duties
    read the running campaigns' reports only, in the same number of queries however many there are."""
    from supervision.campaigns.models import CampaignStatus
    from supervision.reports.services import lists

    from .factories import gen_campaign, gen_enrolment

    campaign, _ = campaign_world(world)
    gen_report(campaign, world.street1, W39, progress="本期周报")
    db.session.commit()
    client = login_as(world.street_user)
    client.get("/reports/")
    with count_queries() as small:
        client.get("/reports/")
    past = []
    for n in range(3):
        closed = gen_campaign(name=f"往期行动{n}", status=CampaignStatus.CLOSED)
        gen_enrolment(closed, world.estate1)
        past.append(gen_report(closed, world.street1, W39, progress="往期周报"))
        gen_report(closed, world.street2, W39)
    db.session.commit()
    client.get("/reports/")  # the reporting spans, kept per process, read again after the change
    with count_queries() as large:
        html = client.get("/reports/").get_data(as_text=True)
    assert len(small) == len(large) <= 15
    assert "填写本周周报" not in html  # this week's report exists: no "start" offered for the running campaign
    street_id, campaign_id, past_ids = world.street1.id, campaign.id, {report.id for report in past}
    db.session.expunge_all()
    duties = lists.street_duties(street_id, now=utc(WEDNESDAY))
    assert [(d.campaign.id, d.report.progress) for d in duties] == [(campaign_id, "本期周报")]
    loaded = {obj.id for obj in db.session.identity_map.values() if isinstance(obj, WeeklyReport)}
    assert not loaded & past_ids


def test_a_streets_duty_follows_its_enrolments_with_the_reporting_spans_kept(login_as, world, frozen,
                                                                              count_queries):
    """Whether a street must report this week (no report yet) comes from the campaign's reporting spans kept per
    data generation, as the grid's: not counted on every view, and changed by the next commit of an enrolment."""
    from supervision.campaigns.models import Enrolment

    from .factories import gen_campaign, gen_enrolment

    campaign = gen_campaign(name="本期行动")
    # enrolled after W39's due time (Thursday 24 September 18:00, Mid-Autumn on Friday): not expected for W39
    late = gen_enrolment(campaign, world.estate1, enrolled_at=utc(local(2026, 9, 26, 9)))
    gen_enrolment(campaign, world.estate2)  # the other street's: expected there
    db.session.commit()
    street1, street2 = login_as(world.street_user), login_as(world.street2_user)
    assert "填写本周周报" not in street1.get("/reports/").get_data(as_text=True)
    assert "填写本周周报" in street2.get("/reports/").get_data(as_text=True)
    with count_queries() as statements:
        assert "填写本周周报" not in street1.get("/reports/").get_data(as_text=True)
    assert not [s for s in statements if "min(enrolments.enrolled_at)" in s.lower()]
    db.session.get(Enrolment, late.id).enrolled_at = utc(local(2026, 9, 1, 9))
    db.session.commit()
    assert "填写本周周报" in street1.get("/reports/").get_data(as_text=True)
    assert "本期行动" in login_as(world.street_user).get("/").get_data(as_text=True)
