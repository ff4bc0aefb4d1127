"""The three indicators against hand counts (and their drill-down), the contract import, the estate export."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from supervision.contracts.models import (
    ContractFee,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
)
from supervision.contracts.spreadsheet import (
    contract_columns,
    import_contracts,
    import_party,
    import_preliminary,
    party_columns,
)
from supervision.extensions import db
from supervision.targets.indicators import gap_rows, get_indicator, measure_total

from ..factories import gen_estate
from .factories import gen_contract, gen_party, gen_preliminary

DAY = date(2026, 8, 1)


def _gap(code, **kw):
    statement = gap_rows(get_indicator(code), DAY, **kw)
    return set(db.session.scalars(statement))


def test_indicators_by_hand(world):
    w = world
    # Street 1: estate1 open tender + signed; a: invited tender, contract not signed; b: agreement, signed;
    # c: tender chosen after DAY (not yet); d: no 前期物业 record (outside the two denominators).
    a = gen_estate(community=w.community1, name="甲")
    b = gen_estate(community=w.community1, name="乙")
    c = gen_estate(community=w.community1, name="丙")
    d = gen_estate(community=w.community1, name="丁")
    archived = gen_estate(community=w.community1, name="归档", archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    gen_preliminary(w.estate1)
    gen_preliminary(a, SelectionMethod.INVITED_TENDER, contract_signed_on=None, approval_ref="批")
    gen_preliminary(b, SelectionMethod.AGREEMENT, approval_ref="批")
    gen_preliminary(c, selected_on=date(2026, 9, 1), contract_signed_on=date(2026, 9, 2))
    # Street 2: estate2 agreement, not signed.
    gen_preliminary(w.estate2, SelectionMethod.AGREEMENT, contract_signed_on=None, approval_ref="批")
    gen_preliminary(archived)
    # Party: estate1 and a have one (a founded after DAY), b says no, estate2 has one.
    gen_party(w.estate1)
    gen_party(a, org_founded_on=date(2026, 9, 1))
    gen_party(b, has_org=False)
    gen_party(w.estate2)
    db.session.commit()

    tender = get_indicator("preliminary_tender")
    # denominator: estate1, a, b, c (street 1) + estate2 = 5; tender by DAY: estate1, a = 2
    assert (measure_total(tender, DAY).numerator, measure_total(tender, DAY).denominator) == (2, 5)
    s1 = measure_total(tender, DAY, street_id=w.street1.id)
    assert (s1.numerator, s1.denominator) == (2, 4)
    assert _gap("preliminary_tender") == {b, c, w.estate2}
    assert _gap("preliminary_tender", street_id=w.street1.id) == {b, c}

    contract = get_indicator("preliminary_contract")
    # signed by DAY: estate1, b = 2 of 5
    counts = measure_total(contract, DAY)
    assert (counts.numerator, counts.denominator) == (2, 5)
    assert _gap("preliminary_contract") == {a, c, w.estate2}

    party = get_indicator("party_coverage")
    # all non-archived estates: estate1, estate2, a, b, c, d = 6; with an organisation on DAY: estate1, estate2
    counts = measure_total(party, DAY)
    assert (counts.numerator, counts.denominator) == (2, 6)
    assert _gap("party_coverage") == {a, b, c, d}
    assert measure_total(party, date(2026, 9, 1)).numerator == 3
    assert measure_total(party, DAY, company_id=w.company2.id).denominator == 1


def test_the_targets_page_shows_and_drills_down(world, login_as):
    w = world
    gen_preliminary(w.estate1)
    gen_preliminary(w.estate2, SelectionMethod.AGREEMENT, approval_ref="批")
    db.session.commit()
    officer = login_as(w.officer)
    text = officer.get("/targets/").get_data(as_text=True)
    assert "前期物业招投标率" in text and "前期物业服务合同签订率" in text and "党组织覆盖率" in text
    page = officer.get("/targets/preliminary_tender/gap").get_data(as_text=True)
    assert w.estate2.name in page and w.estate1.name not in page
    assert "党组织覆盖率" in officer.get("/").get_data(as_text=True)
    street = login_as(w.street_user)
    page = street.get("/targets/preliminary_tender/gap").get_data(as_text=True)
    assert w.estate2.name not in page


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in contract_columns()])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row(w, **kw):
    values = {"estate": w.estate1.name, "street": w.street1.name, "company_code": w.company1.credit_code,
              "company_name": w.company1.name, "owner_party": "业委会", "signed_on": "2025-12-01",
              "starts_on": "2026-01-01", "ends_on": "2028-12-31", "service_level": "二级", "fee_residential": 1.5,
              "fee_commercial": None, "fee_office": None, "fee_parking": 80, "fee_other": None, "status": "",
              "filing_number": None, "notes": None}
    values.update(kw)
    return [values[c.key] for c in contract_columns()]


def test_import_is_all_or_nothing_with_named_errors(world):
    w = world
    db.session.commit()
    data = _workbook([_row(w), _row(w, estate="不存在小区"), _row(w, ends_on="2025-01-01", fee_residential=-1),
                      _row(w, company_code=w.company2.credit_code, company_name=w.company2.name,
                           starts_on="2027-01-01")])
    result = import_contracts(data, "合同.xlsx", actor=w.officer)
    assert not result.ok
    errors = {(e.row, e.column) for e in result.errors}
    assert (3, "小区名称") in errors
    assert (4, "合同期限止") in errors
    assert (4, "住宅（元/㎡·月）") in errors
    assert db.session.scalar(select(func.count(ServiceContract.id))) == 0
    messages = " ".join(e.message for e in result.errors)
    assert "找不到小区" in messages


def test_import_adds_submitted_and_filed_contracts_and_round_trips(world):
    w = world
    db.session.commit()
    data = _workbook([_row(w), _row(w, estate=w.estate2.name, street=w.street2.name,
                                    company_code=w.company2.credit_code, company_name=w.company2.name,
                                    filing_number="备-导入-1")])
    result = import_contracts(data, "合同.xlsx", actor=w.officer)
    assert result.ok, result.errors
    db.session.commit()
    contracts = {c.estate_id: c for c in db.session.scalars(select(ServiceContract))}
    assert contracts[w.estate1.id].status is FilingStatus.SUBMITTED
    assert contracts[w.estate2.id].status is FilingStatus.FILED
    assert {f.kind.value: f.amount for f in contracts[w.estate1.id].fees} == {
        "residential": Decimal("1.50"), "parking": Decimal("80.00")}
    # The same file again: every row is a duplicate.
    again = import_contracts(data, "合同.xlsx", actor=w.officer)
    assert not again.ok and {e.column for e in again.errors} == {"合同期限起", "备案编号"}


def test_export_reimports_elsewhere(world, login_as):
    w = world
    gen_contract(w.estate1, status=FilingStatus.FILED, filing_number="备-E")
    db.session.commit()
    exported = login_as(w.officer).get("/contracts/export.xlsx").data
    sheet = load_workbook(io.BytesIO(exported), read_only=True).worksheets[0]
    header = [cell for cell in next(sheet.iter_rows(max_row=1, values_only=True))]
    assert header == [c.header for c in contract_columns()]
    db.session.query(ContractFee).delete()
    db.session.query(ServiceContract).delete()
    db.session.commit()
    result = import_contracts(exported, "导出.xlsx", actor=w.officer)
    assert result.ok, result.errors


def test_estate_export_carries_the_fee_standard_and_party(world, login_as):
    w = world
    gen_contract(w.estate1, status=FilingStatus.FILED, filing_number="备-E", starts_on=date(2020, 1, 1),
                 ends_on=date(2099, 12, 31))
    gen_party(w.estate1, red=True)
    db.session.commit()
    data = login_as(w.officer).get("/estates/export.xlsx").data
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    by_name = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert by_name[w.estate1.name]["现行收费标准（已备案合同）"] == "住宅 1.20元/㎡·月"
    assert by_name[w.estate1.name]["党组织"] == "小区党支部"
    assert by_name[w.estate1.name]["红色物业"] == "是"
    assert by_name[w.estate2.name]["红色物业"] == "否"


def test_party_import_round_trip(world, login_as):
    w = world
    gen_party(w.estate1, red=True)
    db.session.commit()
    officer = login_as(w.officer)
    exported = officer.get("/contracts/party/export.xlsx").data
    # Importing the export: estate1 is already recorded, estate2's row (未建) is added.
    result = import_party(exported, "党建.xlsx", actor=w.officer)
    assert not result.ok and [(e.row, e.column) for e in result.errors] == [(2, "小区名称")]
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in party_columns()])
    sheet.append([w.estate2.name, w.street2.name, None, None, None, "是", None, None, "是", None])
    out = io.BytesIO()
    book.save(out)
    result = import_party(out.getvalue(), "党建.xlsx", actor=w.officer)
    assert {e.column for e in result.errors} == {"党组织名称", "红色物业做法"}
    assert db.session.scalar(select(func.count(PartyBuilding.id))) == 1
    sheet.append([w.estate2.name, w.street2.name, None, None, None, "是", "月亮小区党支部", "2021-07-01", "否", None])
    book.active.delete_rows(2)
    out = io.BytesIO()
    book.save(out)
    response = officer.post("/contracts/party/import", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(out.getvalue()), "党建.xlsx")})
    assert response.status_code == 302
    assert db.session.scalar(select(PartyBuilding.org_name).where(PartyBuilding.estate_id == w.estate2.id)) \
        == "月亮小区党支部"
    assert login_as(w.street_user).get("/contracts/party/import").status_code == 403


def test_preliminary_import_round_trip(world, login_as):
    w = world
    w.estate1.floor_area = Decimal("80000")
    w.estate2.floor_area = Decimal("30000")  # small enough for an approved agreement
    gen_preliminary(w.estate2, SelectionMethod.AGREEMENT, approval_ref="批-9")
    db.session.commit()
    officer = login_as(w.officer)
    exported = officer.get("/contracts/preliminary/export.xlsx").data
    # estate1 is unregistered (its row is empty: skipped); estate2 is registered already.
    result = import_preliminary(exported, "前期.xlsx", actor=w.officer)
    assert [(e.row, e.column) for e in result.errors] == [(3, "小区名称")], result.errors
    db.session.query(PreliminaryService).delete()
    db.session.commit()
    result = import_preliminary(exported, "前期.xlsx", actor=w.officer)
    assert result.ok and len(result.created) == 1
    db.session.commit()
    row = db.session.scalar(select(PreliminaryService))
    assert (row.estate_id, row.selection_method, row.approval_ref) == (w.estate2.id, SelectionMethod.AGREEMENT, "批-9")
    # A large estate by agreement, a bad company name: named errors, nothing written.
    book = load_workbook(io.BytesIO(officer.get("/contracts/preliminary/import/template.xlsx").data))
    sheet = book.worksheets[0]
    sheet.delete_rows(2)
    sheet.append([w.estate1.name, w.street1.name, None, "某置业", w.company1.credit_code, "别的公司",
                  "协议选聘（经批准）", "2019-01-01", None, None, None, None])
    out = io.BytesIO()
    book.save(out)
    response = officer.post("/contracts/preliminary/import", content_type="multipart/form-data",
                            data={"file": (io.BytesIO(out.getvalue()), "前期.xlsx")})
    text = response.get_data(as_text=True)
    errors = text[text.find("import-errors"):][:3000]
    assert response.status_code == 200 and "必须公开招标" in text and "批准" in text and "不一致" in text, errors
    assert db.session.scalar(select(func.count(PreliminaryService.id))) == 1
