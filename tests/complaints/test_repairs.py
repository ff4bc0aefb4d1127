"""Repairs: their own clock, the company's repair log (import and API), 维修及时率 with drill-down."""
from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import func, select

from supervision.api.services import create_token
from supervision.complaints.intake import RepairLogImport
from supervision.complaints.models import Channel, Complaint, Kind, State
from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.targets.indicators import gap_rows, get_indicator, measure, measure_total


def sh(*args):
    return datetime(*args, tzinfo=LOCAL_TZ)


def book(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["报修单号", "小区", "报修时间", "报修内容", "紧急程度", "修复时间", "联系电话"])
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


LOG = [
    # ordinary: due end of Thu 5 Nov (3 working days after Mon 2 Nov); fixed on Wed 4 Nov: on time
    ["BX1", "阳光小区", "2026-11-02 09:00", "楼道灯不亮", "一般", "2026-11-04 10:00", ""],
    # ordinary: fixed Fri 6 Nov: late
    ["BX2", "阳光小区", "2026-11-02 10:00", "下水道堵塞", "一般", "2026-11-06 10:00", ""],
    # emergency: same day; fixed that evening: on time
    ["BX3", "阳光小区", "2026-11-03 08:00", "水管爆裂", "紧急", "2026-11-03 20:00", ""],
    # ordinary, not fixed
    ["BX4", "阳光小区", "2026-11-03 09:00", "门禁坏了", "", None, "13800000000"],
]


def test_the_repair_log_import_and_the_timeliness_rate(world):
    result = RepairLogImport(world.company1, world.company_user).run(book(LOG), "log.xlsx")
    assert result.ok, result.errors
    db.session.commit()
    repairs = {c.ticket_no: c for c in db.session.scalars(select(Complaint))}
    key = f"{world.company1.id}-BX"
    assert repairs[key + "1"].kind is Kind.REPAIR and repairs[key + "1"].channel is Channel.COMPANY_LOG
    assert repairs[key + "1"].resolution_due_at == sh(2026, 11, 5, 23, 59, 59)
    assert repairs[key + "3"].resolution_due_at == sh(2026, 11, 3, 23, 59, 59)
    assert repairs[key + "4"].state is State.ASSIGNED
    indicator = get_indicator("repair_timely")
    # On 10 Nov all four are due: two on time (BX1, BX3) of four.
    counts = measure_total(indicator, sh(2026, 11, 10).date())
    assert (counts.numerator, counts.denominator) == (2, 4)
    by_street = measure(indicator, sh(2026, 11, 10).date())
    assert by_street[world.street1.id].denominator == 4
    gaps = db.session.execute(gap_rows(indicator, sh(2026, 11, 10).date())).all()
    assert {row[0].ticket_no for row in gaps} == {key + "2", key + "4"}
    # Importing the log again with BX4 now fixed: nothing new, BX4 resolved.
    LOG[3][5] = "2026-11-05 09:00"
    again = RepairLogImport(world.company1, world.company_user).run(book(LOG), "log.xlsx")
    assert again.ok and again.created == []
    db.session.commit()
    assert db.session.scalar(select(func.count(Complaint.id))) == 4
    assert db.session.scalar(select(Complaint).where(Complaint.ticket_no == key + "4")).state is State.RESOLVED
    LOG[3][5] = None


def test_a_company_may_log_only_its_own_estates(world):
    rows = [["BX9", "月亮小区", "2026-11-02 09:00", "灯坏", "", None, ""],
            ["BX9", "阳光小区", "2026-11-02 09:00", "灯坏", "", "2026-11-01 09:00", ""]]
    result = RepairLogImport(world.company1, world.company_user).run(book(rows), "log.xlsx")
    assert {(e.row, e.column) for e in result.errors} == {(2, "小区"), (3, "报修单号"), (3, "修复时间")}


def test_the_repair_api_takes_company_tokens_for_their_own_estates(world, client):
    _row, plain = create_token(world.company_user, name="erp", days=5)
    _row, street_plain = create_token(world.street_user, name="x", days=5)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    body = {"ticket_no": "R1", "estate_id": world.estate1.id, "received_at": "2026-11-02T09:00:00",
            "description": "电梯异响"}
    first = client.post("/api/v1/complaints/repairs", json=body, headers=headers, csrf=False)
    assert first.status_code == 201, first.get_json()
    done = dict(body, completed_at="2026-11-03T09:00:00")
    second = client.post("/api/v1/complaints/repairs", json=done, headers=headers, csrf=False)
    assert second.status_code == 200 and second.get_json()["state"] == "resolved"
    other = dict(body, estate_id=world.estate2.id)
    assert client.post("/api/v1/complaints/repairs", json=other, headers=headers, csrf=False).status_code == 404
    street = {"Authorization": f"Bearer {street_plain}"}
    assert client.post("/api/v1/complaints/repairs", json=body, headers=street, csrf=False).status_code == 403
    assert db.session.scalar(select(func.count(Complaint.id))) == 1


def test_the_targets_page_shows_the_indicator_with_drill_down(world, login_as):
    RepairLogImport(world.company1, world.company_user).run(book(LOG), "log.xlsx")
    db.session.commit()
    page = login_as(world.officer).get("/targets/").get_data(as_text=True)
    assert "维修及时率" in page
    assert timedelta(0) < timedelta(1)
