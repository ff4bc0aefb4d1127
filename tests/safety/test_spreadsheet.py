"""Excel import (all rows or none, per-row Chinese errors) and export of the safety registers."""
from __future__ import annotations

import io
from datetime import date

import time_machine
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.extensions import db
from supervision.safety.models import FacilityKind, FireFacility, Lift
from supervision.safety.spreadsheet import facility_columns, import_facilities, import_lifts, lift_columns

from .factories import gen_facility, gen_lift

LIFT_HEADERS = [c.header for c in lift_columns()]
FACILITY_HEADERS = [c.header for c in facility_columns()]


def xlsx(rows: list[dict], headers) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lift_row(**overrides) -> dict:
    data = {"街道": "东城街道", "小区名称": "阳光小区", "使用登记证编号/注册代码": "3110A0001", "安装位置": "1号楼",
            "维保单位": "示范电梯", "上次检验日期": "2026-03-01", "状态": "在用"}
    data.update(overrides)
    return data


def travel():
    return time_machine.travel("2026-11-20 10:00 +08:00", tick=False)


def test_lift_import_is_all_or_nothing_with_row_errors(world):
    gen_lift(world.estate1, registration_code="EXIST001")
    db.session.commit()
    rows = [lift_row(),
            lift_row(**{"使用登记证编号/注册代码": "3110A0001"}),  # repeats row 2
            lift_row(**{"使用登记证编号/注册代码": "EXIST001"}),  # already registered
            lift_row(**{"小区名称": "不存在小区", "使用登记证编号/注册代码": "3110A0004"}),
            lift_row(**{"使用登记证编号/注册代码": "3110A0005", "上次检验日期": "2026-13-01"}),
            lift_row(**{"使用登记证编号/注册代码": "3110A0006", "状态": "报废"})]
    with travel():
        result = import_lifts(xlsx(rows, LIFT_HEADERS), "lifts.xlsx", actor=world.officer)
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(3, "使用登记证编号/注册代码"), (4, "使用登记证编号/注册代码"), (5, "小区名称"),
                     (6, "上次检验日期"), (7, "状态")}
    messages = " ".join(e.message for e in result.errors)
    assert "与第 2 行重复" in messages and "已登记" in messages and "找不到小区" in messages
    assert "日期格式" in messages and "报废请使用" in messages
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lift.id))) == 1  # nothing imported


def test_lift_import_adds_rows_audited_and_a_company_only_for_its_estates(world):
    with travel():
        second = lift_row(**{"使用登记证编号/注册代码": "3110A0002", "下次检验日期": "2027-01-15"})
        result = import_lifts(xlsx([lift_row(), second], LIFT_HEADERS), "lifts.xlsx", actor=world.company_user)
        assert result.ok, result.errors
        db.session.commit()
        lifts = {lift.registration_code: lift for lift in db.session.scalars(select(Lift))}
        assert lifts["3110A0001"].next_due_on == date(2027, 3, 1)  # a year after the last inspection
        assert lifts["3110A0002"].next_due_on == date(2027, 1, 15)
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "lift.import")) == 2
        # Company 1 does not manage 月亮小区 (street 2): refused.
        other = lift_row(**{"街道": "西城街道", "小区名称": "月亮小区", "使用登记证编号/注册代码": "3110B0001"})
        refused = import_lifts(xlsx([other], LIFT_HEADERS), "x.xlsx", actor=world.company_user)
        assert [(e.row, e.column) for e in refused.errors] == [(2, "小区名称")]
        assert import_lifts(xlsx([other], LIFT_HEADERS), "x.xlsx", actor=world.officer).ok


def test_facility_import_and_the_export_round_trip(world, login_as):
    gen_facility(world.estate1, kind=FacilityKind.HYDRANT, location="东门", quantity=4, next_due_on=date(2027, 1, 1))
    gen_facility(world.estate2, kind=FacilityKind.ALARM, location="消控室", next_due_on=date(2027, 2, 1))
    gen_lift(world.estate1, registration_code="EXPORT01", maintenance_company="甲电梯")
    db.session.commit()
    client = login_as(world.officer)
    data = client.get("/safety/facilities/export.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == FACILITY_HEADERS
    assert {(r[1], r[2], r[3]) for r in rows[1:]} == {("阳光小区", "消火栓", "东门"),
                                                      ("月亮小区", "火灾自动报警系统", "消控室")}
    # The street office exports its street's only.
    data = login_as(world.street_user).get("/safety/facilities/export.xlsx").data
    assert [r[1] for r in list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))[1:]] == ["阳光小区"]
    # The export imports back (as new rows).
    with travel():
        result = import_facilities(xlsx([dict(zip(FACILITY_HEADERS, r)) for r in rows[1:]], FACILITY_HEADERS),
                                   "round.xlsx", actor=world.officer)
    assert result.ok, result.errors
    assert db.session.scalar(select(func.count(FireFacility.id))) == 4
    lifts = load_workbook(io.BytesIO(client.get("/safety/lifts/export.xlsx").data)).active
    assert list(lifts.iter_rows(values_only=True))[1][2:5] == ("EXPORT01", "1号楼1单元", "甲电梯")


def test_the_import_page_shows_the_errors(world, login_as):
    client = login_as(world.officer)
    assert client.get("/safety/lifts/import/template.xlsx").status_code == 200
    response = client.post("/safety/facilities/import", data={
        "file": (io.BytesIO(xlsx([{"街道": "东城街道", "小区名称": "阳光小区", "设施类型": "水枪", "位置": "东门"}],
                                 FACILITY_HEADERS)), "f.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "应为以下之一" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(FireFacility.id))) == 0
    assert login_as(world.street_user).get("/safety/facilities/import").status_code == 403
