"""Excel import (all rows or none) and export of the estate register; the round trip."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import delete, func, select

from supervision.audit.models import AuditLog
from supervision.estates.management import EstateManagement
from supervision.estates.models import Estate, ManagementMode
from supervision.estates.services import archive_estate
from supervision.estates.spreadsheet import EXAMPLE_NAME, estate_columns, import_estates
from supervision.extensions import db

from ..documents.importing import upload_and_confirm
from ..factories import gen_company

HEADERS = [c.header for c in estate_columns()]


def xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(world, **overrides) -> dict:
    data = {"小区名称": "金桂苑", "地址": "桂花路1号", "街道": "东城街道", "社区": "东风社区", "管理模式": "物业企业",
            "物业企业统一社会信用代码": world.company1.credit_code, "物业类型": "高层住宅", "建成年份": 2012,
            "楼栋数": 8, "户数": 640, "建筑面积（平方米）": 61234.5, "老旧小区": "否", "具备成立业委会条件": "是"}
    data.update(overrides)
    return data


def count() -> int:
    return db.session.scalar(select(func.count(Estate.id)))


def test_a_good_file_imports_every_row(world):
    data = xlsx([row(world), row(world, 小区名称="银杏里", 管理模式="社区托管", 物业企业统一社会信用代码=None,
                                 街道="西城街道", 社区="西湖社区", 老旧小区="是", 户数=300,
                                 选择专业化物业管理的户数=200, 征询日期=date(2026, 1, 10))])
    result = import_estates(data, "台账.xlsx", actor=world.officer)
    assert result.ok, result.errors
    db.session.commit()
    assert count() == 4
    jingui = db.session.scalar(select(Estate).where(Estate.name == "金桂苑"))
    assert jingui.company_id == world.company1.id and jingui.floor_area == Decimal("61234.50")
    yinxing = db.session.scalar(select(Estate).where(Estate.name == "银杏里"))
    assert yinxing.street_id == world.street2.id and yinxing.is_old
    assert yinxing.management_mode is ManagementMode.COMMUNITY_TRUST
    assert yinxing.committee_due_on == date(2026, 3, 10)  # 200 of 300 households: due two months later
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions.count("estate.import") == 2 and actions.count("estate.import_file") == 1


def test_one_bad_row_imports_nothing_and_reports_it(world):
    data = xlsx([row(world), row(world, 小区名称="第二个", 户数="很多"), row(world, 小区名称="第三个")])
    result = import_estates(data, "bad.xlsx")
    assert not result.ok and count() == 2
    assert [(e.row, e.column) for e in result.errors] == [(3, "户数")]
    assert result.errors[0].message == "应为整数"


@pytest.mark.parametrize("overrides, column, fragment", [
    ({"街道": "北极街道"}, "街道", "找不到街道“北极街道”"),
    ({"社区": "西湖社区"}, "社区", "东城街道下找不到社区“西湖社区”"),
    ({"物业企业统一社会信用代码": "91350100M000100Y44"}, "物业企业统一社会信用代码", "校验码错误"),
    ({"物业企业统一社会信用代码": "91350100M000100Y43"}, "物业企业统一社会信用代码", "系统中没有统一社会信用代码"),
    ({"物业企业统一社会信用代码": None}, "物业企业统一社会信用代码", "须选择物业服务企业"),
    ({"物业企业名称": "别的公司"}, "物业企业名称", "与填写的名称不一致"),
    ({"管理模式": "包干"}, "管理模式", "应为以下之一"),
    ({"小区名称": None}, "小区名称", "必填项不能为空"),
    ({"户数": 0}, "户数", "不能小于 1"),
    ({"建成年份": 2200}, "建成年份", "不能大于"),
    ({"选择专业化物业管理的户数": 900, "征询日期": date(2026, 1, 5)},
     "选择专业化物业管理的户数", "不能超过小区户数（640）"),
    ({"选择专业化物业管理的户数": 300}, "征询日期", "请同时填写征询日期"),
    ({"征询日期": "2026/13/01"}, "征询日期", "日期格式应为 YYYY-MM-DD"),
    ({"老旧小区": "也许"}, "老旧小区", "应填写“是”或“否”"),
])
def test_each_check(world, overrides, column, fragment):
    result = import_estates(xlsx([row(world, **overrides)]), "x.xlsx")
    assert not result.ok and count() == 2
    assert any(e.row == 2 and e.column == column and fragment in e.message for e in result.errors), result.errors


def test_a_row_matching_an_existing_estate_updates_it(world):
    """Same name in the same street: the estate is updated (audited), not duplicated; the preview says so."""
    data = xlsx([row(world, 小区名称="阳光小区", 户数=999)])
    preview = import_estates(data, "x.xlsx", dry_run=True)
    assert preview.ok and preview.counts == {"create": 0, "update": 1, "skip": 0}
    assert preview.updates == [(2, "update", "阳光小区（东城街道）")] and not preview.created
    assert world.estate1.households != 999
    result = import_estates(data, "x.xlsx", actor=world.officer)
    assert result.ok, result.errors
    db.session.commit()
    assert count() == 2 and db.session.get(Estate, world.estate1.id).households == 999
    assert "estate.update" in db.session.scalars(select(AuditLog.action)).all()
    again = import_estates(data, "x.xlsx", dry_run=True)  # nothing new: skipped
    assert again.counts == {"create": 0, "update": 0, "skip": 1}


def test_a_row_matching_an_archived_estate_is_refused(world):
    archive_estate(world.estate1)
    result = import_estates(xlsx([row(world, 小区名称="阳光小区")]), "x.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(2, "小区名称")] and "已归档" in result.errors[0].message


def test_duplicates_inside_the_file(world):
    result = import_estates(xlsx([row(world), row(world, 地址="别处")]), "x.xlsx")
    assert [(e.row, e.column, e.message) for e in result.errors] == [(3, "小区名称", "与第 2 行重复（同一街道下同名）")]


def test_same_name_in_another_street_is_fine(world):
    assert import_estates(xlsx([row(world), row(world, 街道="西城街道", 社区="西湖社区")]), "x.xlsx").ok


@pytest.mark.parametrize("data, fragment", [
    (b"name,address\n1,2\n", "文件类型不符"),
    (b"PK\x03\x04 not really a zip", "文件类型不符"),
    (b"", "文件为空"),
])
def test_files_that_are_not_xlsx_are_refused(world, data, fragment):
    result = import_estates(data, "estates.xlsx")
    assert not result.ok and fragment in result.errors[0].message


def test_files_over_10_mb_are_refused(world):
    result = import_estates(b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), "big.xlsx")
    assert "文件过大" in result.errors[0].message


def test_missing_and_unknown_columns(world):
    """A required column missing, or a header nobody recognises, stops the import (optional
    columns may be left out: a ledger keeps what it keeps)."""
    headers = [h for h in HEADERS if h not in ("户数", "地址")] + ["负责人"]
    result = import_estates(xlsx([row(world)], headers=headers), "x.xlsx")
    assert {(e.column, e.message) for e in result.errors} == {("地址", "缺少列"), ("负责人", "无法识别的列")}
    assert result.unrecognised == ["负责人"]


def test_template_has_chinese_headers_and_one_example_row(login_as, world):
    response = login_as(world.officer).get("/estates/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS and rows[1][0] == EXAMPLE_NAME and len(rows) == 2
    assert book.sheetnames == ["小区台账", "填写说明"]
    # The instructions name the streets and where to look a community up, not every community a row.
    notes = [row[0] for row in book.worksheets[1].iter_rows(values_only=True) if row]
    assert world.street1.name in notes and world.community1.name not in notes


def test_export_then_import_into_a_clean_database_round_trips(login_as, world):
    """Export the register, delete the estates, import the file: the same estates come back."""
    from supervision.estates.services import create_estate

    create_estate({"name": "全字段小区", "address": "全路1号", "community_id": world.community2.id,
                   "management_mode": ManagementMode.PROFESSIONAL, "company_id": world.company2.id,
                   "property_type": None, "year_built": 1995, "buildings": 3, "households": 300,
                   "floor_area": Decimal("12345.67"), "is_old": True, "committee_eligible": False,
                   "professional_vote_households": 160, "professional_vote_on": date(2025, 12, 31),
                   "latitude": Decimal("31.230416"), "longitude": Decimal("121.473701"), "notes": "备注\n第二行"})
    db.session.commit()
    fields = ["name", "address", "street_id", "community_id", "company_id", "management_mode", "property_type",
              "year_built", "buildings", "households", "floor_area", "is_old", "committee_eligible",
              "professional_vote_households", "professional_vote_on", "latitude", "longitude", "notes",
              "committee_due_on"]

    def snapshot():
        return sorted(tuple(getattr(e, f) for f in fields) for e in db.session.scalars(select(Estate)))

    before = snapshot()
    exported = login_as(world.officer).get("/estates/export.xlsx").data
    _delete_estates()
    assert count() == 0
    result = import_estates(exported, "export.xlsx")
    assert result.ok, result.errors
    db.session.commit()
    assert snapshot() == before


def test_export_follows_the_filters_and_the_scope(login_as, world):
    def names(data):
        sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        return [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]

    assert names(login_as(world.officer).get(f"/estates/export.xlsx?street_id={world.street2.id}").data) == ["月亮小区"]
    assert names(login_as(world.street_user).get("/estates/export.xlsx").data) == ["阳光小区"]
    assert names(login_as(world.company2_user).get("/estates/export.xlsx").data) == ["月亮小区"]


def test_web_import_reports_errors_in_a_table(login_as, world):
    client = login_as(world.officer)
    data = xlsx([row(world), row(world, 小区名称="第二个", 街道="北极街道")])
    response = client.post("/estates/import", data={"file": (io.BytesIO(data), "台账.xlsx")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="import-failed"' in html
    assert "<td class=\"num\">3</td><td>街道</td><td>找不到街道“北极街道”</td>" in html
    assert count() == 2


def test_web_import_of_a_good_file(login_as, world):
    client = login_as(world.officer)
    data = xlsx([row(world)])
    response = upload_and_confirm(client, "/estates/import", data)
    assert response.status_code == 302 and count() == 3
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入：新增 1 个小区，更新 0 个，跳过 0 个。" in listing


def test_web_import_refuses_a_disguised_file(login_as, world):
    response = login_as(world.officer).post("/estates/import", data={
        "file": (io.BytesIO(b"%PDF-1.4 fake\n%%EOF"), "台账.xlsx")}, content_type="multipart/form-data")
    assert "文件类型不符" in response.get_data(as_text=True) and count() == 2


def test_import_is_for_the_bureau_only(login_as, world):
    for user in (world.leader, world.street_user, world.company_user):
        assert login_as(user).get("/estates/import").status_code == 403
        assert login_as(user).get("/estates/import/template.xlsx").status_code == 403


def test_cli_import_prints_the_report_and_exits_1(runner, world, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([row(world), row(world, 小区名称="第二个", 户数=-5)]))
    result = runner.invoke(args=["estates", "import", str(bad)])
    assert result.exit_code == 1
    assert "未导入：发现 1 处错误" in result.output and "3\t户数\t不能小于 1" in result.output
    assert count() == 2
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([row(world)]))
    result = runner.invoke(args=["estates", "import", str(good)])
    assert result.exit_code == 0 and "已导入 1 个小区" in result.output
    assert count() == 3
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "estate.import"))
    assert entry.channel == "cli"


def test_cli_export_and_template(runner, world, tmp_path):
    out = tmp_path / "out.xlsx"
    assert runner.invoke(args=["estates", "export", str(out)]).exit_code == 0
    sheet = load_workbook(out, read_only=True).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["阳光小区", "月亮小区"]
    template = tmp_path / "t.xlsx"
    assert runner.invoke(args=["estates", "template", str(template)]).exit_code == 0
    assert template.stat().st_size > 0


def test_an_archived_company_cannot_be_given_to_a_new_estate(world):
    from supervision.core.timeutil import utcnow

    company = gen_company()
    company.archived_at = utcnow()
    db.session.commit()
    result = import_estates(xlsx([row(world, 物业企业统一社会信用代码=company.credit_code)]), "x.xlsx")
    assert any("已归档" in e.message for e in result.errors)


def test_exported_text_is_never_a_formula(login_as, world):
    """A name such as "=HYPERLINK(…)" is exported as text, and imports back unchanged."""
    world.estate1.name = '=HYPERLINK("http://example.invalid","点我")'
    db.session.commit()
    data = login_as(world.officer).get("/estates/export.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    formula = [c for c in cells if str(c.value).startswith("=")]
    assert len(formula) == 1 and formula[0].data_type == "s"
    _delete_estates()
    assert import_estates(data, "x.xlsx").ok
    assert db.session.scalar(select(Estate.name).where(Estate.name.like("=HYPERLINK%"))) is not None


def _delete_estates():
    """A clean register: the estates and the management history that refers to them."""
    db.session.execute(delete(EstateManagement))
    for estate in db.session.scalars(select(Estate)):
        db.session.delete(estate)
    db.session.commit()
