"""Publishing a period freezes it; red and black lists; the notice and report PDFs' text."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from supervision.credit import company_file, services
from supervision.credit.models import CreditEvent, CreditPublication, CreditPublicationRow
from supervision.credit.publication import publish
from supervision.extensions import db

from ..factories import gen_company
from .factories import gen_basic, gen_event, rules

DAY = date(2026, 3, 2)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "").replace("\n", "")


@pytest.fixture
def graded(world):
    """company1 on the red list (90), company2 black-listed, a third in between."""
    rules()
    for company in (world.company1, world.company2):
        gen_basic(company, on=DAY)
    gen_event(world.company1, "LH-03", on=DAY)
    gen_event(world.company2, "YZ-03", on=DAY, description="被依法列入严重违法失信名单。")
    world.company3 = gen_company(name="丙物业服务有限公司")
    gen_basic(world.company3, on=DAY, codes=["JC-01", "JC-02", "JC-03", "JC-04", "JC-06"])
    db.session.commit()
    return world


def _rows(publication) -> list[tuple]:
    return [(r.company_name, r.total, r.grade_code, r.red, r.black, r.position) for r in db.session.scalars(
        select(CreditPublicationRow).where(CreditPublicationRow.publication_id == publication.id)
        .order_by(CreditPublicationRow.position))]


def test_a_published_period_does_not_change(graded):
    publication = publish(name="2026年第一季度", as_of=date(2026, 3, 31), actor=graded.officer,
                                   on=date(2026, 4, 2))
    frozen = _rows(publication)
    assert frozen == [
        ("甲物业服务有限公司", Decimal("90.00"), "AAA", True, False, 1),
        ("丙物业服务有限公司", Decimal("65.00"), "B", False, False, 2),
        ("乙物业服务有限公司", Decimal("50.00"), "BLACK", False, True, 3),
    ]
    assert (publication.red_count, publication.black_count, publication.company_count) == (1, 1, 3)
    black = db.session.scalar(select(CreditPublicationRow).where(CreditPublicationRow.black.is_(True)))
    assert "YZ-03" in black.note and "2026-03-02" in black.note
    # Later: records revoked and added, a company renamed, another rule set put in force.
    serious = db.session.scalar(select(CreditEvent).where(CreditEvent.company_id == graded.company2.id,
                                                          CreditEvent.points < 0))
    services.revoke_event(serious, reason="名单已移出", on=date(2026, 4, 10))
    gen_event(graded.company1, "BL-06", on=date(2026, 3, 20))
    graded.company1.name = "甲物业服务集团有限公司"
    services.set_rule_set_for_year(2026, rules()[1])
    db.session.commit()
    assert _rows(db.session.get(CreditPublication, publication.id)) == frozen
    live = {r.name: r for r in company_file.current_scores(date(2026, 3, 31))}
    assert live["乙物业服务有限公司"].black is False  # the live score moved on; the publication did not


def test_only_the_bureau_publishes_after_a_preview(login_as, graded):
    for who in (graded.leader, graded.company_user, graded.street_user):
        assert login_as(who).post("/credit/publications/new", data={
            "name": "越权发布", "as_of": "2026-03-31", "confirmed": "1"}).status_code == 403
    officer = login_as(graded.officer)
    preview = officer.post("/credit/publications/new", data={"name": "2026年第一季度", "as_of": "2026-03-31"})
    html = preview.get_data(as_text=True)
    assert "确认发布" in html and "红名单（1 家）" in html and "黑名单（1 家）" in html
    assert db.session.scalar(select(CreditPublication.id)) is None  # a preview publishes nothing
    response = officer.post("/credit/publications/new", data={"name": "2026年第一季度", "as_of": "2026-03-31",
                                                              "confirmed": "1"})
    assert response.status_code == 302
    publication = db.session.scalar(select(CreditPublication))
    assert publication.published_by_id == graded.officer.id
    again = officer.post("/credit/publications/new", data={"name": "2026年第一季度", "as_of": "2026-03-31",
                                                           "confirmed": "1"})
    assert "已有名为“2026年第一季度”的发布" in again.get_data(as_text=True)


def test_everyone_sees_the_lists_and_a_company_its_own_row(login_as, graded):
    publication = publish(name="2026年第一季度", as_of=date(2026, 3, 31), on=date(2026, 4, 2))
    db.session.commit()
    street = login_as(graded.street_user).get(f"/credit/publications/{publication.id}").get_data(as_text=True)
    assert "甲物业服务有限公司" in street and "乙物业服务有限公司" in street and "丙物业服务有限公司" not in street
    company = login_as(graded.company_user).get(f"/credit/publications/{publication.id}").get_data(as_text=True)
    assert "本企业结果" in company and "丙物业服务有限公司" not in company
    leader = login_as(graded.leader).get(f"/credit/publications/{publication.id}").get_data(as_text=True)
    assert "丙物业服务有限公司" in leader


def test_the_red_and_black_list_pdf(login_as, graded):
    publication = publish(name="2026年第一季度物业服务企业信用评价结果", as_of=date(2026, 3, 31),
                                   on=date(2026, 4, 2))
    db.session.commit()
    response = login_as(graded.street_user).get(f"/credit/publications/{publication.id}/lists.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "物业服务企业信用红黑名单" in text and "2026年第一季度物业服务企业信用评价结果" in text
    red, black = text.split("二、黑名单")
    assert "甲物业服务有限公司" in red and "90.00" in red and "乙物业服务有限公司" not in red
    assert "乙物业服务有限公司" in black and "YZ-03" in black and "丙物业服务有限公司" not in text
    assert "测试区住房和城乡建设局" in text


def test_the_deduction_notice_pdf(login_as, graded):
    event = gen_event(graded.company1, "BL-05", on=date(2026, 9, 28), status="notified", estate=graded.estate1,
                      description="消防通道堵塞未按期整改。")
    db.session.commit()
    response = login_as(graded.company_user).get(f"/credit/events/{event.id}/notice.pdf")
    text = pdf_text(response.data)
    # The fixture notified the first, so this one is number 0002.
    for expected in ("物业服务企业信用记分告知单", "〔2026〕信记第0002号", "甲物业服务有限公司",
                     "BL-05未按整改通知书要求限期整改", "扣6分", "2026年10月16日前整改到位",
                     "15个工作日内，即2026年10月23日前", "提出异议", "阳光小区", "消防通道堵塞未按期整改",
                     "测试区住房和城乡建设局", "2026年09月28日"):
        assert expected in text, expected
    assert login_as(graded.company2_user).get(f"/credit/events/{event.id}/notice.pdf").status_code == 404


def test_the_company_credit_report_pdf(login_as, graded):
    gen_event(graded.company1, "BL-02", on=date(2026, 4, 1), status="notified")
    db.session.commit()
    response = login_as(graded.company_user).get(f"/credit/companies/{graded.company1.id}/report.pdf?as_of=2026-04-10")
    assert response.status_code == 200 and "attachment" not in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for expected in ("物业服务企业信用报告", "甲物业服务有限公司", "评价日：2026年04月10日", "信用得分90.00",
                     "AAA", "LH-03", "JC-01", "异议期内", "BL-02", "物业服务企业信用评价标准（山东·烟台）"):
        assert expected in text, expected
