"""One issuing bureau on every official document: a rectification notice and a credit report agree."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.campaigns.services import notices
from supervision.extensions import db
from supervision.regions.services import bureau_name

from ..credit.factories import gen_basic, rules
from ..credit.test_publication import pdf_text
from ..reports.factories import gen_campaign, gen_enrolment, gen_item, local, utc


def _notice_and_report(world, login_as) -> tuple[str, str]:
    rules()
    gen_basic(world.company1, on=date(2026, 3, 2))
    campaign = gen_campaign(starts_on=date(2026, 3, 2))
    enrolment = gen_enrolment(campaign, world.estate1)
    item = gen_item(campaign, enrolment, opened_at=utc(local(2026, 3, 3)), deadline=date(2026, 4, 30))
    notice = notices.issue_notice(estate=world.estate1, items=[item], actor=world.officer, deadline_workdays=10,
                                  campaign=campaign, issued_on=date(2026, 3, 3))
    db.session.commit()
    officer = login_as(world.officer)
    notice_pdf = officer.get(f"/campaigns/notices/{notice.id}.pdf")
    report_pdf = officer.get(f"/credit/companies/{world.company1.id}/report.pdf?as_of=2026-04-10")
    assert notice_pdf.status_code == report_pdf.status_code == 200
    return pdf_text(notice_pdf.data), pdf_text(report_pdf.data)


@pytest.mark.parametrize("stored, printed", [("某某区住房和城乡建设局", "某某区住房和城乡建设局"),
                                             ("", "区住房和城乡建设局")])
def test_a_notice_and_a_credit_report_print_the_same_bureau(world, login_as, stored, printed):
    world.district.bureau_name = stored
    db.session.commit()
    assert bureau_name() == printed
    notice, report = _notice_and_report(world, login_as)
    assert printed in notice and printed in report


def test_the_bureau_is_the_districts_with_one_fallback(world):
    assert bureau_name() == "测试区住房和城乡建设局"
    world.district.bureau_name = "  "
    db.session.commit()
    assert bureau_name() == "区住房和城乡建设局"
