"""The bureau's grid of streets × weeks, and punctuality for the dashboard."""
from __future__ import annotations

import pytest
import time_machine

from supervision.audit.models import AuditLog
from supervision.auth.models import User
from supervision.extensions import db
from supervision.notifications.models import Notification
from supervision.reports import services
from supervision.reports.models import ReportStatus
from supervision.reports.services import CellStatus
from supervision.reports.weeks import Week, due_wording

from ..factories import gen_community, gen_district, gen_estate, gen_street
from .factories import gen_campaign, gen_enrolment, gen_report, local, utc

W37, W38, W39, W40 = (Week(2026, n) for n in (37, 38, 39, 40))
NOW = local(2026, 9, 29, 9)  # Tuesday of W40, whose report is due Wednesday 30 Sept (National Day)


def build(world):
    campaign = gen_campaign()
    gen_enrolment(campaign, world.estate1)
    gen_enrolment(campaign, world.estate2)
    street3 = gen_street(world.district, name="南湖街道")
    gen_enrolment(campaign, gen_estate(street3), enrolled_at=utc(local(2026, 9, 22, 9)))
    s1, s2 = world.street1, world.street2
    gen_report(campaign, s1, W37, status=ReportStatus.SUBMITTED, submitted_at=utc(local(2026, 9, 11, 17)))
    gen_report(campaign, s1, W38, status=ReportStatus.SUBMITTED, submitted_at=utc(local(2026, 9, 18, 18, 30)))
    gen_report(campaign, s1, W39, status=ReportStatus.RETURNED, submitted_at=utc(local(2026, 9, 24, 12)))
    gen_report(campaign, s1, W40)
    gen_report(campaign, s2, W38)  # a draft never sent
    gen_report(campaign, s2, W39, status=ReportStatus.RESUBMITTED, submitted_at=utc(local(2026, 9, 24, 9)))
    db.session.commit()
    return campaign, street3


def statuses(grid):
    return {row.street.name: [c.status if c.expected else None for c in row.cells] for row in grid.rows}


def test_grid_statuses(world):
    campaign, _street3 = build(world)
    grid = services.report_grid(campaign, [W37, W38, W39, W40], now=utc(NOW))
    assert statuses(grid) == {
        "东城街道": [CellStatus.ON_TIME, CellStatus.LATE, CellStatus.RETURNED, CellStatus.DRAFT],
        "西城街道": [CellStatus.MISSING, CellStatus.MISSING, CellStatus.ON_TIME, CellStatus.PENDING],
        "南湖街道": [None, None, CellStatus.MISSING, CellStatus.PENDING],
    }
    assert grid.due[W40] == utc(local(2026, 9, 30, 18))
    after_due = services.report_grid(campaign, [W40], now=utc(local(2026, 9, 30, 18, 0, 1)))
    assert [row.cells[0].status for row in after_due.rows] == [CellStatus.MISSING] * 3


def test_punctuality_per_street_and_district(world):
    campaign, _street3 = build(world)
    summary = services.punctuality(campaign, [W37, W38, W39, W40], now=utc(NOW))
    by_name = {p.street_name: p for p in summary.streets}
    east = by_name["东城街道"]
    # W39 was sent on time, returned and not sent again: past its due time it is not on time (按时定稿).
    assert (east.due, east.on_time, east.late, east.missing, east.returned) == (3, 1, 2, 0, 1)
    assert round(east.rate, 3) == 0.333
    west = by_name["西城街道"]
    assert (west.due, west.on_time, west.missing) == (3, 1, 2)
    assert (by_name["南湖街道"].due, by_name["南湖街道"].missing) == (1, 1)
    assert (summary.total.due, summary.total.on_time, summary.total.late, summary.total.missing) == (7, 2, 2, 3)
    with time_machine.travel(NOW, tick=False):
        recent = services.recent_punctuality(weeks=4)
    assert recent.total.due == 7 and recent.total.on_time == 2


def test_overview_page(login_as, world):
    campaign, _street3 = build(world)
    with time_machine.travel(NOW, tick=False):
        html = login_as(world.leader).get(f"/reports/overview?campaign={campaign.id}&start=2026-W37&to=2026-W40")
    text = html.get_data(as_text=True)
    assert html.status_code == 200
    for label in ("按时报送", "迟报", "未报", "已退回", "草稿", "待报"):
        assert label in text
    assert f"/reports/cell/{campaign.id}/{world.street2.id}/2026-W37" in text
    assert "W37" in text and "W40" in text and "W36" not in text
    assert "截止 09-30" in text  # National Day moves W40's due day


