"""A bureau officer imports a ledger of 3,000 estates — over the 2,000 rows that make an import a job:
after the preview and the confirmation the browser lands on the job's page, whose progress bar moves
without a reload while the job runs in chunks, and which shows the outcome when it is done."""
from __future__ import annotations

import io
import time

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from supervision.estates.models import Estate
from supervision.jobs.services import JobContext
from supervision.regions.models import Community, Street

from . import builders

ROWS = 3000


def big_ledger(live_server, tag: str) -> bytes:
    with builders.app_session(live_server) as session:
        street = session.scalar(select(Street).where(Street.name == builders.DEMO_STREET))
        community = session.scalar(select(Community).where(Community.street_id == street.id).order_by(Community.id))
        community_name = community.name
    book = Workbook(write_only=True)
    sheet = book.create_sheet("小区台账")
    sheet.append(["小区名称", "地址", "街道", "社区", "管理模式", "建成年份", "户数"])
    for n in range(ROWS):
        sheet.append([f"批量{tag}第{n}苑", f"批量{tag}路{n}号", builders.DEMO_STREET, community_name, "社区托管",
                      2000 + n % 20, 100 + n % 500])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def slow_chunks(live_server, monkeypatch):
    """Chunks of 250 rows, each reported a moment later: the page has time to show the bar moving."""
    monkeypatch.setitem(live_server.app.config, "IMPORT_CHUNK_ROWS", 250)
    original = JobContext.progress

    def report(self, done, total=None, message=None):
        original(self, done, total, message)
        time.sleep(0.4)

    monkeypatch.setattr(JobContext, "progress", report)


def test_officer_follows_a_large_import_from_upload_to_its_result(login, live_server, slow_chunks):
    tag = builders.token()
    page = login("officer")
    page.goto(f"{live_server.url}/estates/import")
    page.set_input_files("input[name=file]", {"name": "大台账.xlsx", "mimeType": "application/octet-stream",
                                                "buffer": big_ledger(live_server, tag)})
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_test_id("import-preview")).to_contain_text(f"共读到 {ROWS} 行数据")
    page.get_by_test_id("import-confirm").click()

    page.wait_for_url("**/jobs/*")
    bar = page.locator("progress.job-progress")
    expect(bar).to_be_visible()
    # The bar moves while the job runs, without a reload: the same document sees a value between the ends.
    page.evaluate("window.__sameDocument = true")
    page.wait_for_function(
        "() => { const bar = document.querySelector('progress.job-progress');"
        " return bar.max == 3000 && bar.value > 0 && bar.value < 3000; }", timeout=60_000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("[data-job-field=counts]")).to_contain_text("/ 3,000")

    # When it ends the page shows the outcome (and the bar full).
    expect(page.locator(".job-message")).to_contain_text(f"已导入：新增 {ROWS} 个小区", timeout=120_000)
    expect(bar).to_have_attribute("value", str(ROWS))
    with builders.app_session(live_server) as session:
        stored = session.scalar(select(func.count(Estate.id)).where(Estate.name.like(f"批量{tag}第%")))
    assert stored == ROWS
