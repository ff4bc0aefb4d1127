"""Opening a page never creates a record: the self-inspection form is started by a POST (开始填报)."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import SelfInspection, SelfInspectionStatus
from supervision.extensions import db


def _counts() -> dict[str, int]:
    """Rows of every table a page could wrongly create (the audit log included); login and
    session bookkeeping are left out, they are not records of the supervision."""
    skipped = ("session", "throttle", "login")
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if not any(word in table.name for word in skipped)}


def test_opening_the_pages_of_an_unstarted_form_creates_nothing(running, login_as):
    w = running
    client = login_as(w.company_user)
    before = _counts()
    page = client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "开始填报" in html and f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/start" in html
    workbook = client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection.xlsx")
    assert workbook.status_code == 302 and workbook.location.endswith(
        f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection")
    assert client.get(f"/campaigns/enrolments/{w.enrolment1.id}").status_code == 200
    db.session.expire_all()
    assert _counts() == before
    assert db.session.scalar(select(func.count(SelfInspection.id))) == 0


def test_the_start_button_creates_the_draft_once_and_audits_it(running, login_as):
    w = running
    client = login_as(w.company_user)
    url = f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/start"
    response = client.post(url)
    assert response.status_code == 302 and response.location.endswith(
        f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection")
    si = db.session.scalar(select(SelfInspection))
    assert si.enrolment_id == w.enrolment1.id and si.status is SelfInspectionStatus.DRAFT
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "self_inspection.start")) == 1
    client.post(url)  # a second click opens the same form
    assert db.session.scalar(select(func.count(SelfInspection.id))) == 1
    page = client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection")
    assert "填报中" in page.get_data(as_text=True) and "si-form" in page.get_data(as_text=True)
    assert client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection.xlsx").status_code == 200


def test_only_the_estates_company_starts_it_and_never_without_a_token(running, login_as):
    w = running
    url = f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/start"
    assert login_as(w.company_user).post(url, csrf=False).status_code == 400
    assert login_as(w.company2_user).post(url).status_code == 404  # another company's estate
    assert login_as(w.officer).post(url).status_code == 403
    assert login_as(w.street_user).post(url).status_code == 403
    assert db.session.scalar(select(func.count(SelfInspection.id))) == 0
    page = login_as(w.officer).get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection")
    assert "企业尚未开始填报" in page.get_data(as_text=True) and "开始填报</button>" not in page.get_data(as_text=True)
