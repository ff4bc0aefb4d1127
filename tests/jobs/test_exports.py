"""The exports registry (supervision/jobs/exports.py): in the request up to EXPORT_INLINE_CELLS cells (rows ×
columns) and EXPORT_JOB_THRESHOLD rows, a job above that applies its owner's scope again, the same job for
the same request in a minute."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.extensions import db
from supervision.jobs import exports
from supervision.jobs.models import Job

from ..complaints.factories import gen_complaint
from ..credit.conftest import ranked  # noqa: F401  (the credit tests' fixture)
from ..factories import gen_estate


@pytest.fixture
def many_estates(world):
    for n in range(4):
        gen_estate(community=world.community1, company=world.company1, name=f"东城{n}号小区")
        gen_estate(community=world.community2, company=world.company2, name=f"西城{n}号小区")
    db.session.commit()
    return world


def _names(data: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(data)).active
    return sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))


def _job_id(response) -> int:
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_street_users_export_job_holds_only_its_streets_rows(many_estates, inprocess, login_as, app, monkeypatch):
    world = many_estates
    own = sorted(["阳光小区"] + [f"东城{n}号小区" for n in range(4)])
    client = login_as(world.street_user)
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 100)
    small = client.get("/estates/export.xlsx")
    assert small.status_code == 200 and _names(small.data) == own  # below the threshold: in the request

    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 4)  # the street has 5 rows, the district 10
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)  # progress reported while the cursor is open
    job_id = _job_id(client.get("/estates/export.xlsx"))
    inprocess.wait()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.total, job.user_id) == ("exports.run", "finished", 5, world.street_user.id)
    assert _names(client.get(f"/jobs/{job_id}/download").data) == own
    assert login_as(world.street2_user).get(f"/jobs/{job_id}/download").status_code == 404


def test_an_export_is_written_in_the_request_up_to_the_cell_budget_and_is_a_job_above(
        many_estates, inprocess, login_as, app, monkeypatch, count_queries):
    world = many_estates
    own = sorted(["阳光小区"] + [f"东城{n}号小区" for n in range(4)])  # the street's 5 estates
    with app.test_request_context():
        columns = len(exports.EXPORTERS["estates"].columns())
    client = login_as(world.street_user)
    assert app.config["EXPORT_JOB_THRESHOLD"] >= 5 and app.config["EXPORT_INLINE_CELLS"] >= 5 * columns
    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 5 * columns)  # exactly the budget: in the request
    small = client.get("/estates/export.xlsx")
    assert small.status_code == 200 and _names(small.data) == own

    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 5 * columns - 1)  # one cell over: a job
    with count_queries() as statements:
        job_id = _job_id(client.get("/estates/export.xlsx"))
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()  # one count, stopping after the budget's rows
    inprocess.wait()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.status, job.total) == ("finished", 5)  # the job counts them all
    assert _names(client.get(f"/jobs/{job_id}/download").data) == own

    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 10**9)
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 4)  # the row cap still holds under any budget
    _job_id(client.get("/estates/export.xlsx?q=小区"))


def test_the_count_that_decides_stops_after_the_rows_the_request_may_write(many_estates, app, monkeypatch):
    exporter = exports.EXPORTERS["estates"]
    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 1000)
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 50)
    with exports.as_request(many_estates.officer, []):  # the district's 10 estates
        statement = exporter.statement()
        assert exports.count(exporter, statement) == 10
        assert [exports.count(exporter, statement, up_to=n) for n in (0, 3, 10, 11)] == [0, 3, 10, 10]
        assert [exports.inline_rows(n) for n in (0, 1, 20, 22, 2000)] == [50, 50, 50, 45, 0]


def test_the_same_export_within_a_minute_is_the_same_job(many_estates, inprocess, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 0)
    client = login_as(many_estates.officer)
    first = _job_id(client.get("/estates/export.xlsx?q=东城"))
    assert _job_id(client.get("/estates/export.xlsx?q=东城")) == first
    other = _job_id(client.get("/estates/export.xlsx?q=西城"))
    assert other != first
    inprocess.wait()
    assert db.session.scalar(select(func.count(Job.id))) == 2
    assert _names(client.get(f"/jobs/{other}/download").data) == [f"西城{n}号小区" for n in range(4)]


def test_a_companys_export_job_keeps_the_company_scope(many_estates, inprocess, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 0)
    client = login_as(many_estates.company2_user)
    job_id = _job_id(client.get("/estates/export.xlsx"))
    inprocess.wait()
    assert _names(client.get(f"/jobs/{job_id}/download").data) == sorted(
        ["月亮小区"] + [f"西城{n}号小区" for n in range(4)])


@pytest.mark.parametrize("url, name", [("/companies/export.xlsx", "companies"),
                                       ("/contracts/export.xlsx", "contracts"),
                                       ("/safety/lifts/export.xlsx", "safety.lifts"),
                                       ("/campaigns/items/export.xlsx", "items"),
                                       ("/complaints/export.xlsx", "complaints"),
                                       ("/filings/export.xlsx", "filings")])
def test_every_registered_list_export_is_a_job_above_the_threshold(world, inprocess, login_as, app, monkeypatch,
                                                                    url, name):
    assert name in exports.EXPORTERS
    client = login_as(world.officer)
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 100)
    in_request = client.get(url)
    assert in_request.status_code == 200 and in_request.data[:2] == b"PK"
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", -1)
    job_id = _job_id(client.get(url))
    inprocess.wait()
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "finished"
    from_job = load_workbook(io.BytesIO(client.get(f"/jobs/{job_id}/download").data)).active
    direct = load_workbook(io.BytesIO(in_request.data)).active
    assert list(from_job.iter_rows(values_only=True)) == list(direct.iter_rows(values_only=True))


def test_the_complaints_export_job_keeps_the_scope_and_the_masking(world, inprocess, login_as, app, monkeypatch):
    gen_complaint(world.estate1, name="王小明", phone="13812341234")
    gen_complaint(world.estate2, name="李大同", phone="13900009999")
    db.session.commit()
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 0)
    company = login_as(world.company_user)
    job_id = _job_id(company.get("/complaints/export.xlsx"))
    inprocess.wait()
    rows = list(load_workbook(io.BytesIO(company.get(f"/jobs/{job_id}/download").data)).active.iter_rows(
        values_only=True))
    assert len(rows) == 2 and "138****1234" in rows[1] and "王**" in rows[1]  # its own estate only, masked
    assert "13812341234" not in str(rows) and "13900009999" not in str(rows)
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "complaint.export_contact")) == 0

    officer = login_as(world.officer)
    job_id = _job_id(officer.get("/complaints/export.xlsx"))
    inprocess.wait()
    rows = list(load_workbook(io.BytesIO(officer.get(f"/jobs/{job_id}/download").data)).active.iter_rows(
        values_only=True))
    assert len(rows) == 3 and "13812341234" in str(rows) and "13900009999" in str(rows)
    logged = db.session.scalar(select(AuditLog).where(AuditLog.action == "complaint.export_contact"))
    assert logged.actor_id == world.officer.id and len(logged.after["ids"]) == 2


def test_the_estate_export_takes_as_many_queries_for_more_rows(world, login_as, count_queries):
    client = login_as(world.officer)
    counts = []
    for more in (0, 30):
        for n in range(more):
            gen_estate(community=world.community1 if n % 2 else world.community2, company=world.company1,
                       name=f"批量{n}号小区")
        db.session.commit()
        with count_queries() as statements:
            response = client.get("/estates/export.xlsx")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 8
    assert len(list(load_workbook(io.BytesIO(response.data)).active.iter_rows())) >= 31


def test_the_ranking_export_is_a_job_above_the_threshold_with_the_same_rows(ranked, inprocess, login_as, app,  # noqa: F811
                                                                            monkeypatch):
    client = login_as(ranked.leader)
    direct = client.get("/credit/export.xlsx?sort=total")
    assert direct.status_code == 200 and "attachment" in direct.headers["Content-Disposition"]
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 1)  # more than one company is ranked
    job_id = _job_id(client.get("/credit/export.xlsx?sort=total"))
    inprocess.wait()
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "finished"
    from_job = load_workbook(io.BytesIO(client.get(f"/jobs/{job_id}/download").data)).worksheets[0]
    rows = list(from_job.iter_rows(values_only=True))
    assert len(rows) > 2 and rows == list(load_workbook(io.BytesIO(direct.data)).worksheets[0].iter_rows(
        values_only=True))
