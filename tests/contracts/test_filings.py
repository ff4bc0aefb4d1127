"""Company filings per campaign: the workflow, who is missing or late, pages, scoping, the bulletin."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from supervision.attachments.models import Attachment
from supervision.attachments.services import UploadError
from supervision.audit.models import AuditLog
from supervision.campaigns.models import EnrolmentStatus
from supervision.core.errors import DomainError, TransitionError
from supervision.estates.errors import InvalidValues
from supervision.extensions import db
from supervision.filings import services
from supervision.filings.models import CompanyFiling, CompanyFilingStatus, FilingRequirement
from supervision.notifications.models import Notification
from supervision.reports.services.bulletin import bulletin, bulletin_plain
from supervision.reports.weeks import Week

from ..factories import gen_company, gen_estate
from ..reports.factories import gen_campaign, gen_enrolment
from .factories import PDF, gen_filing, gen_requirement

DUE = date(2026, 9, 30)


@pytest.fixture
def setup(world):
    """A campaign with estate1 (company1), estate2 (company2) and a third company's estate in street 1;
    a fourth company's enrolment is withdrawn (not expected)."""
    w = world
    w.campaign = gen_campaign()
    gen_enrolment(w.campaign, w.estate1)
    gen_enrolment(w.campaign, w.estate2)
    w.company3 = gen_company(name="丙物业服务有限公司")
    gen_enrolment(w.campaign, gen_estate(community=w.community1, company=w.company3, name="星星小区"))
    w.company4 = gen_company(name="丁物业服务有限公司")
    gen_enrolment(w.campaign, gen_estate(community=w.community1, company=w.company4), status=EnrolmentStatus.WITHDRAWN)
    w.requirement = gen_requirement(w.campaign, due_on=DUE)
    db.session.commit()
    return w


def test_requirement_rules(setup):
    w = setup
    with pytest.raises(InvalidValues) as error:
        services.save_requirement(w.campaign, {"title": "整改提升方案", "due_on": None})
    assert set(dict(error.value.errors)) == {"title", "due_on"}
    other = services.save_requirement(w.campaign, {"title": "自查报告", "due_on": date(2026, 10, 15)}, actor=w.officer)
    assert other.id and db.session.scalar(select(AuditLog.action).where(AuditLog.object_id == other.id,
                                                                       AuditLog.object_type == "FilingRequirement"))


def test_submit_return_resubmit_accept(setup):
    w = setup
    with time_machine.travel(datetime(2026, 9, 20, 2, tzinfo=UTC), tick=False):
        filing = services.submit_filing(w.requirement, w.company1, PDF, filename="方案.pdf", actor=w.company_user)
    assert filing.status is CompanyFilingStatus.SUBMITTED and not services.is_late(filing)
    with pytest.raises(InvalidValues):
        services.return_filing(filing, "")
    services.return_filing(filing, "缺少整改时限", actor=w.officer)
    assert filing.status is CompanyFilingStatus.RETURNED
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.company_user.id))
    assert note.kind == "filing_returned" and note.body == "缺少整改时限"
    with pytest.raises(TransitionError):
        services.accept_filing(filing)
    with time_machine.travel(datetime(2026, 10, 8, 3, tzinfo=UTC), tick=False):  # 11:00 Shanghai, after the due date
        services.submit_filing(w.requirement, w.company1, PDF, filename="方案2.pdf", actor=w.company_user)
    assert filing.status is CompanyFilingStatus.SUBMITTED and filing.submission_count == 2
    assert services.is_late(filing)
    services.accept_filing(filing, actor=w.officer)
    with pytest.raises(TransitionError):
        services.submit_filing(w.requirement, w.company1, PDF, filename="方案3.pdf")
    assert len(db.session.scalars(select(Attachment).where(Attachment.owner_type == "company_filing")).all()) == 2
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "CompanyFiling")
                                      .order_by(AuditLog.id)))
    assert actions == ["company_filing.submit", "company_filing.return", "company_filing.submit",
                       "company_filing.accept"]


def test_bad_uploads_and_strangers_are_refused(setup):
    w = setup
    with pytest.raises(UploadError):
        services.submit_filing(w.requirement, w.company1, b"MZ\x90\x00", filename="方案.pdf")
    db.session.rollback()
    assert db.session.scalar(select(CompanyFiling.id)) is None
    with pytest.raises(DomainError):
        services.submit_filing(w.requirement, w.company4, PDF, filename="方案.pdf")  # withdrawn: not expected