def _district(n_streets):
    district = gen_district()
    campaign = gen_campaign()
    for i in range(n_streets):
        street = gen_street(district, name=f"街道{i:02d}")
        community = gen_community(street)
        for _ in range(2):
            gen_enrolment(campaign, gen_estate(community=community))
        for week, status in ((W37, ReportStatus.SUBMITTED), (W38, ReportStatus.DRAFT)):
            gen_report(campaign, street, week, status=status,
                       submitted_at=utc(local(2026, 9, 11, 10)) if status is ReportStatus.SUBMITTED else None)
    db.session.commit()
    return campaign


def test_overview_queries_do_not_grow_with_streets(login_as, world, count_queries):
    counts = []
    for n in (2, 8):
        campaign = _district(n)
        with time_machine.travel(NOW, tick=False):
            client = login_as(world.officer)
            with count_queries() as queries:
                response = client.get(f"/reports/overview?campaign={campaign.id}&start=2026-W35&to=2026-W40")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("report-cell-link") == n * 6
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_overview_empty_states(login_as, world):
    with time_machine.travel(NOW, tick=False):
        client = login_as(world.officer)
        assert "还没有进行中或已结束的专项行动" in client.get("/reports/overview").get_data(as_text=True)
        campaign = gen_campaign()
        db.session.commit()
        html = client.get(f"/reports/overview?campaign={campaign.id}").get_data(as_text=True)
        assert "还没有纳入任何小区" in html
        html = client.get(f"/reports/overview?campaign={campaign.id}&start=2025-W01&to=2025-W10").get_data(as_text=True)
        assert "所选期间不在该专项行动的报送期内（2026年第32周 至 2026年第40周）" in html
        assert client.get("/reports/overview?campaign=999999").status_code == 404


