"""Excel import and export of the company register."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from supervision.companies.credit_code import make_credit_code
from supervision.companies.models import Company
from supervision.companies.spreadsheet import company_columns, import_companies
from supervision.extensions import db

from ..documents.importing import confirm, upload

HEADERS = [c.header for c in company_columns()]
CODE_A = make_credit_code("91110105MA01AAAA1")
CODE_B = make_credit_code("91110105MA01BBBB2")


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(**overrides):
    data = {"企业名称": "甲乙物业有限公司", "统一社会信用代码": CODE_A, "法定代表人": "张三", "联系电话": 13800000000,
            "资质等级": "二级"}
    data.update(overrides)
    return data


def count():
    return db.session.scalar(select(func.count(Company.id)))


def test_good_import(world):
    result = import_companies(xlsx([row(), row(企业名称="丙丁物业", 统一社会信用代码=CODE_B, 资质等级=None)]), "c.xlsx")
    assert result.ok, result.errors
    db.session.commit()
    company = db.session.scalar(select(Company).where(Company.credit_code == CODE_A))
    assert company.phone == "13800000000" and company.qualification_grade.label == "二级"
    assert count() == 4


@pytest.mark.parametrize("overrides, column, fragment", [
    ({"统一社会信用代码": CODE_A[:17] + ("0" if CODE_A[17] != "0" else "1")}, "统一社会信用代码", "校验码错误"),
    ({"统一社会信用代码": "123"}, "统一社会信用代码", "应为18位，当前为3位"),
    ({"统一社会信用代码": None}, "统一社会信用代码", "必填项不能为空"),
    ({"企业名称": "甲物业服务有限公司"}, "企业名称", "已有同名企业"),
    ({"资质等级": "特级"}, "资质等级", "应为以下之一"),
])
def test_bad_row_imports_nothing(world, overrides, column, fragment):
    result = import_companies(xlsx([row(企业名称="好的", 统一社会信用代码=CODE_B), row(**overrides)]), "c.xlsx")
    assert not result.ok and count() == 2
    assert any(e.row == 3 and e.column == column and fragment in e.message for e in result.errors), result.errors


def test_duplicates_in_the_file_and_in_the_database(world):
    result = import_companies(xlsx([row(), row(企业名称="另一家"), row(企业名称="第三家",
                                                                    统一社会信用代码=world.company1.credit_code)]),
                              "c.xlsx")
    messages = {(e.row, e.message) for e in result.errors}
    assert (3, "与第 2 行的信用代码重复") in messages
    assert (4, "已登记为“甲物业服务有限公司”（系统中已存在）") in messages


def test_export_import_round_trip(login_as, world):
    from supervision.companies.services import update_company

    update_company(world.company1, {"legal_representative": "李四", "contact_person": "王五", "phone": "0571-1",
                                    "address": "某地", "notes": "备注"})
    db.session.commit()
    fields = ["name", "credit_code", "legal_representative", "contact_person", "phone", "address",
              "qualification_grade", "notes"]
    before = sorted(tuple(getattr(c, f) for f in fields) for c in db.session.scalars(select(Company)))
    exported = login_as(world.officer).get("/companies/export.xlsx").data
    # A clean database: the same regions and users, no companies (and so no estates or company users).
    from sqlalchemy import delete

    from supervision.audit.models import AuditLog
    from supervision.auth.models import User, UserSession
    from supervision.estates.management import EstateManagement
    from supervision.estates.models import Estate

    for model in (AuditLog, UserSession, User, EstateManagement, Estate, Company):
        db.session.execute(delete(model))
    db.session.commit()
    assert count() == 0
    result = import_companies(exported, "export.xlsx")
    assert result.ok, result.errors
    db.session.commit()
    assert sorted(tuple(getattr(c, f) for f in fields) for c in db.session.scalars(select(Company))) == before


def test_web_import_and_template(login_as, world):
    client = login_as(world.officer)
    template = load_workbook(io.BytesIO(client.get("/companies/import/template.xlsx").data), read_only=True)
    assert list(next(template.worksheets[0].iter_rows(values_only=True))) == HEADERS
    page = upload(client, "/companies/import", xlsx([row()]), "企业.xlsx")
    assert page.status_code == 200 and 'data-testid="import-preview"' in page.get_data(as_text=True)
    assert count() == 2  # nothing written before the confirmation
    response = confirm(client, "/companies/import", page.get_data(as_text=True))
    assert response.status_code == 302 and count() == 3


def test_cli_import(runner, world, tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(xlsx([row(统一社会信用代码="91110105MA01AAAA")]))
    result = runner.invoke(args=["companies", "import", str(path)])
    assert result.exit_code == 1 and "2\t统一社会信用代码\t统一社会信用代码应为18位，当前为16位" in result.output
    path.write_bytes(xlsx([row()]))
    result = runner.invoke(args=["companies", "import", str(path)])
    assert result.exit_code == 0 and "已导入 1 个企业" in result.output and count() == 3
    missing = runner.invoke(args=["companies", "import", str(tmp_path / "nope.xlsx")])
    assert missing.exit_code != 0 and "找不到文件" in missing.output