def test_missing_and_late_by_hand(setup):
    w = setup
    gen_filing(w.requirement, w.company1, submitted_at=datetime(2026, 9, 29, 15, 59, tzinfo=UTC))  # 9-29 23:59 local
    gen_filing(w.requirement, w.company2, submitted_at=datetime(2026, 9, 30, 16, 1, tzinfo=UTC))  # 10-01 00:01 local
    gen_filing(w.requirement, w.company3, status=CompanyFilingStatus.RETURNED)
    db.session.commit()
    before = services.requirement_status(w.requirement, today=DUE)
    assert before.expected == 3 and before.missing == []  # not yet due
    after = services.requirement_status(w.requirement, today=date(2026, 10, 1))
    assert [r.company.name for r in after.missing] == ["丙物业服务有限公司"]
    assert [r.company.name for r in after.late] == [w.company2.name]
    assert after.submitted == 2 and after.accepted == 0
    street = services.requirement_status(w.requirement, today=date(2026, 10, 1), street_id=w.street1.id)
    assert {r.company.name for r in street.rows} == {w.company1.name, "丙物业服务有限公司"}
    # The campaign page's summary: the same figures from SQL, the names capped.
    for today in (DUE, date(2026, 10, 1)):
        for narrowing in ({}, {"street_id": w.street1.id}, {"company_id": w.company2.id}):
            full = services.requirement_status(w.requirement, today=today, **narrowing)
            summary = services.requirement_summary(w.requirement, today=today, **narrowing)
            assert (summary.expected, summary.submitted, summary.accepted) == (full.expected, full.submitted,
                                                                               full.accepted)
            assert summary.missing_count == len(full.missing) and summary.late_count == len(full.late)
            assert summary.missing_names == [r.company.name for r in full.missing]
            assert summary.late_names == [r.company.name for r in full.late]
            # The requirement page's rows, a page at a time: the same companies, order and states.
            rows = []
            for number in (1, 2, 3):
                rows += services.requirement_rows(w.requirement, today=today, per_page=1, page=number,
                                                  **narrowing).items
            assert [(r.company.id, r.missing, r.late, r.state_label) for r in rows] == \
                [(r.company.id, r.missing, r.late, r.state_label) for r in full.rows]
            # The workbook's rows: the same, from plain columns.
            plain = services.requirement_export_rows(w.requirement, today=today, **narrowing)
            assert [(r.company.id, r.company.name, r.missing, r.late, r.state_label,
                     r.filing.submitted_at if r.filing else None) for r in plain] == \
                [(r.company.id, r.company.name, r.missing, r.late, r.state_label,
                  r.filing.submitted_at if r.filing else None) for r in full.rows]


def test_the_campaign_page_names_the_first_missing_companies_and_counts_the_rest(setup, login_as, monkeypatch):
    w = setup
    db.session.commit()
    monkeypatch.setattr(services, "NAMES_SHOWN", 1)
    monkeypatch.setattr(services, "local_today", lambda: date(2026, 10, 1))
    page = login_as(w.officer).get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)
    cell = page[page.index('data-testid="missing"'):]
    cell = cell[:cell.index("</td>")]
    first = sorted([w.company1, w.company2, w.company3], key=lambda c: c.name_sort)[0]
    assert first.name in cell and "等 3 家" in cell and f"/filings/requirement/{w.requirement.id}" in cell


def test_the_requirement_page_is_paged_and_scoped(setup, login_as, app, monkeypatch):
    w = setup
    gen_filing(w.requirement, w.company2, submitted_at=datetime(2026, 10, 2, 2, tzinfo=UTC))
    db.session.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    monkeypatch.setattr("supervision.filings.views.local_today", lambda: date(2026, 10, 5))
    officer = login_as(w.officer)
    url = f"/filings/requirement/{w.requirement.id}"
    first, second = (officer.get(url + query).get_data(as_text=True) for query in ("", "?page=2"))
    names_sorted = sorted([w.company1, w.company2, w.company3], key=lambda c: (c.name_sort, c.id))
    shown = [[c.name for c in names_sorted if f'data-company="{c.id}"' in page] for page in (first, second)]
    assert shown == [[names_sorted[0].name, names_sorted[1].name], [names_sorted[2].name]]
    # The counts are the whole requirement's, on every page.
    for page in (first, second):
        assert "应报 3 家，已报 1 家，已通过 0 家，逾期未报 2 家，逾期报送 1 家。" in page
    assert w.company4.name not in first + second  # withdrawn: not expected
    # A street office sees its own street's companies only, and counts them alone.
    page = login_as(w.street2_user).get(url).get_data(as_text=True)
    assert f'data-company="{w.company2.id}"' in page and f'data-company="{w.company1.id}"' not in page
    assert "应报 1 家，已报 1 家" in page and f'data-company="{w.company3.id}"' not in page
    # Its workbook too: its street's companies only.
    from openpyxl import load_workbook

    workbook = login_as(w.street2_user).get(url + "/export.xlsx")
    names = [row[0] for row in load_workbook(io.BytesIO(workbook.data)).active.iter_rows(min_row=2, values_only=True)]
    assert names == [w.company2.name]
    workbook = officer.get(url + "/export.xlsx")
    rows = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [c.name for c in names_sorted]
    assert [row[2] for row in rows].count("未报送（已逾期）") == 2


