"""A report returned for correction and sent again: one answer everywhere.

- Which system figures it shows (saved or live) is decided once
  (``services.shows_saved_figures``): the report page, the bulletin (page, PDF, Excel)
  and the API agree at each step.
- Punctuality is 按时定稿: resubmitted after the due time → late in the grid, the
  bulletin and the reporting-rate indicator alike, while 按时首报 is still shown.
"""
from __future__ import annotations

import io
import re
from datetime import date

import time_machine
from openpyxl import load_workbook

from supervision.api.services import create_token
from supervision.extensions import db
from supervision.reports import services
from supervision.reports.models import ReportStatus
from supervision.reports.services.bulletin import bulletin_plain
from supervision.reports.weeks import Week
from supervision.targets.indicators import Counts, gap_rows, get_indicator, measure

from .factories import campaign_world, gen_item, local, utc
from .test_bulletin import pdf_text

W39 = Week(2026, 39)  # due Thursday 24 September 18:00 (Mid-Autumn on Friday)
FIRST_SENT = local(2026, 9, 24, 12)  # on time
RETURNED = local(2026, 9, 25, 10)
RESENT_LATE = local(2026, 9, 28, 9)  # after the due time
LATER = local(2026, 9, 29, 9)


def send(report, user, at):
    services.save_report(report, user=user, entered={"meetings": 1, "households_visited": 2, "publicity_events": 0,
                                                     "issues_resolved": 0},
                         progress="完成摸底。", problems="无", next_week_plan="继续推进。", contact_person="张主任")
    services.submit_report(report, user=user, now=utc(at))
    db.session.commit()


def item(campaign, enrolment):
    """An item back-dated into W39: the live figures grow, a saved snapshot does not."""
    gen_item(campaign, enrolment, opened_at=utc(local(2026, 9, 23)), deadline=date(2026, 10, 30))
    db.session.commit()


def page_opened_total(client, report) -> tuple[int, bool]:
    """(新增整改事项 cumulative, live?) as the report page shows them."""
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    match = re.search(r"新增整改事项<span[^>]*>（项）</span></td>\s*<td class=\"num\">\d+</td>\s*"
                      r"<td class=\"num\">(\d+)", html)
    return int(match.group(1)), "实时统计" in html.split("report-figures-note")[1][:300]


def bulletin_opened_total(client, campaign, street) -> tuple[int, bool]:
    """(新增整改事项 cumulative, live?) of the street in the bulletin, as plain data, checked against Excel."""
    plain = bulletin_plain(services.bulletin(campaign, W39))
    row = next(r for r in plain["rows"] if r["street"] == street.name)
    book = load_workbook(io.BytesIO(client.get(f"/reports/bulletin.xlsx?campaign={campaign.id}&week={W39}").data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    excel = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == street.name)))
    assert excel["新增整改事项·累计"] == row["figures"]["items_opened_total"]
    assert (excel["系统数据来源"] == "系统实时统计") is row["figures_live"]
    return row["figures"]["items_opened_total"], row["figures_live"]


