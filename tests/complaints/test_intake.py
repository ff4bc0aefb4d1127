"""12345 intake: the Excel import (aliases, all-or-nothing, idempotent, per-row errors), the API
(token scope, idempotent push, read-back), address matching and the clerk's queue."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import func, select

from supervision.api.services import create_token
from supervision.complaints.intake import HotlineImport
from supervision.complaints.matching import Matcher, add_alias
from supervision.complaints.models import Channel, Complaint, MatchStatus, State
from supervision.extensions import db

from ..factories import gen_estate


def workbook(headers, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


HEADERS = ["工单号", "受理时间", "反映内容", "事发地址", "来电号码", "来电人", "办结时限", "诉求类别", "工单状态"]


def rows():
    return [
        ["GD001", "2026-11-03 09:12", "楼道堆满垃圾", "东城街道阳光小区3栋", "13800000001", "赵女士",
         "2026-11-10 17:00", "环境卫生", "已派单"],
        ["GD002", datetime(2026, 11, 3, 10, 0), "物业费乱涨价", "西城月亮小区", "13800000002", "钱先生", None,
         "物业收费", "已派单"],
        ["GD003", "2026-11-03 11:00", "路边井盖缺失", "人民路与解放路口", "13800000003", None, None, None, "已派单"],
    ]


def count() -> int:
    return db.session.scalar(select(func.count(Complaint.id)))


def test_import_maps_aliases_matches_addresses_and_is_idempotent(world):
    data = workbook(HEADERS, rows())
    result = HotlineImport(actor=world.officer).run(data, "gd.xlsx")
    assert result.ok, result.errors
    assert (result.created.created, result.created.queued) == (3, 1)
    db.session.commit()
    by_ticket = {c.ticket_no: c for c in db.session.scalars(select(Complaint))}
    assert by_ticket["GD001"].estate_id == world.estate1.id and by_ticket["GD001"].state is State.ASSIGNED
    assert by_ticket["GD001"].company_id == world.company1.id and by_ticket["GD001"].category == "环境卫生"
    assert by_ticket["GD002"].estate_id == world.estate2.id and by_ticket["GD002"].category == "收费"
    assert by_ticket["GD003"].estate_id is None and by_ticket["GD003"].match_status is MatchStatus.PENDING
    assert by_ticket["GD001"].hotline_due_at is not None and by_ticket["GD001"].complainant_phone == "13800000001"
    # The same export again, with one new ticket: only the new one is added.
    extra = ["GD004", "2026-11-04 08:00", "电梯困人", "阳光小区", "", "", None, "", ""]
    again = HotlineImport(actor=world.officer).run(workbook(HEADERS, rows() + [extra]), "gd.xlsx")
    assert again.ok and (again.created.created, again.created.skipped) == (1, 3)
    db.session.commit()
    assert count() == 4


def test_import_is_all_or_nothing_with_errors_per_row(world):
    bad = rows()
    bad[1][1] = "昨天下午"
    bad[2][0] = "GD001"  # a duplicate in the file
    bad.append(["GD009", "2026-11-05 08:00", None, "阳光小区", "", "", None, "", ""])
    result = HotlineImport(actor=world.officer).run(workbook(HEADERS, bad), "gd.xlsx")
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    # Errors name the column by the template's word, whatever the platform called it (受理时间 → 来电时间).
    assert (3, "来电时间") in found and (4, "工单编号") in found and (5, "诉求内容") in found
    db.session.rollback()
    assert count() == 0


def test_import_refuses_a_sheet_without_the_required_columns(world):
    result = HotlineImport().run(workbook(["编码", "时间"], [["1", "2026-11-01"]]), "x.xlsx")
    assert not result.ok and "缺少列" in {e.message for e in result.errors}


def test_the_cli_imports_a_file(world, runner, tmp_path):
    path = tmp_path / "gd.xlsx"
    path.write_bytes(workbook(HEADERS, rows()))
    result = runner.invoke(args=["complaints", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert count() == 3


def test_the_upload_page_imports_for_the_bureau_only(world, login_as):
    data = workbook(HEADERS, rows())
    assert login_as(world.street_user).get("/complaints/import").status_code == 403
    response = login_as(world.officer).post("/complaints/import", data={"file": (BytesIO(data), "gd.xlsx")},
                                            content_type="multipart/form-data")
    assert response.status_code == 302
    assert count() == 3


def test_matching_by_name_alias_and_address_with_confidence(world):
    estate = gen_estate(community=world.community1, name="翠苑一区", address="文三路123号")
    add_alias(estate, "翠苑小区")
    matcher = Matcher()
    assert matcher.match("西湖区翠苑一区5幢") == (estate.id, 95)
    assert matcher.match("翠苑小区门口") == (estate.id, 90)
    assert matcher.match("文三路123号对面") == (estate.id, 85)
    assert matcher.match("翠苑路口") == (None, 35)  # "翠苑": 2 of the name's 4 characters, 70 × 2/4
    assert matcher.match("翠花胡同") == (None, None)


def test_the_clerk_picks_the_estate_and_the_company_gets_it(world, login_as):
    HotlineImport(actor=world.officer).run(workbook(HEADERS, rows()), "gd.xlsx")
    db.session.commit()
    queued = db.session.scalar(select(Complaint).where(Complaint.ticket_no == "GD003"))
    client = login_as(world.officer)
    assert "GD003" in client.get("/complaints/queue").get_data(as_text=True)
    client.post(f"/complaints/{queued.id}/assign", data={"estate_id": world.estate2.id, "version": queued.version})
    db.session.expire_all()
    queued = db.session.get(Complaint, queued.id)
    assert queued.state is State.ASSIGNED and queued.company_id == world.company2.id
    assert queued.match_status is MatchStatus.CLERK
    assert "GD003" not in client.get("/complaints/queue").get_data(as_text=True)
    assert login_as(world.company2_user).get(f"/complaints/{queued.id}").status_code == 200


# --- the API -------------------------------------------------------------------------

def _token(user) -> dict:
    _row, plain = create_token(user, name="12345", days=30)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


PUSH = {"ticket_no": "API-1", "received_at": "2026-11-03T09:00:00", "description": "电梯停运两天",
        "address": "阳光小区2栋", "phone": "13900000000", "category": "电梯"}


def test_the_hotline_pushes_once_and_reads_back(world, client):
    headers = _token(world.officer)
    first = client.post("/api/v1/complaints/hotline", json=PUSH, headers=headers, csrf=False)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/complaints/hotline", json=PUSH, headers=headers, csrf=False)
    assert again.status_code == 200 and again.get_json()["tracking_no"] == first.get_json()["tracking_no"]
    assert db.session.scalar(select(func.count(Complaint.id)).where(Complaint.channel == Channel.HOTLINE)) == 1
    complaint = db.session.scalar(select(Complaint))
    assert complaint.estate_id == world.estate1.id and complaint.category == "电梯管理"
    complaint.reply, complaint.state = "已修复", State.RESOLVED
    db.session.commit()
    status = client.get("/api/v1/complaints/hotline/API-1", headers=headers).get_json()
    assert status["state"] == "resolved" and status["reply"] == "已修复"
    assert "13900000000" not in str(status) and "phone" not in status
    assert client.get("/api/v1/complaints/hotline/NOPE", headers=headers).status_code == 404


def test_street_and_company_tokens_may_not_push_or_read(world, client):
    for user in (world.street_user, world.company_user):
        headers = _token(user)
        assert client.post("/api/v1/complaints/hotline", json=PUSH, headers=headers, csrf=False).status_code == 403
        assert client.get("/api/v1/complaints/hotline/API-1", headers=headers).status_code == 403
    assert client.post("/api/v1/complaints/hotline", json=PUSH, csrf=False).status_code == 401
    assert count() == 0


def test_a_platform_export_with_title_lines_and_full_width_digits_reads_like_a_ledger(world):
    """The hotline platform's export as it comes: a title and an export-time line above the header, the
    platform's own columns (工单状态, 承办单位) left out without a question, full-width digits in a phone."""
    book = Workbook()
    sheet = book.active
    sheet.append(["12345政务服务便民热线工单导出"])
    sheet.merge_cells("A1:J1")
    sheet.append(["导出时间：2026-11-05 08:00"])
    sheet.append(HEADERS + ["承办单位"])
    for row in rows():
        sheet.append(row + ["区住建局"])
    sheet.cell(row=4, column=5, value="１３８０００００００１")
    out = BytesIO()
    book.save(out)
    result = HotlineImport(actor=world.officer).run(out.getvalue(), "gd.xlsx")
    assert result.ok, result.errors
    assert set(result.ignored) == {"工单状态", "承办单位"}
    db.session.commit()
    first = db.session.scalar(select(Complaint).where(Complaint.ticket_no == "GD001"))
    assert first.estate_id == world.estate1.id and first.complainant_phone == "13800000001"
