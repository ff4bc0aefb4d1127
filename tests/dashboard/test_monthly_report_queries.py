"""The street office's monthly report: at most 15 queries once the process's caches are filled (not yet the
first request after a change), the same for a larger street; in the request up to PDF_JOB_PAGES pages, a job
above."""
from __future__ import annotations

from sqlalchemy import select

from supervision.companies.models import Position
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from ..factories import gen_community, gen_estate, gen_staff
from ..targets.factories import commit
from .test_dashboard import district  # noqa: F401  (the fixture)


def test_the_street_report_takes_at_most_15_queries_however_large_the_street(app, login_as, district,  # noqa: F811
                                                                             count_queries, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", 1000)  # made in the request however long it grows
    client = login_as(district.street_user)
    manager = db.session.scalar(select(Position).where(Position.name == "项目经理"))
    counts = []
    for _round in range(2):
        # The first request after a change refills the generation caches (the measured indicators, the
        # calendar, the complaint rates): 16 queries here, 22 in the bench. Counted: the request after it.
        assert client.get("/dashboard/report.pdf").status_code == 200
        with count_queries() as statements:
            response = client.get("/dashboard/report.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        counts.append(len(statements))
        for _index in range(5):  # more unmanaged estates and uncertified managers in the street
            gen_estate(community=gen_community(district.street1), management_mode=ManagementMode.NONE)
            gen_staff(district.company1, manager, district.estate1)
        commit()
    assert counts[0] == counts[1] and counts[0] <= 15, counts


def test_the_street_report_over_the_page_limit_is_a_job(app, login_as, district, monkeypatch):  # noqa: F811
    client = login_as(district.street_user)
    assert client.get("/dashboard/report.pdf").mimetype == "application/pdf"
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", 1)
    response = client.get("/dashboard/report.pdf")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