def api_opened_total(client, token, report) -> int:
    response = client.get(f"/api/v1/reports/{report.id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json["system_figures"]["items_opened_total"]


def test_saved_or_live_figures_agree_on_the_report_page_and_the_bulletin(login_as, world):
    campaign, (e1, _e2) = campaign_world(world)
    item(campaign, e1)
    with time_machine.travel(FIRST_SENT, tick=False):
        report, _ = services.start_report(campaign, world.street1.id, W39, user=world.street_user)
        send(report, world.street_user, FIRST_SENT)
    item(campaign, e1)  # live 2, saved 1
    with time_machine.travel(LATER, tick=False):
        officer = login_as(world.officer)
        _token, token = create_token(world.officer, name="测试", days=5)
        db.session.commit()
        assert api_opened_total(officer, token, report) == 1
        # Sent: both show the figures saved with it.
        assert page_opened_total(officer, report) == (1, False)
        assert bulletin_opened_total(officer, campaign, world.street1) == (1, False)
        assert services.figures_shown(report)[1] is False

    services.return_report(report, comment="请核实", user=world.officer, now=utc(RETURNED))
    db.session.commit()
    with time_machine.travel(LATER, tick=False):
        # Returned, being corrected: both show the live figures (what it will be sent with).
        assert page_opened_total(officer, report) == (2, True)
        assert bulletin_opened_total(officer, campaign, world.street1) == (2, True)
        assert api_opened_total(officer, token, report) == 2

    with time_machine.travel(RESENT_LATE, tick=False):
        send(report, world.street_user, RESENT_LATE)
    item(campaign, e1)  # live 3, saved (at the resubmission) 2
    with time_machine.travel(LATER, tick=False):
        # Sent again: both show the new snapshot.
        assert page_opened_total(officer, report) == (2, False)
        assert bulletin_opened_total(officer, campaign, world.street1) == (2, False)
        assert api_opened_total(officer, token, report) == 2


def returned_and_resent(world, campaign, resent_at):
    with time_machine.travel(FIRST_SENT, tick=False):
        report, _ = services.start_report(campaign, world.street1.id, W39, user=world.street_user)
        send(report, world.street_user, FIRST_SENT)
    services.return_report(report, comment="请核实", user=world.officer, now=utc(RETURNED if resent_at > RETURNED
                                                                                else FIRST_SENT))
    db.session.commit()
    with time_machine.travel(resent_at, tick=False):
        send(report, world.street_user, resent_at)
    return report


def test_resubmitted_after_the_due_time_is_late_in_grid_bulletin_and_indicator(login_as, world):
    campaign, _ = campaign_world(world)
    report = returned_and_resent(world, campaign, RESENT_LATE)
    assert report.status is ReportStatus.RESUBMITTED and report.is_late and report.first_on_time

    # The grid: late (按时定稿), its first submission on time (按时首报); not counted on time.
    grid = services.report_grid(campaign, [W39], now=utc(LATER))
    east = next(row for row in grid.rows if row.street.id == world.street1.id)
    cell = east.cells[0]
    assert cell.status is services.CellStatus.LATE and not cell.on_time and cell.first_on_time
    assert (east.on_time_count, east.expected_count) == (0, 1)
    assert grid.punctual(0) == (0, 2)
    summary = services.punctuality(campaign, [W39], now=utc(LATER))
    assert (summary.total.on_time, summary.total.late, summary.total.missing) == (0, 1, 1)

    # The bulletin: listed as late, by how late the resubmission was, with its first submission on time.
    plain = bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
    assert plain["counts"]["on_time"] == 0 and plain["late_count"] == 1 and plain["first_on_time_count"] == 1
    assert plain["late"] == [{"street": world.street1.name, "submitted": "2026-09-28 09:00（周一）",
                              "hours_late": 87.0, "first_on_time": True}]
    with time_machine.travel(LATER, tick=False):
        officer = login_as(world.officer)
        text = pdf_text(officer.get(f"/reports/bulletin.pdf?campaign={campaign.id}&week={W39}&annex=0").data)
        overview = officer.get(f"/reports/overview?campaign={campaign.id}&start={W39}&to={W39}")
    assert "按时报送0个，迟报1个" in text and "首次报送按时1个" in text
    assert f"迟报街道：{world.street1.name}（2026-09-2809:00（周一）报送，晚87.0小时，首次报送按时）" in text
    # The overview's legend states the rule.
    assert "按时定稿" in overview.get_data(as_text=True)

    # The reporting-rate indicator: due, not on time, in the drill-down.
    indicator = get_indicator("report_punctuality")
    assert measure(indicator, date(2026, 9, 29))[world.street1.id] == Counts(0, 1)
    assert report.id in {row.id for row in db.session.execute(gap_rows(indicator, date(2026, 9, 29)))}


def test_resubmitted_before_the_due_time_is_on_time_everywhere(world):
    campaign, _ = campaign_world(world)
    report = returned_and_resent(world, campaign, local(2026, 9, 24, 17))
    assert report.final_on_time and not report.is_late
    grid = services.report_grid(campaign, [W39], now=utc(LATER))
    cell = next(row for row in grid.rows if row.street.id == world.street1.id).cells[0]
    assert cell.status is services.CellStatus.ON_TIME and cell.on_time
    plain = bulletin_plain(services.bulletin(campaign, W39, now=utc(LATER)))
    assert plain["counts"]["on_time"] == 1 and plain["late"] == []
    indicator = get_indicator("report_punctuality")
    assert measure(indicator, date(2026, 9, 29))[world.street1.id] == Counts(1, 1)


def test_returned_and_not_sent_again_counts_once_its_due_time_has_passed(world):
    campaign, _ = campaign_world(world)
    with time_machine.travel(local(2026, 9, 24, 9), tick=False):
        report, _ = services.start_report(campaign, world.street1.id, W39, user=world.street_user)
        send(report, world.street_user, local(2026, 9, 24, 9))
    services.return_report(report, comment="请核实", user=world.officer, now=utc(local(2026, 9, 24, 10)))
    db.session.commit()
    before_due = services.report_grid(campaign, [W39], now=utc(local(2026, 9, 24, 11)))
    cell = next(row for row in before_due.rows if row.street.id == world.street1.id).cells[0]
    assert cell.status is services.CellStatus.RETURNED and not cell.counted  # may still be sent on time
    after_due = services.report_grid(campaign, [W39], now=utc(LATER))
    cell = next(row for row in after_due.rows if row.street.id == world.street1.id).cells[0]
    assert cell.counted and not cell.on_time and cell.first_on_time
    indicator = get_indicator("report_punctuality")
    assert measure(indicator, date(2026, 9, 29))[world.street1.id] == Counts(0, 1)
