"""The 前期物业 and party-building exports above the threshold: a job that keeps the user's scope and writes
the same cells as the request would."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from supervision.contracts.models import FilingStatus
from supervision.extensions import db
from supervision.jobs.models import Job

from ..contracts.factories import gen_contract, gen_party, gen_preliminary


def _rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def test_the_street_offices_export_jobs_hold_its_streets_rows(world, inprocess, login_as, app, monkeypatch):
    gen_preliminary(world.estate1)
    gen_preliminary(world.estate2)
    gen_party(world.estate1, red=True)
    gen_contract(world.estate1, status=FilingStatus.FILED, filing_number="备-J1")
    db.session.commit()
    client = login_as(world.street_user)
    written = {}
    for url in ("/contracts/party/export.xlsx", "/contracts/preliminary/export.xlsx"):
        monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 100)
        in_request = _rows(client.get(url).data)
        monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 0)
        response = client.get(url)
        assert response.status_code == 302 and "/jobs/" in response.headers["Location"], url
        job_id = int(response.headers["Location"].rsplit("/", 1)[1])
        inprocess.wait()
        db.session.expire_all()
        assert db.session.get(Job, job_id).status == "finished"
        rows = _rows(client.get(f"/jobs/{job_id}/download").data)
        assert rows == in_request and [row[0] for row in rows[1:]] == [world.estate1.name], url
        written[url] = rows
    assert written["/contracts/party/export.xlsx"][1][4] == "备-J1"  # the fee standard's filing number
