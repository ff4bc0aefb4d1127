"""Ledgers bureaus already keep import after one mapping step, with every value right (issue 22)."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.companies.credit_code import make_credit_code
from supervision.companies.models import Company
from supervision.companies.services import update_company
from supervision.documents.imports import saved_mapping
from supervision.documents.ledger import IGNORE, read_table
from supervision.documents.models import ImportMapping
from supervision.estates.models import Estate
from supervision.estates.spreadsheet import estate_columns, import_estates
from supervision.extensions import db

from ..factories import gen_company
from .importing import confirm, preview_form, upload
from .ledgers import (
    EXPECTED,
    OTHER_UNKNOWN,
    UNKNOWN_IN_LEDGER,
    ledger_xlsx,
    other_csv,
    other_xls,
)


def estates_named(names) -> dict[str, Estate]:
    return {e.name: e for e in db.session.scalars(select(Estate).where(Estate.name.in_(names)))}


def assert_every_value_right():
    db.session.expire_all()
    found = estates_named(EXPECTED)
    assert set(found) == set(EXPECTED)
    for name, want in EXPECTED.items():
        estate = found[name]
        got = dict(street=estate.street.name, community=estate.community.name, address=estate.address,
                   company=estate.company.name if estate.company else None, year_built=estate.year_built,
                   buildings=estate.buildings, households=estate.households, floor_area=str(estate.floor_area),
                   is_old=estate.is_old, notes=estate.notes, mode=estate.management_mode.value)
        assert got == want, name


def test_the_table_is_found_under_the_title_and_above_the_totals(world):
    table = read_table(ledger_xlsx(), "台账.xlsx", estate_columns(), mapping={UNKNOWN_IN_LEDGER: IGNORE})
    assert table.ok, table.errors
    assert table.header_row == 3
    assert [number for number, _values in table.rows] == [4, 5, 6, 7]  # not 合计, the note or the signatures
    assert [values["street"] for _n, values in table.rows] == ["东城街道", "东城街道", "东城街道", "西城"]  # merged
    assert [values["community"] for _n, values in table.rows] == ["东风社区", "东风社区", "东风", "西湖社区"]
    assert table.ignored == ["序号", UNKNOWN_IN_LEDGER]
    how = {s.header: (s.key, s.how) for s in table.sources}
    assert how["项目名称"] == ("name", "header") and how["建筑面积（㎡）"] == ("floor_area", "header")
    assert (how["序号"] == (None, "ignored") and how[UNKNOWN_IN_LEDGER] == (None, "mapped")) or \
        how[UNKNOWN_IN_LEDGER] == (None, "ignored")


def test_an_unrecognised_header_stops_the_import_and_says_which(world):
    result = import_estates(ledger_xlsx(), "台账.xlsx")
    assert not result.ok and result.unrecognised == [UNKNOWN_IN_LEDGER]
    assert [(e.row, e.column, e.message) for e in result.errors] == [(3, UNKNOWN_IN_LEDGER, "无法识别的列")]
    assert db.session.scalar(select(func.count(Estate.id))) == 2


def test_the_ledger_imports_with_one_mapping_and_every_value_right(world):
    mapping = {UNKNOWN_IN_LEDGER: IGNORE}
    preview = import_estates(ledger_xlsx(), "台账.xlsx", mapping=mapping, dry_run=True)
    assert preview.ok, preview.errors
    assert preview.counts == {"create": 4, "update": 0, "skip": 0} and not preview.created
    assert db.session.scalar(select(func.count(Estate.id))) == 2  # a dry run writes nothing
    samples = {s.header: s.samples for s in preview.sources}
    assert samples["总户数"][0] == ("860户", "860") and samples["建筑面积（㎡）"][0] == ("1,320", "1320.00")
    assert samples["建成时间"][0] == ("2005年", "2005") and samples["是否老旧小区"][:2] == [("√", "是"), ("×", "否")]
    result = import_estates(ledger_xlsx(), "台账.xlsx", mapping=mapping, actor=world.officer)
    assert result.ok, result.errors
    db.session.commit()
    assert_every_value_right()


@pytest.mark.parametrize("make", [other_xls, other_csv, lambda world: other_csv(world, "utf-8-sig")],
                         ids=["xls", "csv-gb18030", "csv-utf8"])
def test_another_ledger_in_another_order_and_format_imports_too(world, make):
    name = "台账.xls" if make is other_xls else "台账.csv"
    first = import_estates(make(world), name)
    assert sorted(first.unrecognised) == sorted(OTHER_UNKNOWN)
    result = import_estates(make(world), name, mapping=OTHER_UNKNOWN, actor=world.officer)
    assert result.ok, result.errors
    assert result.counts == {"create": 4, "update": 0, "skip": 0}
    db.session.commit()
    assert_every_value_right()


def test_the_second_ledger_updates_what_the_first_created(world):
    assert import_estates(ledger_xlsx(), "a.xlsx", mapping={UNKNOWN_IN_LEDGER: IGNORE}).ok
    db.session.commit()
    again = import_estates(other_xls(world), "b.xls", mapping=OTHER_UNKNOWN, dry_run=True)
    assert again.ok, again.errors
    assert again.counts == {"create": 0, "update": 0, "skip": 4}  # the same values: nothing to write
    assert db.session.scalar(select(func.count(Estate.id))) == 6


def test_a_company_by_its_former_name_and_an_ambiguous_name(world):
    update_company(world.company2, {"name": "乙物业集团有限公司"}, actor=world.officer)
    db.session.commit()
    result = import_estates(ledger_xlsx(), "台账.xlsx", mapping={UNKNOWN_IN_LEDGER: IGNORE}, dry_run=True)
    assert result.ok, result.errors  # 乙物业服务有限公司 is company2's former name
    update_company(world.company1, {"name": "甲物业一公司"}, actor=world.officer)
    other = gen_company(name="甲物业服务有限公司")
    update_company(other, {"name": "甲物业二公司"}, actor=world.officer)  # two companies were once so named
    db.session.flush()
    result = import_estates(ledger_xlsx(), "台账.xlsx", mapping={UNKNOWN_IN_LEDGER: IGNORE}, dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(4, "物业企业名称")]
    assert "有多家企业名为“甲物业服务有限公司”，请填写统一社会信用代码" in result.errors[0].message


def test_a_company_nobody_registered_asks_for_the_credit_code(world):
    book = Workbook()
    book.active.append(["项目名称", "所属街道", "社区", "地址", "管理方式", "物业公司"])
    book.active.append(["丙小区", "东城", "东风", "丙路1号", "物业企业", "丙物业有限公司"])
    out = io.BytesIO()
    book.save(out)
    result = import_estates(out.getvalue(), "丙.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(2, "物业企业名称")]
    assert result.errors[0].message == "系统中没有名为“丙物业有限公司”的企业，请填写统一社会信用代码或先登记企业"


# --- the pages ---------------------------------------------------------------------------------

def test_upload_preview_map_confirm_and_the_mapping_is_remembered(login_as, world):
    client = login_as(world.officer)
    page = upload(client, "/estates/import", ledger_xlsx()).get_data(as_text=True)
    assert 'data-testid="import-preview"' in page and "无法识别，请选择" in page
    assert "表头在第 3 行，共读到 4 行数据。" in page
    assert "860户 → 860" in page and "1,320 → 1320.00" in page and "√ → 是" in page
    assert 'data-testid="import-confirm"' not in page  # not before the unknown header is mapped
    assert db.session.scalar(select(func.count(Estate.id))) == 2
    form = preview_form(page)
    assert form["filename"] == "台账.xlsx" and len(form["token"]) == 32
    checked = confirm(client, "/estates/import", page, step="check", **{UNKNOWN_IN_LEDGER: IGNORE})
    checked_page = checked.get_data(as_text=True)
    assert 'data-testid="import-confirm"' in checked_page and "新增 4" in checked_page
    assert checked_page.count("按指定的对应") == 1 and "列名识别" in checked_page  # only the header chosen
    assert db.session.scalar(select(func.count(Estate.id))) == 2  # still nothing written
    done = confirm(client, "/estates/import", checked_page)
    assert done.status_code == 302
    assert_every_value_right()
    assert saved_mapping("estates") == {UNKNOWN_IN_LEDGER: IGNORE}
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "import.mapping")) == 1
    # next month's file: no questions, and the rows now update or skip
    again = upload(client, "/estates/import", ledger_xlsx()).get_data(as_text=True)
    assert "无法识别，请选择" not in again and "按指定的对应" in again and "跳过 4" in again
    assert again.count("跳过（无变化）") == 4


def test_the_upload_is_kept_for_its_user_only(login_as, world):
    page = upload(login_as(world.officer), "/estates/import", ledger_xlsx()).get_data(as_text=True)
    other = login_as(world.admin)
    response = confirm(other, "/estates/import", page, **{UNKNOWN_IN_LEDGER: IGNORE})
    assert response.status_code == 302 and response.headers["Location"].endswith("/estates/import")
    assert db.session.scalar(select(func.count(Estate.id))) == 2
    assert db.session.scalar(select(func.count(ImportMapping.id))) == 0


def test_a_tampered_token_or_field_is_refused(login_as, world):
    client = login_as(world.officer)
    page = upload(client, "/estates/import", ledger_xlsx()).get_data(as_text=True)
    form = preview_form(page)
    response = client.post("/estates/import", data={**form, "token": "../../etc/passwd", "step": "confirm"})
    assert response.status_code == 302 and db.session.scalar(select(func.count(Estate.id))) == 2
    bad_field = {**form, "step": "confirm"}
    for name, header in form.items():
        if header == UNKNOWN_IN_LEDGER:
            bad_field["map-" + name.split("-")[1]] = "street_id; drop table"
    assert 'data-testid="import-preview"' in client.post("/estates/import", data=bad_field).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Estate.id))) == 2


def test_the_confirmation_needs_the_csrf_token(login_as, world):
    client = login_as(world.officer)
    page = upload(client, "/estates/import", ledger_xlsx()).get_data(as_text=True)
    form = preview_form(page)
    for name, header in list(form.items()):
        if header == UNKNOWN_IN_LEDGER:
            form["map-" + name.split("-")[1]] = IGNORE
    response = client.post("/estates/import", data={**form, "step": "confirm"}, csrf=False)
    assert response.status_code in (302, 400) and db.session.scalar(select(func.count(Estate.id))) == 2
    assert client.post("/estates/import", data={**form, "step": "confirm"}).status_code == 302  # with it: imported
    assert db.session.scalar(select(func.count(Estate.id))) == 6


def test_floor_areas_are_decimal(world):
    result = import_estates(ledger_xlsx(), "台账.xlsx", mapping={UNKNOWN_IN_LEDGER: IGNORE})
    assert result.ok
    assert {e.name: e.floor_area for e in result.created}["银杏里"] == Decimal("152000.50")


# --- the command line ----------------------------------------------------------------------------

def test_the_cli_refuses_unrecognised_headers_and_says_how_to_map_them(runner, world, tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_xlsx())
    refused = runner.invoke(args=["estates", "import", str(path)])
    assert refused.exit_code == 1
    assert f"以下表头无法识别：{UNKNOWN_IN_LEDGER}" in refused.output and "--map 源列=字段" in refused.output
    assert "可用字段：小区名称、地址、街道" in refused.output
    assert db.session.scalar(select(func.count(Estate.id))) == 2
    done = runner.invoke(args=["estates", "import", str(path), "--map", f"{UNKNOWN_IN_LEDGER}=忽略"])
    assert done.exit_code == 0, done.output
    assert "已忽略的列：序号、物业项目负责人" in done.output
    assert_every_value_right()
    again = runner.invoke(args=["estates", "import", str(path), "--map", f"{UNKNOWN_IN_LEDGER}=忽略"])
    assert again.exit_code == 0 and "已导入：新增 0 个小区，更新 0 个，跳过 4 个。" in again.output


def test_the_cli_takes_a_mapping_file_with_field_names_or_keys(runner, world, tmp_path):
    path = tmp_path / "台账.xls"
    path.write_bytes(other_xls(world))
    mapping = tmp_path / "mapping.txt"
    mapping.write_text("# 源列=字段\n管理形式=管理模式\n所属片区=忽略\n", encoding="utf-8")
    done = runner.invoke(args=["estates", "import", str(path), "--mapping-file", str(mapping)])
    assert done.exit_code == 0, done.output
    assert_every_value_right()
    bad = runner.invoke(args=["estates", "import", str(path), "--map", "管理形式=没有这个字段"])
    assert bad.exit_code != 0 and "没有名为“没有这个字段”的字段" in bad.output


def test_the_cli_reads_a_recognised_csv_without_asking(runner, world, tmp_path):
    """Every header known (an alias, 序号 left out): imported without any mapping; GB18030 text."""
    code = make_credit_code("91110105MA01DDDD1")
    path = tmp_path / "企业.csv"
    path.write_text(f"序号,物业公司名称,社会信用代码,法人\n1,丁物业有限公司 ,{code.lower()},孙八\n合计,1家,,\n",
                    encoding="gb18030")
    result = runner.invoke(args=["companies", "import", str(path)])
    assert result.exit_code == 0, result.output
    company = db.session.scalar(select(Company).where(Company.credit_code == code))
    assert (company.name, company.legal_representative) == ("丁物业有限公司", "孙八")


def test_a_subtotal_row_inside_a_merged_street_is_skipped(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["街道", "小区名称", "地址", "社区", "管理模式", "户数"])
    sheet.append(["东城街道", "甲苑", "甲路1号", "东风社区", "社区托管", 100])
    sheet.append([None, "乙苑", "乙路1号", "东风社区", "社区托管", 200])
    sheet.append([None, "小计", None, None, None, "=SUM(F2:F3)"])
    sheet.append(["西城街道", "丙苑", "丙路1号", "西湖社区", "社区托管", 300])
    sheet.merge_cells("A2:A4")
    out = io.BytesIO()
    book.save(out)
    table = read_table(out.getvalue(), "x.xlsx", estate_columns())
    assert table.ok, table.errors
    assert [(n, v["name"], v["street"]) for n, v in table.rows] == [
        (2, "甲苑", "东城街道"), (3, "乙苑", "东城街道"), (5, "丙苑", "西城街道")]


@pytest.mark.parametrize("make, filename", [(other_xls, "台账.xls"), (other_csv, "台账.csv")])
def test_xls_and_csv_through_the_page(login_as, world, make, filename):
    client = login_as(world.officer)
    page = upload(client, "/estates/import", make(world), filename).get_data(as_text=True)
    assert 'data-testid="import-preview"' in page and "表头在第 " in page
    done = confirm(client, "/estates/import", page, **OTHER_UNKNOWN)
    assert done.status_code == 302
    assert_every_value_right()
