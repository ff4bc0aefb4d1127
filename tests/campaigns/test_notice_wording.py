"""The 整改通知书 states each requirement once: the items' deadlines in the table, what to do by then and
what follows a delay in one closing paragraph."""
from __future__ import annotations

import io
from datetime import date

from flask import render_template
from pypdf import PdfReader

from supervision.campaigns.services import notices
from supervision.campaigns.services.survey import record_survey
from supervision.core.timeutil import local_today
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from . import factories as f

REQUIREMENTS = ("整改完毕", "法定节假日顺延", "整改情况及佐证材料报我局", "依法依规处理", "记入企业信用档案")
REMARKS = "整改期间在现场设置安全警示标志。"


def _notice_with_two_items(world):
    campaign = f.gen_campaign(world, code="p12_rectification")
    (enrolment,) = f.enrol(campaign, world.estate1, actor=world.officer)
    record_survey(enrolment, actor=world.officer, surveyed_on=local_today(),
                  management_mode=ManagementMode.PROFESSIONAL, company_id=world.company1.id, committee_status=None,
                  notes="", problems=[])
    items = [f.gen_item(enrolment, actor=world.officer, description="消防通道堆放杂物"),
             f.gen_item(enrolment, actor=world.officer, description="二次供水未消毒")]
    notice = notices.issue_notice(estate=world.estate1, items=items, actor=world.officer, deadline_workdays=3,
                                  campaign=campaign, remarks=REMARKS, issued_on=date(2026, 9, 28))
    db.session.commit()
    return notice


def _counts(text: str) -> dict[str, int]:
    compact = text.replace(" ", "").replace("\n", "")
    return {phrase: compact.count(phrase) for phrase in (*REQUIREMENTS, REMARKS, "消防通道堆放杂物", "二次供水未消毒")}


def test_each_requirement_appears_once_in_the_document(app, world):
    notice = _notice_with_two_items(world)
    with app.test_request_context():
        html = render_template("pdf/campaigns/notice.html", doc=notices.notice_document(notice))
    assert _counts(html) == dict.fromkeys(_counts(""), 1)
    # the deadline stands with each item (3 working days after 28 September: 29, 30 September, 8 October),
    # not again in the introduction
    assert html.count("2026年10月8日") == 2
    introduction = html[html.index("检查，你单位管理的"):html.index("<table")]
    assert "整改" not in introduction.replace("整改通知书", "") and "存在下列 2 项问题" in introduction


def test_the_printed_pdf_says_it_once_too(world, login_as):
    notice = _notice_with_two_items(world)
    pdf = login_as(world.officer).get(f"/campaigns/notices/{notice.id}.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert _counts(text) == dict.fromkeys(_counts(""), 1)
