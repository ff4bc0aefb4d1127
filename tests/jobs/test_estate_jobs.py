"""The estate import and export as jobs above their thresholds (below, they stay in the request)."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.core import generations
from supervision.documents import preview
from supervision.documents.imports import data_rows, report_lines
from supervision.estates.models import Estate
from supervision.estates.spreadsheet import EstateImport
from supervision.extensions import db
from supervision.jobs.models import Job
from supervision.jobs.services import JobContext

from ..documents.importing import confirm, upload, upload_and_confirm
from ..documents.ledgers import UNKNOWN_IN_LEDGER, ledger_xlsx
from ..documents.test_ledgers import assert_every_value_right
from ..estates.test_estate_import import row, xlsx


@pytest.fixture
def thresholds(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD", 3)
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 1)


def _count() -> int:
    return db.session.scalar(select(func.count(Estate.id)))


def _job(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _upload(client, data):
    """Upload, then confirm the preview (documents.preview)."""
    return upload_and_confirm(client, "/estates/import", data, "大台账.xlsx")


def test_a_large_import_runs_as_a_job_with_progress(app, world, inprocess, thresholds, login_as, monkeypatch):
    reports = []
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 2)  # the job reports progress once per chunk
    original = JobContext.progress
    monkeypatch.setattr(JobContext, "progress",
                        lambda self, done, total=None, message=None: (reports.append((done, total)),
                                                                      original(self, done, total, message)))
    client = login_as(world.officer)
    data = xlsx([row(world, 小区名称=f"大台账{n}号") for n in range(5)])
    generation = generations.current("dashboard") or 0
    response = _upload(client, data)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert _upload(client, data).headers["Location"] == response.headers["Location"]  # the same file: same job
    inprocess.wait()
    job = _job(job_id)
    assert (job.status, job.done, job.total, job.message) == ("finished", 5, 5,
                                                              "已导入：新增 5 个小区，更新 0 个，跳过 0 个。")
    assert reports == [(2, 5), (4, 5), (5, 5)]
    assert _count() == 7
    # Rows written past the ORM (PostgreSQL's pipelined insert) still tell every worker's caches.
    db.session.rollback()  # a new transaction reads the generation again
    assert (generations.current("dashboard") or 0) > generation
    assert "已导入：新增 5 个小区" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_a_small_import_stays_in_the_request(world, inprocess, thresholds, login_as):
    response = _upload(login_as(world.officer), xlsx([row(world, 小区名称=f"小台账{n}号") for n in range(3)]))
    assert response.status_code == 302 and "/estates" in response.headers["Location"]
    assert _count() == 5 and db.session.scalar(select(Job)) is None


def test_a_large_files_preview_shows_the_errors_of_its_first_rows(world, inprocess, thresholds, login_as):
    client = login_as(world.officer)
    rows = [row(world, 小区名称=f"大台账{n}号") for n in range(4)] + [row(world, 小区名称="错行", 街道="北极街道")]
    page = upload(client, "/estates/import", xlsx(rows), "大台账.xlsx").get_data(as_text=True)
    assert "找不到街道“北极街道”" in page and 'data-testid="import-confirm"' not in page
    assert "预览只校验了前 200 行" in page and db.session.scalar(select(Job)) is None


def test_a_failed_import_job_says_why_imports_nothing_and_can_be_retried(world, inprocess, thresholds, login_as,
                                                                         monkeypatch):
    monkeypatch.setattr(preview, "PREVIEW_ROWS", 2)  # the bad row lies beyond what the preview checks
    client = login_as(world.officer)
    rows = [row(world, 小区名称=f"大台账{n}号") for n in range(4)] + [row(world, 小区名称="错行", 街道="北极街道")]
    response = _upload(client, xlsx(rows))
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    job = _job(job_id)
    assert job.status == "failed" and "找不到街道“北极街道”" in job.message and "未导入" in job.message
    assert _count() == 2
    assert client.post(f"/jobs/{job_id}/retry").status_code == 302
    inprocess.wait()
    assert _job(job_id).status == "failed" and _count() == 2  # the same file fails the same way


def test_a_large_export_runs_as_a_job_and_keeps_the_users_scope(world, inprocess, thresholds, login_as, app,
                                                                 monkeypatch):
    officer = login_as(world.officer)
    response = officer.get("/estates/export.xlsx")
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    job = _job(job_id)
    assert job.status == "finished" and job.total == 2 and job.result_name.startswith("小区台账-")
    sheet = load_workbook(io.BytesIO(officer.get(f"/jobs/{job_id}/download").data)).active
    assert sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        db.session.scalars(select(Estate.name)))
    assert login_as(world.company_user).get(f"/jobs/{job_id}/download").status_code == 404

    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 0)
    company = login_as(world.company2_user)
    job_id = int(company.get("/estates/export.xlsx").headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    sheet = load_workbook(io.BytesIO(company.get(f"/jobs/{job_id}/download").data)).active
    own = db.session.scalars(select(Estate.name).where(Estate.company_id == world.company2.id)).all()
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == own and len(own) == 1


def test_a_small_export_stays_in_the_request(world, thresholds, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 5000)
    response = login_as(world.officer).get("/estates/export.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def test_a_large_ledger_is_mapped_on_the_preview_and_imported_by_a_job(world, inprocess, thresholds, login_as):
    client = login_as(world.officer)
    page = upload(client, "/estates/import", ledger_xlsx(), "台账.xlsx").get_data(as_text=True)
    assert "无法识别，请选择" in page and "预览只校验了前 200 行" in page
    response = confirm(client, "/estates/import", page, **{UNKNOWN_IN_LEDGER: "__ignore__"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    inprocess.wait()
    job = _job(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "finished", job.message
    assert job.payload["mapping"] == {UNKNOWN_IN_LEDGER: "__ignore__"}
    assert_every_value_right()


def _big_sheet(world, rows: int, bad_at: int | None = None) -> bytes:
    """``rows`` estates; the data row ``bad_at`` (1-based) names a street that does not exist."""
    return xlsx([row(world, 小区名称=f"大表{n}号", 地址=f"大表路{n}号",
                     **({"街道": "北极街道"} if n + 1 == bad_at else {})) for n in range(rows)])


def test_an_import_job_writes_in_chunks_and_all_of_it(app, world, inprocess, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD", 100)
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 500)
    response = _upload(login_as(world.officer), _big_sheet(world, 2500))
    inprocess.wait()
    job = _job(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (job.status, job.done, job.total) == ("finished", 2500, 2500), job.message
    assert _count() == 2502


def test_a_bad_row_deep_in_a_chunked_import_stores_nothing(app, world, inprocess, login_as, monkeypatch):
    monkeypatch.setattr(preview, "PREVIEW_ROWS", 20)  # the preview does not reach the bad row
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD", 100)
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 500)  # four chunks are written before the bad one
    audit_before = db.session.scalar(select(func.count(AuditLog.id)))
    response = _upload(login_as(world.officer), _big_sheet(world, 2500, bad_at=2000))
    inprocess.wait()
    job = _job(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "failed" and "2001\t街道\t找不到街道“北极街道”" in job.message  # sheet row = data row + 1
    assert _count() == 2  # nothing of the 1,999 good rows before it
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "estate.import")) == 0
    assert db.session.scalar(select(func.count(AuditLog.id))) >= audit_before


def test_a_chunked_import_keeps_the_first_errors_and_counts_them_all(app, world, monkeypatch):
    monkeypatch.setattr(EstateImport, "ERRORS_KEPT", 5)
    data = xlsx([row(world, 小区名称=f"错表{n}号", 地址=f"错表路{n}号", 街道="北极街道") for n in range(12)])
    result = EstateImport("x.xlsx", world.officer).run_chunked(data, "x.xlsx", chunk_size=4)
    assert not result.ok and len(result.errors) == 5 and result.error_count == 12
    assert [e.row for e in result.errors] == [2, 3, 4, 5, 6]
    assert report_lines(result, "小区")[0] == "未导入：发现 12 处错误，文件中的数据均未导入。"
    db.session.rollback()
    assert _count() == 2


def test_a_sheet_that_declares_no_size_is_counted_for_the_threshold():
    book = Workbook(write_only=True)  # writes no <dimension>: openpyxl's max_row is None
    sheet = book.create_sheet("台账")
    for n in range(2501):
        sheet.append([f"小区{n}", n])
    out = io.BytesIO()
    book.save(out)
    assert data_rows(out.getvalue(), "x.xlsx") == 2500


def test_a_chunked_import_writes_each_estate_with_its_own_audit_entry_and_sort_key(app, world, monkeypatch):
    data = xlsx([row(world, 小区名称=f"重庆{n}号", 地址=f"审计路{n}号", 户数=100 + n, 建成年份=2001)
                 for n in range(9)])
    result = EstateImport("x.xlsx", world.officer).run_chunked(data, "x.xlsx", chunk_size=4)
    assert result.ok, result.errors
    estates = {e.id: e for e in db.session.scalars(select(Estate).where(Estate.name.like("重庆%")))}
    assert len(estates) == 9
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action == "estate.import")).all()
    assert sorted(e.object_id for e in entries) == sorted(estates)  # one each, by id
    for entry in entries:
        estate = estates[entry.object_id]
        assert (entry.object_type, entry.summary, entry.actor_id) == ("Estate", estate.name, world.officer.id)
        assert entry.after["name"] == estate.name and entry.after["households"] == estate.households
        assert entry.after["street_id"] == estate.street_id and entry.after["year_built"] == 2001
    assert all(e.name_sort.startswith("chongqing") and e.version == 1 and e.created_at for e in estates.values())


def test_the_declared_size_of_a_sheet_is_read_without_parsing_it():
    book = Workbook()
    sheet = book.active
    for n in range(31):
        sheet.append([f"小区{n}", n])
    out = io.BytesIO()
    book.save(out)
    assert data_rows(out.getvalue(), "x.xlsx") == 30
