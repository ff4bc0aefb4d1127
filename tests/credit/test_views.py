"""The pages: ranking, company credit file, recording events, basic assessment, rules."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from supervision.attachments.services import attachments_of
from supervision.core.timeutil import local_today
from supervision.credit import company_file, services
from supervision.credit.models import CreditEvent, CreditRuleSetYear, EventStatus
from supervision.extensions import db

from ..factories import gen_company, gen_estate, gen_position, gen_staff
from .factories import gen_event, rules

DAY = date(2026, 3, 2)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(out, format="JPEG")
    return out.getvalue()



def _names(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r'/credit/companies/\d+[^"]*">([^<]+)</a>', body)


def test_the_ranking_shows_scores_grades_and_filters(login_as, ranked):
    client = login_as(ranked.leader)
    html = client.get("/credit/").get_data(as_text=True)
    assert _names(html) == ["甲物业服务有限公司", "乙物业服务有限公司"]
    assert "90.00" in html and "78.00" in html and "红名单" in html
    assert _names(client.get("/credit/?grade=A").get_data(as_text=True)) == ["乙物业服务有限公司"]
    assert _names(client.get("/credit/?sort=total").get_data(as_text=True)) == ["乙物业服务有限公司",
                                                                                 "甲物业服务有限公司"]
    assert _names(client.get(f"/credit/?street={ranked.street2.id}").get_data(as_text=True)) == ["乙物业服务有限公司"]
    assert _names(client.get("/credit/?q=甲物业").get_data(as_text=True)) == ["甲物业服务有限公司"]
    # As of a day before the records, and under the other rule set.
    early = client.get("/credit/?as_of=2026-01-01").get_data(as_text=True)
    assert "C（缺失）" in early and "90.00" not in early
    # Each company links to its credit file on the same day (today's ranking: no day in the link).
    assert f'href="/credit/companies/{ranked.company1.id}?as_of=2026-01-01"' in early
    assert f'href="/credit/companies/{ranked.company1.id}"' in html
    second = services.rule_set_for(DAY)
    other = db.session.scalar(select(type(second).id).where(type(second).code == "lianyungang"))
    tried = client.get(f"/credit/?rule_set={other}").get_data(as_text=True)
    assert "试算" in tried and "105.00" in tried and "87.00" in tried  # 90 + 15; 90 - 3


def test_the_ranking_pages_by_50_without_a_query_per_row(login_as, ranked, count_queries):
    client = login_as(ranked.officer)
    for _ in range(3):
        gen_company()
    db.session.commit()
    with count_queries() as few:
        client.get("/credit/")
    for _ in range(60):
        gen_company()
    db.session.commit()
    with count_queries() as many:
        html = client.get("/credit/").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(_names(html)) == 50 and "共 65 条" in html
    assert len(_names(client.get("/credit/?page=2").get_data(as_text=True))) == 15


def test_the_company_page_explains_the_grade_event_by_event(login_as, ranked):
    gen_event(ranked.company1, "BL-07", on=date(2026, 3, 4), status="draft")
    revoked = gen_event(ranked.company1, "BL-08", on=DAY)
    services.revoke_event(revoked, reason="通报已撤回", on=date(2026, 4, 1))
    db.session.commit()
    html = login_as(ranked.officer).get(f"/credit/companies/{ranked.company1.id}").get_data(as_text=True)
    assert 'data-testid="credit-total">90.00<' in html
    for text in ("基本信息", "良好信用信息", "LH-03", "JC-01", "已撤销，不计分", "草稿，未告知", "得分变化"):
        assert text in html, text
    company_view = login_as(ranked.company_user).get(f"/credit/companies/{ranked.company1.id}").get_data(as_text=True)
    assert "BL-08" in company_view and "BL-07" not in company_view  # sees revocations, never drafts
    past = login_as(ranked.officer).get(f"/credit/companies/{ranked.company1.id}?as_of=2026-02-01")
    assert 'data-testid="credit-total">0.00<' in past.get_data(as_text=True)


def test_an_officer_records_a_draft_with_evidence_then_notifies(login_as, ranked):
    officer = login_as(ranked.officer)
    assert "第一步" in officer.get("/credit/events/new").get_data(as_text=True)
    manager = gen_staff(ranked.company1, gen_position(is_manager=True), ranked.estate1, name="王经理")
    db.session.commit()
    form = officer.get(f"/credit/events/new?company_id={ranked.company1.id}").get_data(as_text=True)
    assert "阳光小区" in form and "王经理" in form and "月亮小区" not in form
    assert "JC-01" in form and "BL-20" not in form  # automatic items are for the system
    item = services.item_by_code(services.rule_set_for(), "BL-04")
    response = officer.post(f"/credit/events/new?company_id={ranked.company1.id}",
                            content_type="multipart/form-data",
                            data={"item_id": item.id, "occurred_on": "2026-11-10",
                                  "description": "项目经理未持证上岗。", "staff_id": manager.id,
                                  "recording_level": "district", "save": "y",
                                  "evidence": [(io.BytesIO(jpeg()), "人员名册.jpg")],
                                  "evidence_date": "2026-11-09"})
    assert response.status_code == 302
    event = db.session.scalar(select(CreditEvent).where(CreditEvent.description == "项目经理未持证上岗。"))
    assert event.status is EventStatus.DRAFT and event.estate_id == ranked.estate1.id  # the manager's project
    assert event.recording_body == "测试区住房和城乡建设局"
    assert [(a.original_name, a.fact_date) for a in attachments_of(event)] == [("人员名册.jpg", date(2026, 11, 9))]
    page = officer.get(f"/credit/events/{event.id}/notify").get_data(as_text=True)
    assert "发出记分告知单" in page and "记 -6.00 分" in page
    assert officer.post(f"/credit/events/{event.id}/notify").status_code == 302
    db.session.refresh(event)
    # The fixture notified the first.
    assert event.status is EventStatus.NOTIFIED and event.notice_number == "〔2026〕信记第0002号"


def test_bad_input_is_explained_and_kept(login_as, ranked):
    officer = login_as(ranked.officer)
    before = db.session.scalar(select(func.count(CreditEvent.id)))
    item = services.item_by_code(services.rule_set_for(), "BL-01")
    response = officer.post(f"/credit/events/new?company_id={ranked.company1.id}", data={
        "item_id": item.id, "occurred_on": "2026-13-45", "description": "保洁不到位的情况描述",
        "recording_level": "district", "save": "y"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "日期格式应为 YYYY-MM-DD" in html and "保洁不到位的情况描述" in html
    response = officer.post(f"/credit/events/new?company_id={ranked.company1.id}", data={
        "item_id": item.id, "occurred_on": "2026-11-01", "description": "保洁不到位的情况描述",
        "recording_level": "district", "effective_from": "2026-11-01", "effective_until": "2026-10-01", "save": "y"})
    html = response.get_data(as_text=True)
    assert "有效期截止日不能早于起始日" in html and "保洁不到位的情况描述" in html
    assert db.session.scalar(select(func.count(CreditEvent.id))) == before


def test_a_stale_draft_edit_is_refused(login_as, ranked):
    event = gen_event(ranked.company1, "BL-01", on=date(2026, 11, 2), status="draft")
    db.session.commit()
    officer = login_as(ranked.officer)
    data = {"item_id": event.item_id, "occurred_on": "2026-11-02", "description": "修改后的描述",
            "recording_level": "district", "version": event.version + 1, "save": "y"}
    assert "已被他人修改" in officer.post(f"/credit/events/{event.id}/edit", data=data).get_data(as_text=True)
    data["version"] = event.version
    assert officer.post(f"/credit/events/{event.id}/edit", data=data).status_code == 302
    db.session.refresh(event)
    assert event.description == "修改后的描述"


def test_basic_assessment_page(login_as, world):
    rules()
    db.session.commit()
    officer = login_as(world.officer)
    html = officer.get(f"/credit/companies/{world.company1.id}/assessment").get_data(as_text=True)
    assert "登记信息显示符合" in html and "在管小区 1 个" in html
    rule_set = services.rule_set_for()
    ids = [services.item_by_code(rule_set, c).id for c in ("JC-01", "JC-02", "JC-03")]
    response = officer.post(f"/credit/companies/{world.company1.id}/assessment",
                            data={"items": ids, "effective_from": "2026-11-01", "note": "年度核定"})
    assert response.status_code == 302
    events = list(db.session.scalars(select(CreditEvent).order_by(CreditEvent.id)))
    assert [e.item.code for e in events] == ["JC-01", "JC-02", "JC-03"]
    assert all(e.status is EventStatus.CONFIRMED and e.effective_until == date(2027, 10, 31) for e in events)
    html = officer.get(f"/credit/companies/{world.company1.id}/assessment").get_data(as_text=True)
    assert html.count("已有有效记录至 2027-10-31") == 3


def test_only_the_administrator_picks_the_rule_set_for_a_year(login_as, world):
    default, second = rules()
    db.session.commit()
    page = login_as(world.leader).get("/credit/rules").get_data(as_text=True)
    assert "连云港" in page and "指定年度适用的规则集" not in page
    response = login_as(world.officer).post("/credit/rules/years", data={"year": 2027, "rule_set_id": second.id})
    assert response.status_code == 403
    admin = login_as(world.admin)
    assert admin.post("/credit/rules/years", data={"year": 2027, "rule_set_id": second.id}).status_code == 302
    assert db.session.scalar(select(CreditRuleSetYear.rule_set_id).where(CreditRuleSetYear.year == 2027)) == second.id
    detail = login_as(world.company_user).get(f"/credit/rules/{default.id}").get_data(as_text=True)
    assert "AAA" in detail and "一票否决" in detail and "得分 ≥ 85" in detail


def test_the_events_list_filters(login_as, ranked):
    second_estate = gen_estate(community=ranked.community1, company=ranked.company1)
    gen_event(ranked.company1, "BL-02", on=date(2026, 11, 2), status="notified", estate=second_estate)
    db.session.commit()
    client = login_as(ranked.officer)
    html = client.get("/credit/events?status=notified").get_data(as_text=True)
    assert "〔2026〕信记" in html and "LH-03" not in html
    html = client.get("/credit/events?part=good").get_data(as_text=True)
    assert "LH-03" in html and "BL-02" not in html
    html = client.get("/credit/events?q=乙物业").get_data(as_text=True)
    assert "乙物业服务有限公司" in html and "甲物业服务有限公司" not in html


def test_the_ranking_exports_to_excel_with_its_filters(login_as, ranked):
    from openpyxl import load_workbook

    response = login_as(ranked.leader).get("/credit/export.xlsx?sort=total")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:7] == ("名次", "企业名称", "统一社会信用代码", "基本信息", "良好信用信息", "不良信用信息", "得分")
    assert [(r[0], r[1], r[6], r[7], r[8]) for r in rows[1:]] == [
        (2, "乙物业服务有限公司", 78, "A", None), (1, "甲物业服务有限公司", 90, "AAA", "红名单")]
    filtered = login_as(ranked.leader).get("/credit/export.xlsx?grade=AAA")
    assert len(list(load_workbook(io.BytesIO(filtered.data)).worksheets[0].iter_rows())) == 2
    assert login_as(ranked.street_user).get("/credit/export.xlsx").status_code == 403


def test_the_dashboard_counts_companies_at_a_grade_or_better(ranked):
    with pytest.raises(services.DomainError):
        company_file.count_at_or_above("Z", as_of=date(2026, 6, 1))
    assert company_file.count_at_or_above("AAA", as_of=date(2026, 6, 1)) == 1
    assert company_file.count_at_or_above("A", as_of=date(2026, 6, 1)) == 2
    assert company_file.count_at_or_above("AA", as_of=date(2026, 2, 1)) == 0


def test_pages_explain_when_no_rule_set_is_loaded(login_as, world):
    html = login_as(world.leader).get("/credit/").get_data(as_text=True)
    assert "尚未加载信用评价规则" in html


def test_a_large_ranking_export_becomes_a_job_without_scoring_the_district(login_as, ranked, app, monkeypatch):
    from supervision.credit import standings

    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 12)  # one row of the export's 12 columns
    client = login_as(ranked.leader)

    def no_table(*args, **kwargs):
        raise AssertionError("the table was computed to count the export")

    with monkeypatch.context() as patched:
        patched.setattr(standings, "cached_table", no_table)
        response = client.get("/credit/export.xlsx?sort=total")  # over one row: a job, decided by a count
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    today = local_today()
    rule_set = services.rule_set_for(today)
    assert standings.ranked_count() == len(standings.ranking(rule_set, today)) >= 2
    assert standings.ranked_count(street_id=ranked.street1.id) == \
        len(standings.ranking(rule_set, today, street_id=ranked.street1.id))
    filtered = client.get("/credit/export.xlsx?grade=AAA")  # a grade needs the scores: counted from the table
    assert filtered.status_code == 200 and filtered.mimetype.endswith("spreadsheetml.sheet")
