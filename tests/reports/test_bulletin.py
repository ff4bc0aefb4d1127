"""The district bulletin (工作简报): PDF text checked with pypdf, and the Excel export of the same figures."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from supervision.attachments.services import PDF, store_bytes
from supervision.extensions import db
from supervision.reports import services
from supervision.reports.models import ReportStatus, WeeklyReport
from supervision.reports.services.bulletin import (
    HIGHLIGHT_LENGTH,
    bulletin_plain,
    bulletin_workbook,
    chinese_number,
    paragraphs,
)
from supervision.reports.weeks import Week

from ..factories import gen_estate, gen_street, gen_user
from .factories import gen_campaign, gen_enrolment, gen_item, gen_report, local, utc

W39 = Week(2026, 39)
LATER = local(2026, 9, 29, 9)
PROGRESS = ("东城街道本周完成阳光小区、朝阳小区两个无物业小区的入户摸底，召开业主代表协调会两次，"
            "确定阳光小区由街道物业服务中心托管，朝阳小区拟引入国有物业企业接管。") * 2
# Two paragraphs, as the street typed them.
PLAN = ("组织阳光小区业主代表会议，确定托管期间的服务标准和收费方式，公示后执行。\n"
        "完成朝阳小区接管交接，移交物业服务用房和设施设备资料，建立交接清单。")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build(world):
    campaign = gen_campaign(name="无物业管理小区清零行动", starts_on=date(2026, 9, 14),
                            report_figures=[{"code": "meetings", "label": "召开推进会", "unit": "次"},
                                            {"code": "visits", "label": "入户走访", "unit": "户"}])
    e1 = gen_enrolment(campaign, world.estate1)
    gen_enrolment(campaign, world.estate2)
    south, north = gen_street(world.district, name="南湖街道"), gen_street(world.district, name="北苑街道")
    gen_enrolment(campaign, gen_estate(south))
    gen_enrolment(campaign, gen_estate(north))
    gen_item(campaign, e1, opened_at=utc(local(2026, 9, 22)), deadline=date(2026, 10, 30))
    gen_item(campaign, e1, opened_at=utc(local(2026, 9, 1)), deadline=date(2026, 9, 20),
             accepted_at=utc(local(2026, 9, 23)))
    snapshot = {"enrolled_total": 1, "enrolled_week": 0, "surveyed_total": 1, "surveyed_week": 1,
                "self_inspected_total": 0, "self_inspected_week": 0, "items_opened_total": 2,
                "items_opened_week": 1, "items_closed_total": 1, "items_closed_week": 1, "items_overdue": 0,
                "accepted_total": 0, "accepted_week": 0}
    east = gen_report(campaign, world.street1, W39, status=ReportStatus.SUBMITTED,
                      submitted_at=utc(local(2026, 9, 24, 15)),
               system_figures=snapshot, progress=PROGRESS, problems="朝阳小区消防通道被占，需城管协助。",
               next_week_plan=PLAN, contact_person="王芳", contact_phone="010-64001234",
               submitted_by_id=world.street_user.id, figures_at=utc(local(2026, 9, 24, 15)),
               entered_figures=[{"code": "meetings", "label": "召开推进会", "unit": "次", "value": 2},
                                {"code": "visits", "label": "入户走访", "unit": "户", "value": 130},
                                {"code": "old", "label": "发放告知书", "unit": "份", "value": 75}])
    gen_report(campaign, world.street2, W39, status=ReportStatus.SUBMITTED, submitted_at=utc(local(2026, 9, 25, 10)),
               system_figures=dict(snapshot, items_opened_total=0, items_closed_total=0, items_opened_week=0,
                                   items_closed_week=0), progress="西城街道完成月亮小区摸底。", problems="无",
               entered_figures=[{"code": "meetings", "label": "召开推进会", "unit": "次", "value": 1},
                                {"code": "visits", "label": "入户走访", "unit": "户", "value": 40}])
    gen_report(campaign, north, W39, status=ReportStatus.RETURNED, submitted_at=utc(local(2026, 9, 24, 11)),
               system_figures=snapshot, progress="北苑街道的进展（退回修改中，不引用）。")
    store_bytes(PDF_BYTES, "整改台账.pdf", kinds=(PDF,), owner=east, purpose="report")
    db.session.commit()
    return campaign


def pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def test_bulletin_pdf_content(login_as, world):
    campaign = build(world)
    with time_machine.travel(LATER, tick=False):
        client = login_as(world.leader)
        response = client.get(f"/reports/bulletin.pdf?campaign={campaign.id}&week=2026-W39&annex=0")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "各街道报送情况（全文）" not in text
    for expected in ("测试区住房和城乡建设局", "无物业管理小区清零行动", "工作简报", "第2期",
                     "2026年第39周", "2026年9月21日—9月27日", "2026-09-2418:00（周四）", "遇中秋节提前",
                     "本周应报送街道4个", "按时报送1个，迟报1个，未报1个，退回修改1个",
                     "迟报街道：西城街道", "未报街道：南湖街道", "退回修改中：北苑街道",
                     "召开推进会（次，街道填报）3", "入户走访（户，街道填报）170",
                     "东城街道：东城街道本周完成阳光小区", "需协调解决的问题", "朝阳小区消防通道被占"):
        assert expected in text, expected
    assert "北苑街道的进展" not in text  # a returned report is not quoted
    assert "西城街道：无" not in text  # "无" is not a request
    assert "…" in text and PROGRESS not in text  # long narratives are trimmed
    # Per-street table: 东城 sent 1 of 2 items closed (snapshot); 南湖 is computed live and starred.
    assert "东城街道按时报送" in text and "南湖街道*未报" in text


def pdf_pages(data: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def get_pdf(login_as, user, campaign, **query):
    with time_machine.travel(LATER, tick=False):
        return login_as(user).get("/reports/bulletin.pdf",
                                  query_string={"campaign": campaign.id, "week": "2026-W39", **query})


def test_bulletin_pdf_annex_prints_each_sent_report_in_full(login_as, world):
    campaign = build(world)
    response = get_pdf(login_as, world.officer, campaign)  # the annex is included by default
    assert response.status_code == 200
    pages = pdf_pages(response.data)
    text = "".join(pages)
    start = text.index("附件各街道报送情况（全文）")
    digest, annex = text[:start], text[start:]
    # The digest stays a digest: the long progress is trimmed there …
    assert len(PROGRESS) > HIGHLIGHT_LENGTH and PROGRESS not in digest and "东城街道：东城街道本周完成" in digest
    # … and the annex carries it in full, with everything else the street sent.
    assert PROGRESS in annex
    for expected in ("本周应报送街道4个，已报送2个，未报送2个",
                     "一、东城街道", "报送情况按时报送", "填报人王芳010-64001234", "报送时间2026-09-2415:00（周四）",
                     "报送账号用户", "纳入行动的小区（个）01", "新增整改事项（项）12", "整改销项（项）11",
                     "整改完成率—50.0%", "以上为报送时（2026-09-2415:00（周四））的数据快照",
                     "召开推进会（次）2", "入户走访（户）130", "发放告知书（份）75",
                     "（四）存在问题及需协调事项朝阳小区消防通道被占，需城管协助。",
                     "（五）下周工作计划" + PLAN.replace("\n", ""), "整改台账.pdf（共1个",
                     "二、西城街道", "迟报（晚16.0小时）", "西城街道完成月亮小区摸底。", "（五）下周工作计划（未填写）",
                     "南湖街道未报送", "北苑街道未报送（已退回修改，尚未重新报送）"):
        assert expected in annex, expected
    assert world.street_user.display_name in annex
    assert "北苑街道的进展" not in text  # a returned report is not printed, in the digest or the annex
    assert "三、南湖街道" not in annex and "三、北苑街道" not in annex  # only sent reports get a section
    # Each street's report starts a page of its own, and the annex's table gives that page.
    east = next(i for i, page in enumerate(pages, 1) if page.startswith("一、东城街道"))
    west = next(i for i, page in enumerate(pages, 1) if page.startswith("二、西城街道"))
    assert west > east > next(i for i, page in enumerate(pages, 1) if page.startswith("附件各街道报送情况"))
    assert f"王芳010-64001234第{east}页" in annex and f"第{west}页" in annex
    assert pages[-1].endswith(f"第{len(pages)}页/共{len(pages)}页")


def test_bulletin_pdf_without_the_annex_is_shorter(login_as, world):
    campaign = build(world)
    full, digest = get_pdf(login_as, world.leader, campaign), get_pdf(login_as, world.leader, campaign, annex="0")
    assert full.status_code == digest.status_code == 200
    assert len(pdf_pages(full.data)) > len(pdf_pages(digest.data))
    assert "各街道报送情况（全文）" in pdf_text(full.data) and "各街道报送情况（全文）" not in pdf_text(digest.data)
    assert pdf_text(get_pdf(login_as, world.leader, campaign, annex="1").data) == pdf_text(full.data)
    assert "%E4%B8%8D%E5%90%AB%E9%99%84%E4%BB%B6" in digest.headers["Content-Disposition"]  # …-不含附件.pdf


@pytest.mark.parametrize("role", ["street_user", "company_user"])
@pytest.mark.parametrize("annex", ["1", "0"])
def test_bulletin_pdf_with_or_without_annex_is_for_the_district_only(login_as, world, role, annex):
    campaign = build(world)
    response = get_pdf(login_as, getattr(world, role), campaign, annex=annex)
    assert response.status_code == 403 and PROGRESS not in response.get_data(as_text=True)


def test_bulletin_page_offers_the_pdf_with_and_without_annex(login_as, world):
    campaign = build(world)
    with time_machine.travel(LATER, tick=False):
        html = login_as(world.officer).get(f"/reports/bulletin?campaign={campaign.id}").get_data(as_text=True)
    assert "下载 PDF（含附件）" in html and "下载 PDF（不含附件）" in html
    assert f"/reports/bulletin.pdf?campaign={campaign.id}&amp;week=2026-W39&amp;annex=0" in html


def test_bulletin_plain_has_the_full_reports_for_the_annex(world):
    campaign = build(world)
    plain = bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
    assert [r["street"] for r in plain["sent_rows"]] == ["东城街道", "西城街道"]
    assert [r["annex_no"] for r in plain["sent_rows"]] == ["一", "二"]
    assert sorted(r["street"] for r in plain["unsent_rows"]) == ["北苑街道", "南湖街道"]
    east = plain["sent_rows"][0]
    assert east["progress"] == PROGRESS and east["paragraphs"]["next_week_plan"] == PLAN.split("\n")
    assert east["sender"] == world.street_user.display_name and east["attachments"] == ["整改台账.pdf"]
    # The campaign's labels, then what the report was sent with beyond them, under its own label.
    assert [(e["label"], e["value"]) for e in east["entered_list"]] == [
        ("召开推进会", 2), ("入户走访", 130), ("发放告知书", 75)]
    returned = next(r for r in plain["rows"] if r["street"] == "北苑街道")
    assert returned["paragraphs"] == {} and returned["attachments"] == [] and returned["entered_list"] == []


def test_paragraphs_and_numbers():
    assert paragraphs("第一段。\r\n\n  第二段。  \n") == ["第一段。", "第二段。"] and paragraphs(None) == []
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99, 100)] == [
        "一", "九", "十", "十一", "二十", "二十三", "九十九", "100"]


def test_bulletin_figures_and_totals(world):
    campaign = build(world)
    plain = bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
    assert plain["expected"] == 4 and plain["sent"] == 2
    assert plain["counts"]["on_time"] == 1 and plain["late_count"] == 1
    assert plain["missing"] == ["南湖街道"] and plain["returned"] == ["北苑街道"]
    # Snapshots of the sent reports (东城 2, 西城 0); 北苑 (returned, being corrected) and 南湖 live (0 each):
    # one rule with the report page, ``services.shows_saved_figures``.
    assert plain["totals"]["items_opened_total"] == 2 + 0 + 0 + 0
    assert plain["totals"]["enrolled_total"] == 1 + 1 + 1 + 1
    assert [d["total"] for d in plain["definitions"]] == [3, 170]
    assert plain["late"][0]["hours_late"] == 16.0  # Thursday 18:00 → Friday 10:00


def test_bulletin_excel_has_the_same_figures(login_as, world):
    campaign = build(world)
    with time_machine.travel(LATER, tick=False):
        response = login_as(world.officer).get(f"/reports/bulletin.xlsx?campaign={campaign.id}&week=2026-W39")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_street = {r[0]: dict(zip(header, r)) for r in rows[1:]}
    assert set(by_street) == {"东城街道", "西城街道", "南湖街道", "北苑街道", "合计"}
    assert by_street["西城街道"]["报送情况"] == "迟报" and by_street["西城街道"]["迟报时长（小时）"] == 16
    assert by_street["东城街道"]["整改销项·本周"] == 1 and by_street["东城街道"]["召开推进会（次）"] == 2
    assert by_street["南湖街道"]["系统数据来源"] == "系统实时统计"
    assert by_street["合计"]["入户走访（户）"] == 170
    assert by_street["合计"]["新增整改事项·累计"] == 2  # 东城's snapshot; the returned 北苑 is live (0)
    assert by_street["北苑街道"]["系统数据来源"] == "系统实时统计"
    narratives = list(book.worksheets[1].iter_rows(values_only=True))
    assert narratives[0][3] == "本周工作进展" and any(r[3] == PROGRESS for r in narratives[1:])


def test_bulletin_page_defaults_to_the_last_closed_week(login_as, world):
    campaign = build(world)
    with time_machine.travel(LATER, tick=False):
        html = login_as(world.officer).get(f"/reports/bulletin?campaign={campaign.id}").get_data(as_text=True)
    assert 'value="2026-W39"' in html and "下载 PDF" in html and "西城街道" in html


def test_workbook_of_an_empty_week(world):
    campaign = gen_campaign()
    db.session.commit()
    plain = bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
    assert plain["rows"] == [] and plain["expected"] == 0
    assert load_workbook(io.BytesIO(bulletin_workbook(plain))).worksheets[0].max_row == 2  # header + total


def test_bulletin_queries_do_not_grow_with_streets(world, count_queries):
    campaign = build(world)

    def measure():
        db.session.expire_all()
        with count_queries() as queries:
            bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
        return len(queries)

    before = measure()
    for name in ("中山街道", "和平街道", "新华街道"):
        street = gen_street(world.district, name=name)
        gen_enrolment(campaign, gen_estate(street))
        report = gen_report(campaign, street, W39, status=ReportStatus.SUBMITTED,
                            submitted_at=utc(local(2026, 9, 24, 9)), system_figures={}, progress="进展",
                            submitted_by_id=gen_user(street=street).id)
        store_bytes(PDF_BYTES, f"{name}台账.pdf", kinds=(PDF,), owner=report, purpose="report")
    db.session.commit()
    assert measure() == before


def test_bulletin_pdf_reads_the_bulletin_once_in_a_fixed_number_of_queries(login_as, world, count_queries):
    """The page estimate and the PDF share one reading of the bulletin; more streets, no more queries."""
    campaign = build(world)
    query = {"campaign": campaign.id, "week": "2026-W39", "annex": "0"}
    with time_machine.travel(LATER, tick=False):
        client = login_as(world.leader)
        assert client.get("/reports/bulletin.pdf", query_string=query).status_code == 200  # the calendar caches

        def measure():
            with count_queries() as queries:
                response = client.get("/reports/bulletin.pdf", query_string=query)
            assert response.status_code == 200 and response.mimetype == "application/pdf"
            return [str(statement) for statement in queries]

        before = measure()
        figures = dict(db.session.scalar(select(WeeklyReport).where(WeeklyReport.street_id == world.street1.id))
                       .system_figures)
        for name in ("中山街道", "和平街道", "新华街道"):
            street = gen_street(world.district, name=name)
            gen_enrolment(campaign, gen_estate(street))
            gen_report(campaign, street, W39, status=ReportStatus.SUBMITTED, submitted_at=utc(local(2026, 9, 24, 9)),
                       system_figures=figures, progress="进展", submitted_by_id=gen_user(street=street).id)
        db.session.commit()
        measure()  # refills the caches kept by data generation (the streets' reporting periods)
        after = measure()
    assert len(after) == len(before) <= 15
    assert sum(statement.startswith("SELECT attachments.owner_id") for statement in after) == 1
