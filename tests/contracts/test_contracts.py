"""前期物业, service contracts and their filing: rules, workflow, pages, scoping, the fee standard."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.contracts import services
from supervision.contracts.models import (
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
)
from supervision.core.errors import TransitionError
from supervision.estates.errors import InvalidValues
from supervision.estates.management import EstateManagement
from supervision.extensions import db
from supervision.notifications.models import Notification

from .factories import PDF, gen_contract, gen_party, gen_preliminary


def commit():
    db.session.commit()


def _values(company, **kw):
    values = {"company_id": company.id, "owner_party": "阳光小区业主委员会", "signed_on": date(2025, 12, 20),
              "starts_on": date(2026, 1, 1), "ends_on": date(2028, 12, 31), "service_level": None, "notes": None}
    values.update(kw)
    return values


# --- the filing workflow ----------------------------------------------------------------

def test_submit_check_file_and_the_fee_standard_in_force(world, client):
    w = world
    period = EstateManagement(estate_id=w.estate1.id, company_id=w.company1.id,
                              management_mode=w.estate1.management_mode, started_on=date(2020, 1, 1))
    db.session.add(period)
    db.session.flush()
    contract = services.submit_contract(w.estate1, _values(w.company1),
                                        {FeeKind.RESIDENTIAL: Decimal("1.20"), FeeKind.PARKING: Decimal("60")},
                                        actor=w.company_user)
    assert contract.status is FilingStatus.SUBMITTED and contract.management_id == period.id
    assert services.current_fee_standard(w.estate1.id, date(2026, 6, 1)) is None  # not filed yet
    commit()
    assert "1.20元/㎡·月" not in client.get(f"/public/estates/{w.estate1.id}").get_data(as_text=True)
    services.check_contract(contract, actor=w.officer)
    assert contract.status is FilingStatus.CHECKED
    with pytest.raises(InvalidValues) as error:
        services.file_contract(contract, "", has_copy=False, actor=w.officer)
    assert {f for f, _m in error.value.errors} == {"filing_number", "filed_copy"}
    services.file_contract(contract, "备2026-001", has_copy=True, actor=w.officer)
    commit()
    assert contract.status is FilingStatus.FILED
    # The management period now carries the filed contract's dates.
    assert (period.contract_start, period.contract_end) == (date(2026, 1, 1), date(2028, 12, 31))
    fee = services.current_fee_standard(w.estate1.id, date(2026, 6, 1))
    assert fee.filing_number == "备2026-001" and fee.company_name == w.company1.name
    assert [(line.kind, line.amount, line.unit) for line in fee.lines] == [
        ("residential", Decimal("1.20"), "元/㎡·月"), ("parking", Decimal("60.00"), "元/个·月")]
    assert fee.text == "住宅 1.20元/㎡·月；车位 60.00元/个·月"
    assert services.current_fee_standard(w.estate1.id, date(2029, 1, 1)) is None  # past its period
    # The public estate sheet shows the filed fee standard at once (its cache is keyed by the contracts topic).
    sheet = client.get(f"/public/estates/{w.estate1.id}").get_data(as_text=True)
    assert "住宅 1.20元/㎡·月；车位 60.00元/个·月" in sheet and "备2026-001" in sheet
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "ServiceContract")))
    assert {"contract.submit", "contract.check", "contract.file"} <= actions


def test_return_then_resubmit_then_no_more_edits_once_filed(world):
    w = world
    contract = services.submit_contract(w.estate1, _values(w.company1), {FeeKind.RESIDENTIAL: Decimal("1.5")})
    with pytest.raises(InvalidValues):
        services.return_contract(contract, "  ", actor=w.officer)
    services.return_contract(contract, "收费标准与公示不符", actor=w.officer)
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "contract_returned")))
    assert notified == {w.company_user.id, w.street_user.id}
    assert contract.status is FilingStatus.RETURNED and contract.return_reason == "收费标准与公示不符"
    with pytest.raises(TransitionError):
        services.check_contract(contract, actor=w.officer)
    services.update_contract(contract, _values(w.company1), {FeeKind.RESIDENTIAL: Decimal("1.3")})
    assert contract.status is FilingStatus.SUBMITTED
    assert [f.amount for f in contract.fees] == [Decimal("1.3")]
    services.check_contract(contract)
    services.file_contract(contract, "备-9", has_copy=True)
    with pytest.raises(TransitionError):
        services.update_contract(contract, _values(w.company1), {FeeKind.RESIDENTIAL: Decimal("2")})
    with pytest.raises(TransitionError):
        services.return_contract(contract, "晚了")


def test_contract_errors_name_their_fields(world):
    w = world
    db.session.add(EstateManagement(estate_id=w.estate1.id, company_id=w.company2.id,
                                    management_mode=w.estate1.management_mode, started_on=date(2020, 1, 1)))
    db.session.flush()
    with pytest.raises(InvalidValues) as error:
        services.submit_contract(w.estate1, _values(w.company1, owner_party=" ", ends_on=date(2025, 1, 1)),
                                 {FeeKind.RESIDENTIAL: Decimal("-1")})
    fields = dict(error.value.errors)
    assert set(fields) == {"owner_party", "ends_on", "fee_residential", "company_id"}
    assert "乙方" in fields["company_id"] and w.company2.name in fields["company_id"]
    with pytest.raises(InvalidValues) as error:
        services.submit_contract(w.estate1, _values(w.company2), {})
    assert dict(error.value.errors).keys() == {"fee_residential"}
    assert db.session.scalar(select(ServiceContract.id)) is None  # nothing half-saved


def test_a_filing_number_is_used_once(world):
    w = world
    gen_contract(w.estate2, status=FilingStatus.FILED, filing_number="备-1")
    contract = gen_contract(w.estate1, status=FilingStatus.CHECKED)
    with pytest.raises(InvalidValues) as error:
        services.file_contract(contract, "备-1", has_copy=True)
    assert "已被使用" in dict(error.value.errors)["filing_number"]


def test_the_latest_filed_contract_in_force_wins(world):
    w = world
    gen_contract(w.estate1, status=FilingStatus.FILED, starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31))
    gen_contract(w.estate1, status=FilingStatus.FILED, starts_on=date(2026, 7, 1), ends_on=date(2029, 6, 30),
                 fees={FeeKind.RESIDENTIAL: "2.00"})
    gen_contract(w.estate1, status=FilingStatus.SUBMITTED, starts_on=date(2026, 8, 1), fees={FeeKind.OFFICE: "5"})
    assert services.current_fee_standard(w.estate1.id, date(2026, 6, 30)).lines[0].amount == Decimal("1.20")
    assert services.current_fee_standard(w.estate1.id, date(2026, 9, 1)).lines[0].amount == Decimal("2.00")


# --- 前期物业 and party building rules ------------------------------------------------------

def test_preliminary_rules(world):
    w = world
    w.estate1.floor_area = Decimal("60000")
    with pytest.raises(InvalidValues) as error:
        services.save_preliminary(w.estate1, {"selection_method": SelectionMethod.AGREEMENT,
                                              "contract_signed_on": date(2020, 5, 1)})
    fields = dict(error.value.errors)
    assert set(fields) == {"selected_on", "approval_ref", "selection_method", "company_id"}
    assert "公开招标" in fields["selection_method"]
    row = services.save_preliminary(w.estate1, {"selection_method": SelectionMethod.OPEN_TENDER,
                                                "selected_on": date(2019, 5, 1), "company_id": w.company1.id,
                                                "contract_signed_on": date(2019, 6, 1)})
    assert row.by_tender
    services.save_preliminary(w.estate1, {"selection_method": SelectionMethod.OPEN_TENDER,
                                          "selected_on": date(2019, 5, 1), "company_id": w.company1.id,
                                          "contract_signed_on": date(2019, 6, 1),
                                          "covenant_signed_on": date(2019, 6, 1)})
    assert db.session.scalar(select(PreliminaryService.covenant_signed_on)) == date(2019, 6, 1)
    assert set(db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "PreliminaryService"))) == {
        "preliminary.create", "preliminary.update"}


def test_party_rules(world):
    w = world
    with pytest.raises(InvalidValues) as error:
        services.save_party(w.estate1, {"has_party_org": True, "red_property": True})
    assert set(dict(error.value.errors)) == {"org_name", "red_property_note"}
    row = services.save_party(w.estate1, {"has_party_org": False, "org_name": "残留"})
    assert row.org_name is None and row.has_party_org is False


# --- pages ---------------------------------------------------------------------------------

def test_company_registers_a_contract_with_its_copy_and_the_bureau_files_it(world, login_as):
    w = world
    commit()
    company = login_as(w.company_user)
    page = company.get(f"/contracts/new/{w.estate1.id}")
    assert page.status_code == 200
    data = {"company_id": str(w.company1.id), "owner_party": "阳光小区业主委员会", "starts_on": "2026-01-01",
            "ends_on": "2028-12-31", "fee_residential": "1.20", "service_level": "2", "version": "",
            "copy": (io.BytesIO(PDF), "合同.pdf")}
    response = company.post(f"/contracts/new/{w.estate1.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    contract = db.session.scalar(select(ServiceContract))
    assert contract.status is FilingStatus.SUBMITTED and contract.company_id == w.company1.id
    # A bad copy: refused with the upload's message and nothing saved.
    bad = dict(data, copy=(io.BytesIO(b"not a pdf"), "合同.pdf"), starts_on="2029-01-01", ends_on="2030-01-01")
    response = company.post(f"/contracts/new/{w.estate1.id}", data=bad, content_type="multipart/form-data")
    assert response.status_code == 200 and "文件类型不符" in response.get_data(as_text=True)
    assert db.session.scalar(select(ServiceContract.id).where(ServiceContract.starts_on == date(2029, 1, 1))) is None
    # The company may not check it.
    assert company.post(f"/contracts/{contract.id}/check", data={"version": contract.version}).status_code == 403
    officer = login_as(w.officer)
    assert officer.post(f"/contracts/{contract.id}/check", data={"version": contract.version}).status_code == 302
    db.session.expire_all()
    assert contract.status is FilingStatus.CHECKED
    response = officer.post(f"/contracts/{contract.id}/file", content_type="multipart/form-data",
                            data={"version": contract.version, "filing_number": "备2026-77",
                                  "filed_copy": (io.BytesIO(PDF), "备案.pdf")})
    assert response.status_code == 302
    db.session.expire_all()
    assert contract.status is FilingStatus.FILED and contract.filing_number == "备2026-77"
    text = officer.get(f"/estates/{w.estate1.id}").get_data(as_text=True)
    assert "住宅 1.20元/㎡·月" in text and "备2026-77" in text


def test_stale_version_is_refused(world, login_as):
    w = world
    contract = gen_contract(w.estate1)
    commit()
    officer = login_as(w.officer)
    officer.post(f"/contracts/{contract.id}/check", data={"version": contract.version - 1}, follow_redirects=True)
    db.session.expire_all()
    assert contract.status is FilingStatus.SUBMITTED


def test_other_streets_and_companies_are_refused(world, login_as):
    w = world
    theirs = gen_contract(w.estate2)
    ours = gen_contract(w.estate1)
    commit()
    for user in (w.street_user, w.company_user):
        client = login_as(user)
        assert client.get(f"/contracts/{theirs.id}").status_code == 404
        assert client.get(f"/contracts/{theirs.id}/edit").status_code == 404
        assert client.get(f"/contracts/new/{w.estate2.id}").status_code == 404
        assert client.get(f"/contracts/{ours.id}").status_code == 200
        listing = client.get("/contracts/").get_data(as_text=True)
        assert w.estate1.name in listing and w.estate2.name not in listing
        exported = load_workbook(io.BytesIO(client.get("/contracts/export.xlsx").data), read_only=True)
        names = [row[0] for row in exported.worksheets[0].iter_rows(min_row=2, values_only=True)]
        assert names == [w.estate1.name]
    street = login_as(w.street_user)
    assert street.get(f"/contracts/preliminary/{w.estate2.id}").status_code == 404
    assert street.get(f"/contracts/party/{w.estate2.id}").status_code == 404
    assert street.get(f"/contracts/party/{w.estate1.id}").status_code == 200
    company = login_as(w.company_user)
    assert company.get(f"/contracts/party/{w.estate1.id}").status_code == 403
    assert company.post(f"/contracts/{ours.id}/return", data={"reason": "x", "version": 1}).status_code == 403
    leader = login_as(w.leader)
    assert leader.get(f"/contracts/new/{w.estate1.id}").status_code == 403


def test_lists_filter_and_export(world, login_as):
    w = world
    gen_preliminary(w.estate1)
    gen_preliminary(w.estate2, SelectionMethod.AGREEMENT, contract_signed_on=None, approval_ref="批-1")
    gen_party(w.estate1, red=True)
    gen_contract(w.estate1, status=FilingStatus.FILED, filing_number="备-X")
    gen_contract(w.estate2, status=FilingStatus.RETURNED, return_reason="缺页")
    commit()
    officer = login_as(w.officer)
    text = officer.get("/contracts/?status=returned").get_data(as_text=True)
    assert w.estate2.name in text and w.estate1.name not in text
    text = officer.get("/contracts/preliminary?gap=not_tender").get_data(as_text=True)
    assert w.estate2.name in text and w.estate1.name not in text
    text = officer.get("/contracts/party?gap=no_org").get_data(as_text=True)
    assert w.estate2.name in text and w.estate1.name not in text
    book = load_workbook(io.BytesIO(officer.get("/contracts/party/export.xlsx").data), read_only=True)
    rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert rows[w.estate1.name][3] == "住宅 1.20元/㎡·月" and rows[w.estate1.name][5] == "是"
    assert rows[w.estate2.name][3] is None and rows[w.estate2.name][5] == "否"
    book = load_workbook(io.BytesIO(officer.get("/contracts/preliminary/export.xlsx").data), read_only=True)
    rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {w.estate1.name, w.estate2.name}
    assert rows[w.estate1.name][6] == "公开招标" and rows[w.estate2.name][6] == "协议选聘（经批准）"
    assert officer.get("/contracts/?street_id=abc&status=nonsense").status_code == 200


def test_preliminary_and_party_forms(world, login_as):
    w = world
    commit()
    street = login_as(w.street_user)
    response = street.post(f"/contracts/preliminary/{w.estate1.id}", data={
        "selection_method": "agreement", "selected_on": "2020-01-01", "approval_ref": "", "version": ""})
    assert response.status_code == 200 and "批准文号" in response.get_data(as_text=True)
    assert db.session.scalar(select(PreliminaryService.id)) is None
    response = street.post(f"/contracts/preliminary/{w.estate1.id}", content_type="multipart/form-data", data={
        "selection_method": "open_tender", "selected_on": "2020-01-01", "company_id": str(w.company1.id),
        "contract_signed_on": "2020-02-01", "version": "", "contract_copy": (io.BytesIO(PDF), "前期合同.pdf")})
    assert response.status_code == 302
    row = db.session.scalar(select(PreliminaryService))
    assert row.by_tender and row.contract_signed_on == date(2020, 2, 1)
    response = street.post(f"/contracts/party/{w.estate1.id}", data={
        "has_party_org": "y", "org_name": "阳光小区党支部", "red_property": "y", "red_property_note": "交叉任职",
        "version": ""})
    assert response.status_code == 302
    assert db.session.scalar(select(PartyBuilding.org_name)) == "阳光小区党支部"
    text = street.get(f"/estates/{w.estate1.id}").get_data(as_text=True)
    assert "阳光小区党支部" in text and "公开招标" in text
