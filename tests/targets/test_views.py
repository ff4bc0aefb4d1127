"""The targets pages: who may see what, the drill-down, and editing a target."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import CampaignStatus
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import LOCAL_TZ, local_today
from supervision.estates.models import CommitteeStatus, ManagementMode
from supervision.extensions import db
from supervision.targets.models import Target

from ..factories import gen_estate
from .factories import commit, gen_committee, gen_target


@pytest.fixture
def district(world):
    """Street 1: estate1 formed, 南湖 not; street 2: estate2 and an unmanaged estate without committees."""
    gen_committee(world.estate1, CommitteeStatus.FORMED)
    world.unformed1 = gen_estate(community=world.community1, name="南湖家园")
    world.unmanaged2 = gen_estate(community=world.community2, name="无物业西苑", management_mode=ManagementMode.NONE)
    commit()
    return world


@pytest.mark.parametrize("who, status", [("admin", 200), ("officer", 200), ("leader", 200), ("street_user", 200),
                                         ("company_user", 403)])
def test_targets_page_roles(login_as, district, who, status):
    response = login_as(getattr(district, who)).get("/targets/")
    assert response.status_code == status


def test_targets_page_needs_a_login(client, district):
    response = client.get("/targets/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_targets_page_shows_values_definitions_and_edit_links(login_as, district):
    html = login_as(district.admin).get("/targets/").get_data(as_text=True)
    assert "业委会组建率" in html and "口径说明" in html and "状态判定" in html
    # Eligible: estate1, 南湖家园, estate2, 无物业西苑 → 1 of 4 formed.
    assert "25.0%" in html and "1 / 4" in html
    assert 'href="/targets/committee/gap"' in html
    assert "/targets/committee/edit" in html
    leader_html = login_as(district.leader).get("/targets/").get_data(as_text=True)
    assert "/targets/committee/edit" not in leader_html


def test_drill_down_lists_exactly_the_gap(login_as, district):
    html = login_as(district.leader).get("/targets/committee/gap").get_data(as_text=True)
    rows = html.split('data-testid="gap-rows"')[1].split("</table>")[0]
    for name in ("南湖家园", "月亮小区", "无物业西苑"):
        assert name in rows
    assert "阳光小区" not in rows
    assert "差额 3 个小区" in html
    # The district's page breaks the indicator down by street, each gap a link.
    assert f"/targets/committee/gap?street={district.street2.id}" in html
    street_html = login_as(district.leader).get(f"/targets/committee/gap?street={district.street2.id}").get_data(
        as_text=True)
    rows = street_html.split('data-testid="gap-rows"')[1].split("</table>")[0]
    assert "月亮小区" in rows and "无物业西苑" in rows and "南湖家园" not in rows


def test_unknown_indicator_is_404(login_as, district):
    assert login_as(district.leader).get("/targets/nonsense/gap").status_code == 404


def test_street_officer_sees_only_its_street(login_as, district):
    client = login_as(district.street_user)
    html = client.get("/targets/").get_data(as_text=True)
    assert "东城街道" in html and "西城街道" not in html
    gap = client.get("/targets/committee/gap").get_data(as_text=True)
    rows = gap.split('data-testid="gap-rows"')[1].split("</table>")[0]
    assert "南湖家园" in rows and "月亮小区" not in rows and "无物业西苑" not in rows
    own = district.street1.id
    other = district.street2.id
    assert client.get(f"/targets/committee/gap?street={own}").status_code == 200
    # Another street's drill-down, page, chart or report: not found.
    for url in (f"/targets/committee/gap?street={other}", f"/targets/?street={other}",
                f"/dashboard/charts/trend.svg?street={other}", f"/dashboard/charts/indicators.svg?street={other}",
                f"/dashboard/report.pdf?street={other}"):
        assert client.get(url).status_code == 404, url
    assert client.get("/dashboard/charts/streets.svg").status_code == 403
    assert client.get("/targets/committee/edit").status_code == 403


def test_company_user_cannot_open_a_drill_down(login_as, district):
    client = login_as(district.company_user)
    assert client.get("/targets/coverage/gap").status_code == 403
    assert client.get("/dashboard/charts/trend.svg").status_code == 403


def test_admin_sets_a_street_target_with_an_audit_entry(login_as, district):
    client = login_as(district.admin)
    year = local_today().year
    url = f"/targets/committee/edit?street={district.street1.id}&year={year}"
    page = client.get(url).get_data(as_text=True)
    assert "沿用" in page or "默认目标" in page
    response = client.post(url, data={"threshold": "85", "basis": "区政府年度工作要点", "notes": "", "version": ""})
    assert response.status_code == 302
    target = db.session.scalar(select(Target).where(Target.street_id == district.street1.id))
    assert target.threshold == Decimal("0.85") and target.year == year and target.indicator == "committee"
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "target.create"))
    assert log.object_id == target.id and log.after["threshold"] == "0.8500"
    # The street's page now shows its own target.
    html = client.get(f"/targets/?street={district.street1.id}").get_data(as_text=True)
    assert "85%" in html and "本级目标" in html
    # A second edit, from the current version.
    response = client.post(url, data={"threshold": "90", "basis": "", "notes": "", "version": str(target.version)})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.threshold == Decimal("0.9") and target.version == 2
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "target.update"))
    assert log.before["threshold"] == "0.8500" and log.after["threshold"] == "0.9000"
    history = client.get(url).get_data(as_text=True).split("变更记录")[1]
    assert "修改目标" in history and "新增目标" in history and "0.9000" in history


def test_target_validation(login_as, district):
    client = login_as(district.admin)
    for value in ("120", "-1", "abc", ""):
        response = client.post("/targets/coverage/edit", data={"threshold": value, "version": ""})
        assert response.status_code == 200, value
        assert "目标值" in response.get_data(as_text=True)
    assert db.session.scalar(select(Target.id)) is None


def test_concurrent_edits_are_refused(login_as, district):
    year = local_today().year
    target = gen_target("coverage", year, "1.0000")
    commit()
    client = login_as(district.admin)
    stale = target.version
    assert client.post("/targets/coverage/edit", data={"threshold": "95", "version": str(stale)}).status_code == 302
    response = client.post("/targets/coverage/edit", data={"threshold": "97", "version": str(stale)})
    assert response.status_code == 200 and "已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(target)
    assert target.threshold == Decimal("0.95")
    # A form rendered before anyone had set the street's target, posted after someone did.
    gen_target("coverage", year, "0.9000", street=district.street2)
    commit()
    response = client.post(f"/targets/coverage/edit?street={district.street2.id}",
                           data={"threshold": "50", "version": ""})
    assert "已被他人修改" in response.get_data(as_text=True)


def test_only_admins_edit_targets(login_as, district):
    for who in ("officer", "leader"):
        assert login_as(getattr(district, who)).post("/targets/coverage/edit",
                                                     data={"threshold": "50", "version": ""}).status_code == 403


def test_past_year_is_measured_on_its_last_day(login_as, district):
    year = local_today().year - 1
    html = login_as(district.leader).get(f"/targets/?year={year}").get_data(as_text=True)
    assert f"{year}-12-31" in html and "100.0%" in html  # the whole of that year has elapsed
    assert login_as(district.leader).get("/targets/?year=1900").status_code == 404


def test_overdue_item_in_the_drill_down(login_as, district):
    from supervision.campaigns.models import ItemState

    from .factories import gen_item

    gen_item(district.estate2, local_today() - timedelta(days=5), ItemState.OPEN, description="楼道堆物未清理")
    commit()
    html = login_as(district.officer).get("/targets/rectification/gap").get_data(as_text=True)
    assert "楼道堆物未清理" in html and "逾期 5 天" in html


def test_an_indicator_without_its_records_says_so(login_as, district, monkeypatch):
    from supervision.targets import indicators

    monkeypatch.setattr(indicators, "weekly_report_model", lambda: None)
    # An installation without the feature never stored its counts (core.figures): the district's commits above
    # were made with it.
    db.session.execute(delete(StoredFigure))
    db.session.commit()
    client = login_as(district.leader)
    html = client.get("/targets/report_punctuality/gap").get_data(as_text=True)
    assert response_ok(client, "/targets/report_punctuality/gap")
    assert "尚未接入" in html
    index = client.get("/targets/").get_data(as_text=True)
    row = index.split("周报按时报送率")[1].split("</tr>")[0]
    assert "未接入" in row


def response_ok(client, url) -> bool:
    return client.get(url).status_code == 200


@pytest.mark.parametrize("code", ["manager_cert", "staff_cert"])
def test_street_officer_opens_the_certification_drill_downs(login_as, district, code):
    """The gap query joins the staff's estate; the staff scope condition (an EXISTS over estates)
    must still name its own estates table, or the query has no FROM clause (HTTP 500)."""
    from ..companies.factories import gen_reference
    from ..factories import gen_staff

    reference = gen_reference()
    gen_staff(district.company1, reference.manager, district.estate1, name="本街道无证经理")
    gen_staff(district.company2, reference.manager, district.estate2, name="外街道无证经理")
    gen_staff(district.company1, reference.manager, None, name="总部无证经理")
    commit()
    response = login_as(district.street_user).get(f"/targets/{code}/gap")
    assert response.status_code == 200
    rows = response.get_data(as_text=True).split('data-testid="gap-rows"')[1].split("</table>")[0]
    assert "本街道无证经理" in rows
    assert "外街道无证经理" not in rows and "总部无证经理" not in rows
    # The district still lists every one of them.
    rows = login_as(district.officer).get(f"/targets/{code}/gap").get_data(as_text=True)
    rows = rows.split('data-testid="gap-rows"')[1].split("</table>")[0]
    assert all(name in rows for name in ("本街道无证经理", "外街道无证经理", "总部无证经理"))


def _ids(base, *where) -> set:
    return set(db.session.scalars(base.select_from(select(base.subject.id)).where(*where)))


def test_a_street_scoped_indicator_counts_exactly_the_rows_its_street_office_may_see(world):
    """``Indicator.street_scoped`` lets a street's drill-down drop the scope clause and take its count
    from the cell: the street's rows of the indicator must be the street office's visible rows."""
    from supervision.auth import scope
    from supervision.complaints.models import Kind
    from supervision.reports.weeks import Week
    from supervision.targets.indicators import all_indicators

    from ..companies.factories import gen_certified, gen_reference
    from ..complaints.factories import gen_complaint
    from ..contracts.factories import gen_party, gen_preliminary
    from ..reports.factories import gen_report
    from .factories import gen_campaign, gen_enrolment, gen_item

    reference = gen_reference()
    campaign = gen_campaign()
    draft = gen_campaign(status=CampaignStatus.DRAFT)
    week = Week.current()
    for estate, company, street in ((world.estate1, world.company1, world.street1),
                                    (world.estate2, world.company2, world.street2)):
        gen_certified(company, reference.electrician, reference.electrician_cert, estate)
        gen_certified(company, reference.manager, reference.manager_cert, estate, expires_on=date(2020, 1, 1))
        gen_enrolment(campaign, estate)
        gen_enrolment(draft, estate)
        gen_item(estate, local_today() - timedelta(days=3))
        gen_preliminary(estate, None, contract_signed_on=None)
        gen_party(estate, has_org=False)
        received = datetime.combine(local_today(), time(0, 1), tzinfo=LOCAL_TZ)  # this year's, due today: a gap
        due = received + timedelta(minutes=1)
        gen_complaint(estate, kind=Kind.REPAIR, received_at=received, response_due_at=due, resolution_due_at=due)
        for weeks_back in (0, 1, 2):
            gen_report(campaign, street, week.prev(weeks_back))
    commit()
    day = local_today()
    scoped = [indicator for indicator in all_indicators() if indicator.street_scoped]
    assert len(scoped) >= 12
    non_empty = 0
    for indicator in scoped:
        base = indicator.base(day)
        visible = scope.visible(base.subject, user=world.street_user, statement=select(base.subject.id))
        in_street = _ids(base, base.street == world.street_user.street_id)
        assert in_street == _ids(base, base.subject.id.in_(visible)), indicator.code
        non_empty += bool(in_street)
    assert non_empty >= 11  # the comparison saw rows (a weekly report may not be due yet)
