"""PDFs expected over PDF_JOB_PAGES pages are made by a job (supervision/jobs/pdfs.py): the weekly
bulletin with its annex of every street's report; without the annex it stays in the request."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import time_machine

from supervision.config import default_config
from supervision.credit.publication import publish
from supervision.extensions import db
from supervision.jobs.models import Job

from ..credit.test_publication import graded  # noqa: F401  (the fixture)
from ..reports.test_bulletin import LATER, build, pdf_pages


def test_the_bulletin_with_a_long_annex_is_a_job_and_without_it_is_not(app, world, inprocess, login_as,
                                                                       monkeypatch):
    shipped = default_config(Path(app.instance_path))["PDF_JOB_PAGES"]  # the suite's app carries 10
    assert shipped == 3  # ~2.2× the one-page floor's CPU (bench/README.md); 4 pages would be ~2.8×
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", shipped)  # 3 pages of digest (+ 2 streets' reports)
    campaign = build(world)
    query = {"campaign": campaign.id, "week": "2026-W39"}
    with time_machine.travel(LATER, tick=False):
        client = login_as(world.leader)
        short = client.get("/reports/bulletin.pdf", query_string=dict(query, annex="0"))
        assert short.status_code == 200 and short.mimetype == "application/pdf"
        response = client.get("/reports/bulletin.pdf", query_string=query)
        assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
        job_id = int(response.headers["Location"].rsplit("/", 1)[1])
        again = client.get("/reports/bulletin.pdf", query_string=query)
        assert again.headers["Location"] == response.headers["Location"]  # the same request: the same job
        inprocess.wait()
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        assert (job.kind, job.status, job.total) == ("pdfs.run", "finished", 5), job.message
        assert job.result_name.startswith("工作简报-") and job.result_name.endswith(".pdf")
        download = client.get(f"/jobs/{job_id}/download")
        pages = pdf_pages(download.data)
        assert any("各街道报送情况（全文）" in page for page in pages) and len(pages) > len(pdf_pages(short.data))
        assert login_as(world.officer).get(f"/jobs/{job_id}/download").status_code == 404


def test_the_monthly_report_over_the_page_limit_is_a_job_of_the_same_report(app, world, inprocess, login_as,
                                                                            monkeypatch):
    from supervision.core.timeutil import local_today
    from supervision.dashboard import services

    client = login_as(world.leader)
    direct = client.get("/dashboard/report.pdf")
    assert direct.status_code == 200 and direct.mimetype == "application/pdf"
    _day, card, row = services.report_scorecard(local_today().year, local_today().month)
    expected = services.expected_pages(None, card, row)
    assert expected <= app.config["PDF_JOB_PAGES"]
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", expected - 1)
    response = client.get("/dashboard/report.pdf")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.total) == ("pdfs.run", "finished", expected), job.message
    assert job.result_name.endswith("月物业监管工作报告.pdf") and job.result_name.startswith("全区")
    made = pdf_pages(client.get(f"/jobs/{job_id}/download").data)
    assert made == pdf_pages(direct.data)  # the job's PDF is the request's, page for page
    assert login_as(world.officer).get(f"/jobs/{job_id}/download").status_code == 404
    # a month not begun is refused before any job is made
    assert client.get("/dashboard/report.pdf?month=2999-01").status_code == 404


def test_the_red_and_black_lists_over_the_page_limit_are_a_job_and_short_ones_are_not(app, graded, inprocess,  # noqa: F811
                                                                                       login_as, monkeypatch):
    publication = publish(name="2026年第一季度", as_of=date(2026, 3, 31), on=date(2026, 4, 2))
    db.session.commit()
    url = f"/credit/publications/{publication.id}/lists.pdf"
    client = login_as(graded.street_user)
    direct = client.get(url)
    assert direct.status_code == 200 and direct.mimetype == "application/pdf"  # one page: in the request
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", 0)
    response = client.get(url)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.total) == ("pdfs.run", "finished", 1), job.message
    assert job.result_name == "红黑名单-2026年第一季度.pdf"
    assert pdf_pages(client.get(f"/jobs/{job_id}/download").data) == pdf_pages(direct.data)
    assert login_as(graded.company_user).get(f"/jobs/{job_id}/download").status_code == 404
    assert client.get("/credit/publications/999/lists.pdf").status_code == 404  # the URL's publication, checked
