"""The exports registry (supervision/jobs/exports.py): in the request up to EXPORT_JOB_THRESHOLD rows,
a job above it that applies its owner's scope again, the same job for the same request in a minute."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from supervision.extensions import db
from supervision.jobs import exports
from supervision.jobs.models import Job

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
                                       ("/campaigns/items/export.xlsx", "items")])
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