def test_overview_lists_a_bounded_number_of_campaigns_and_always_the_chosen_one(login_as, world):
    from supervision.campaigns.models import CampaignStatus

    active = gen_campaign(name="进行中的行动")
    gen_enrolment(active, world.estate1)
    past = [gen_campaign(name=f"往年行动{n:02d}", status=CampaignStatus.CLOSED, year=2000 + n)
            for n in range(services.OVERVIEW_CAMPAIGN_CHOICES + 5)]
    db.session.commit()
    oldest, newest = past[0], past[-1]

    def options(html):
        return html.split('name="campaign"')[1].split("</select>")[0].count("<option")

    with time_machine.travel(NOW, tick=False):
        client = login_as(world.officer)
        html = client.get("/reports/overview").get_data(as_text=True)
        # The active campaign is the default; the most recent closed ones follow, up to the bound.
        assert options(html) == services.OVERVIEW_CAMPAIGN_CHOICES
        assert "进行中的行动" in html and newest.name in html and oldest.name not in html
        # An older campaign asked for by id is shown, and listed.
        response = client.get(f"/reports/overview?campaign={oldest.id}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'<option selected value="{oldest.id}">' in html
        assert options(html) == services.OVERVIEW_CAMPAIGN_CHOICES + 1
        assert client.get(f"/reports/overview?campaign={past[-2].id}").status_code == 200


def test_overview_shows_enrolment_changes_at_once_with_the_spans_cached(login_as, world, count_queries):
    """The streets' reporting spans are kept per process until campaign data changes (REPORT_SPANS_CACHE_SIZE)."""
    from supervision.campaigns.models import Enrolment, EnrolmentStatus

    campaign, street3 = build(world)
    url = f"/reports/overview?campaign={campaign.id}&start=2026-W37&to=2026-W40"
    with time_machine.travel(NOW, tick=False):
        client = login_as(world.officer)
        client.get(url)  # the spans of the current data are cached now
        with count_queries() as cached:
            html = client.get(url).get_data(as_text=True)
        assert f"/reports/cell/{campaign.id}/{street3.id}/2026-W40" in html
        client.application.extensions.pop("report_street_spans", None)
        assert client.get(url).get_data(as_text=True) == html  # computed again: the same page

        street4 = gen_street(world.district, name="北岭街道")
        gen_enrolment(campaign, gen_estate(street4), enrolled_at=utc(local(2026, 9, 1, 9)))
        db.session.commit()
        html = client.get(url).get_data(as_text=True)
        assert "北岭街道" in html and f"/reports/cell/{campaign.id}/{street4.id}/2026-W37" in html

        enrolment = next(e for e in db.session.scalars(db.select(Enrolment)) if e.street_id == street3.id)
        enrolment.status, enrolment.withdrawn_at = EnrolmentStatus.WITHDRAWN, utc(local(2026, 9, 22, 10))
        db.session.commit()
        html = client.get(url).get_data(as_text=True)
        assert f"/reports/cell/{campaign.id}/{street3.id}/2026-W39" in html  # withdrawn during W39
        assert f"/reports/cell/{campaign.id}/{street3.id}/2026-W40" not in html
        with count_queries() as again:
            client.get(url)
        assert len(again) == len(cached)


def test_a_week_without_a_working_day_expects_no_report(world):
    """2026-W08 (16–22 Feb) lies wholly in the Spring Festival holiday: no street is expected to report,
    so nobody is listed as missing for it; the weeks around it are expected as usual."""
    campaign = gen_campaign()
    gen_enrolment(campaign, world.estate1, enrolled_at=utc(local(2026, 2, 2, 9)))
    db.session.commit()
    w07, w08, w09 = Week(2026, 7), Week(2026, 8), Week(2026, 9)
    grid = services.report_grid(campaign, [w07, w08, w09], now=utc(local(2026, 3, 10, 9)))
    assert [c.expected for c in grid.rows[0].cells] == [True, False, True]
    assert [c.status for c in grid.rows[0].cells if c.expected] == [CellStatus.MISSING, CellStatus.MISSING]


def test_cached_street_spans_cannot_be_changed_by_a_reader(world):
    """The grid's spans are shared by every request of the process: served read-only."""
    campaign, street3 = build(world)
    spans = services.grid_street_spans(campaign.id)
    assert set(spans) == {world.street1.id, world.street2.id, street3.id}
    with pytest.raises(TypeError):
        spans[street3.id] = None  # type: ignore[index]
    assert services.grid_street_spans(campaign.id)[street3.id].street_id == street3.id


def test_the_bureau_can_require_the_report_of_a_week_without_a_working_day(world, login_as):
    """The admin asks for 2026-W08's report (Spring Festival): the grid expects it, due on the next working
    day; the street offices are told; withdrawing the requirement restores the quiet week."""
    campaign = gen_campaign()
    gen_enrolment(campaign, world.estate1, enrolled_at=utc(local(2026, 2, 2, 9)))
    db.session.commit()
    w08 = Week(2026, 8)
    client = login_as(world.admin)
    page = client.get("/admin/holidays/2026").get_data(as_text=True)
    assert "2026年第8周" in page and "不要求报送" in page
    assert login_as(world.officer).post("/admin/holidays/2026/report-weeks",
                                        data={"monday": "2026-02-16", "reason": "x"}).status_code == 403
    client = login_as(world.admin)
    refused = client.post("/admin/holidays/2026/report-weeks", data={"monday": "2026-02-23", "reason": "节后"},
                          follow_redirects=True).get_data(as_text=True)
    assert "该周有工作日" in refused
    assert "请填写要求报送的原因" in client.post("/admin/holidays/2026/report-weeks", data={"monday": "2026-02-16"},
                                          follow_redirects=True).get_data(as_text=True)
    client.post("/admin/holidays/2026/report-weeks", data={"monday": "2026-02-16", "reason": "春节期间安全检查专报"})
    db.session.commit()
    grid = services.report_grid(campaign, [w08], now=utc(local(2026, 3, 10, 9)))
    assert [c.expected for c in grid.rows[0].cells] == [True]
    assert due_wording(w08) == "本周无工作日（春节），住建局要求照常报送，顺延至2月24日报送"
    log = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "holiday.report_week_require"))
    assert log.actor_id == world.admin.id and log.after["reason"] == "春节期间安全检查专报"
    street_user = db.session.scalar(db.select(User).where(User.street_id == world.street1.id))
    assert db.session.scalar(db.select(Notification).where(
        Notification.user_id == street_user.id, Notification.kind == "report_week_required")) is not None
    client.post("/admin/holidays/2026/report-weeks/2026-02-16/withdraw", data={})
    db.session.commit()
    grid = services.report_grid(campaign, [w08], now=utc(local(2026, 3, 10, 9)))
    assert [c.expected for c in grid.rows[0].cells] == [False]
    assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "holiday.report_week_withdraw"))
