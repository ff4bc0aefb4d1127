"""Every import page hands a large file to an ``imports.run`` job (jobs.imports): the job imports
all the rows or none, with the user's own scope, and says why when it fails."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from supervision.complaints.models import Complaint
from supervision.extensions import db
from supervision.jobs.imports import IMPORTERS
from supervision.jobs.models import Job
from supervision.safety.models import Lift
from supervision.surveys.models import Household

from ..complaints.test_intake import HEADERS as HOTLINE_HEADERS
from ..complaints.test_intake import rows as hotline_rows
from ..complaints.test_intake import workbook
from ..safety.test_spreadsheet import LIFT_HEADERS, lift_row, xlsx


@pytest.fixture
def threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD", 2)


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _post(client, url, data, name="big.xlsx"):
    return client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _job_of(response) -> Job:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/jobs/" in location
    db.session.expire_all()
    return db.session.get(Job, int(location.rstrip("/").rsplit("/", 1)[1]))


def _finished(inprocess, job_id) -> Job:
    inprocess.wait()
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_every_upload_page_has_a_job_importer():
    assert set(IMPORTERS) >= {"estates", "companies", "enrolments", "hotline", "repairs", "lifts", "facilities",
                              "households", "contracts", "preliminary", "party"}


def test_a_large_hotline_file_is_imported_by_a_job(world, login_as, inprocess, threshold):
    client = login_as(world.officer)
    data = workbook(HOTLINE_HEADERS, hotline_rows())
    before = _count(Complaint)
    job = _job_of(_post(client, "/complaints/import", data, "gd.xlsx"))
    assert (job.kind, job.payload["importer"]) == ("imports.run", "hotline")
    assert _count(Complaint) == before  # nothing yet: the job does it
    job = _finished(inprocess, job.id)
    assert job.status == "finished", job.message
    assert job.message.startswith("已导入 3 件12345工单")
    assert _count(Complaint) == before + 3
    # The same file again: its tickets are already there, nothing is added twice.
    again = _finished(inprocess, _job_of(_post(client, "/complaints/import", data, "gd.xlsx")).id)
    assert again.status == "finished" and _count(Complaint) == before + 3


def test_a_failed_import_job_keeps_nothing_and_lists_the_rows(world, login_as, inprocess, threshold):
    rows = hotline_rows()
    rows[2][1] = "不是时间"
    before = _count(Complaint)
    job = _job_of(_post(login_as(world.officer), "/complaints/import", workbook(HOTLINE_HEADERS, rows), "gd.xlsx"))
    job = _finished(inprocess, job.id)
    assert job.status == "failed"
    assert "未导入" in job.message and "\n4\t" in job.message  # the row with the bad time (row 4 of the sheet)
    assert _count(Complaint) == before


def test_a_small_file_stays_in_the_request(world, login_as, inprocess, threshold):
    response = _post(login_as(world.officer), "/complaints/import", workbook(HOTLINE_HEADERS, hotline_rows()[:2]),
                     "gd.xlsx")
    assert response.status_code == 302 and "/jobs/" not in response.headers["Location"]
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_a_company_job_imports_only_for_its_own_estates(world, login_as, inprocess, threshold):
    client = login_as(world.company_user)
    own = [lift_row(**{"使用登记证编号/注册代码": f"3110A000{n}"}) for n in range(3)]
    job = _finished(inprocess, _job_of(_post(client, "/safety/lifts/import", xlsx(own, LIFT_HEADERS))).id)
    assert job.status == "finished", job.message
    assert _count(Lift) == 3
    # A row for an estate the company does not manage (月亮小区, street 2) fails the whole file.
    other = lift_row(**{"街道": "西城街道", "小区名称": "月亮小区", "使用登记证编号/注册代码": "3110B0001"})
    rows = [lift_row(**{"使用登记证编号/注册代码": f"3110C000{n}"}) for n in range(2)] + [other]
    job = _finished(inprocess, _job_of(_post(client, "/safety/lifts/import", xlsx(rows, LIFT_HEADERS))).id)
    assert job.status == "failed" and "小区名称" in job.message
    assert _count(Lift) == 3


def _households(rows):
    return workbook(["房号", "手机号"], rows)


def test_a_household_job_is_for_the_street_own_estate_only(world, login_as, inprocess, threshold):
    rows = [[f"1-{100 + n}", f"1381234{n:04d}"] for n in range(4)]
    refused = _post(login_as(world.street2_user), f"/surveys/households/{world.estate1.id}", _households(rows))
    assert refused.status_code == 404
    assert db.session.scalar(select(func.count(Job.id))) == 0
    job = _job_of(_post(login_as(world.street_user), f"/surveys/households/{world.estate1.id}", _households(rows)))
    assert job.payload["options"] == {"estate_id": world.estate1.id}
    job = _finished(inprocess, job.id)
    assert job.status == "finished", job.message
    assert job.message == "已导入 4 户。"
    assert db.session.scalar(select(func.count(Household.id)).where(Household.estate_id == world.estate1.id)) == 4