def test_pages_scoping_and_review(setup, login_as):
    w = setup
    theirs = gen_filing(w.requirement, w.company2)
    db.session.commit()
    company = login_as(w.company_user)
    page = company.get(f"/filings/requirement/{w.requirement.id}").get_data(as_text=True)
    assert w.company1.name in page and w.company2.name not in page
    response = company.post(f"/filings/requirement/{w.requirement.id}/submit", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(PDF), "方案.pdf")})
    assert response.status_code == 302
    ours = db.session.scalar(select(CompanyFiling).where(CompanyFiling.company_id == w.company1.id))
    assert ours.status is CompanyFilingStatus.SUBMITTED
    listing = company.get("/filings/").get_data(as_text=True)
    assert listing.count("data-testid=\"filings\"") == 1 and w.company2.name not in listing
    assert company.post(f"/filings/{theirs.id}/accept", data={"version": theirs.version}).status_code == 403
    assert company.post(f"/filings/{ours.id}/accept", data={"version": ours.version}).status_code == 403
    company2 = login_as(w.company2_user)
    page = company2.get(f"/filings/requirement/{w.requirement.id}").get_data(as_text=True)
    assert w.company1.name not in page
    street2 = login_as(w.street2_user)
    listing = street2.get("/filings/").get_data(as_text=True)
    assert w.company2.name in listing and w.company1.name not in listing
    officer = login_as(w.officer)
    response = officer.post(f"/filings/{ours.id}/return", data={"version": ours.version, "reason": "缺少时限"})
    assert response.status_code == 302
    db.session.expire_all()
    assert ours.status is CompanyFilingStatus.RETURNED and ours.return_reason == "缺少时限"
    page = officer.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)
    assert "企业报送材料" in page and "整改提升方案" in page
    assert officer.get(f"/filings/requirement/{w.requirement.id}/export.xlsx").status_code == 200
    assert officer.get("/filings/export.xlsx").status_code == 200
    response = officer.post(f"/filings/campaign/{w.campaign.id}/new", data={"title": "整改提升方案",
                                                                           "due_on": "2026-10-10", "version": ""})
    assert "已有名为" in response.get_data(as_text=True)
    assert db.session.query(FilingRequirement).count() == 1
    assert company.get(f"/filings/campaign/{w.campaign.id}/new").status_code == 403


def test_the_bulletin_lists_missing_and_late_companies(setup):
    w = setup
    gen_filing(w.requirement, w.company1, submitted_at=datetime(2026, 10, 2, 2, tzinfo=UTC))
    db.session.commit()
    plain = bulletin_plain(bulletin(w.campaign, Week.of(date(2026, 10, 5))))
    [entry] = plain["company_filings"]
    assert entry["title"] == "整改提升方案" and entry["expected"] == 3
    assert entry["late"] == [w.company1.name]
    assert set(entry["missing"]) == {w.company2.name, "丙物业服务有限公司"}


def test_the_bulletin_pdf_says_who_is_missing(setup, login_as):
    w = setup
    gen_filing(w.requirement, w.company1, submitted_at=datetime(2026, 10, 2, 2, tzinfo=UTC))
    db.session.commit()
    with time_machine.travel(datetime(2026, 10, 12, 2, tzinfo=UTC), tick=False):
        response = login_as(w.leader).get(f"/reports/bulletin.pdf?campaign={w.campaign.id}&week=2026-W41&annex=0")
    assert response.status_code == 200
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages))
    assert "企业报送“整改提升方案”（截止2026-09-30）：应报3家，已报1家，已通过0家" in text
    assert "逾期未报：" in text and w.company2.name in text and f"逾期报送：{w.company1.name}" in text


def test_the_bulletin_page_names_the_first_companies_and_counts_the_rest(setup, login_as, monkeypatch):
    w = setup
    gen_filing(w.requirement, w.company1, submitted_at=datetime(2026, 10, 2, 2, tzinfo=UTC))
    db.session.commit()
    monkeypatch.setattr(services, "NAMES_SHOWN", 1)
    with time_machine.travel(datetime(2026, 10, 12, 2, tzinfo=UTC), tick=False):
        page = login_as(w.leader).get(f"/reports/bulletin?campaign={w.campaign.id}&week=2026-W41")
    html = page.get_data(as_text=True)
    line = html[html.index('data-testid="bulletin-filing"'):]
    line = line[:line.index("</p>")]
    assert "应报 3 家，已报 1 家，已通过 0 家" in line
    missing = sorted([w.company2, w.company3], key=lambda c: (c.name_sort, c.id))
    assert missing[0].name in line and missing[1].name not in line and "等 2 家" in line
    assert f"/filings/requirement/{w.requirement.id}" in line
    assert f"逾期报送：{w.company1.name}" in line and "等 1 家" not in line


def test_a_campaign_without_filing_types_says_so(world, login_as):
    campaign = gen_campaign()
    gen_enrolment(campaign, world.estate1)
    db.session.commit()
    for user in (world.officer, world.company_user, world.street_user):
        page = login_as(user).get(f"/campaigns/{campaign.id}")
        assert page.status_code == 200 and "本专项行动未要求企业报送材料" in page.get_data(as_text=True)
