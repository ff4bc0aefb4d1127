"""The contract, 前期物业 and party-building lists select plain columns for a page and take a fixed number of
queries; their exports stream plain rows (the same cells as the ORM-built workbooks) or become jobs."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from supervision.contracts import services, spreadsheet
from supervision.contracts.models import (
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
)
from supervision.estates.models import Estate
from supervision.extensions import db

from ..factories import gen_estate
from .factories import gen_contract, gen_party, gen_preliminary

PAGES = ("/contracts/", "/contracts/preliminary", "/contracts/party", "/contracts/party/export.xlsx",
         "/contracts/preliminary/export.xlsx", "/contracts/export.xlsx")


def _cells(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def _grow(world, n: int) -> None:
    for index in range(n):
        estate = gen_estate(street=world.street1 if index % 2 else world.street2,
                            community=world.community1 if index % 2 else world.community2,
                            company=world.company1 if index % 2 else world.company2)
        gen_preliminary(estate)
        gen_party(estate, red=bool(index % 2))
        gen_contract(estate, status=FilingStatus.FILED, filing_number=f"备-G{estate.id}")


def test_the_lists_and_exports_take_a_fixed_number_of_queries(world, login_as, count_queries):
    _grow(world, 2)
    db.session.commit()
    client = login_as(world.officer)
    counts = []
    for _round in range(2):
        with count_queries() as queries:
            for url in PAGES:
                assert client.get(url).status_code == 200, url
        counts.append(len(queries))
        _grow(world, 12)  # more estates, records, contracts and fees than one round shows
        db.session.commit()
    assert counts[0] == counts[1]


def test_the_lists_show_the_joined_names_fees_and_filing_numbers(world, login_as):
    w = world
    gen_preliminary(w.estate1, developer="示范置业")
    gen_party(w.estate1, red=True)
    gen_contract(w.estate1, status=FilingStatus.FILED, filing_number="备-X1")
    db.session.commit()
    officer = login_as(w.officer)
    text = officer.get("/contracts/preliminary").get_data(as_text=True)
    assert w.company1.name in text and "示范置业" in text and "公开招标" in text
    assert f'href="/estates/{w.estate1.id}#contracts"' in text
    assert f'href="/contracts/preliminary/{w.estate1.id}"' in text
    text = officer.get("/contracts/party").get_data(as_text=True)
    assert "住宅 1.20元/㎡·月" in text and "备-X1" in text and "小区党支部" in text
    text = officer.get("/contracts/").get_data(as_text=True)
    assert "备-X1" in text and "住宅 1.20元/㎡·月" in text and "已备案" in text
    # A street office sees its own street's estates only, links without the edit column for companies.
    text = login_as(w.company_user).get("/contracts/party").get_data(as_text=True)
    assert "/contracts/party/" not in text.split("<tbody>")[1]


def test_the_exports_hold_the_cells_of_the_orm_built_workbooks(world, login_as, app):
    w = world
    gen_preliminary(w.estate1, developer="示范置业")
    gen_preliminary(w.estate2, SelectionMethod.AGREEMENT, contract_signed_on=None, approval_ref="批-1")
    gen_party(w.estate1, red=True)
    gen_contract(w.estate1, status=FilingStatus.FILED, filing_number="备-X1")
    db.session.commit()
    officer = login_as(w.officer)
    order = (Estate.street_id, Estate.name_sort, Estate.id)
    for model, url, orm_bytes in ((PreliminaryService, "/contracts/preliminary/export.xlsx",
                                   spreadsheet.export_preliminary),
                                  (PartyBuilding, "/contracts/party/export.xlsx", None)):
        rows = db.session.execute(db.select(Estate, model).outerjoin(model, model.estate_id == Estate.id)
                                  .where(Estate.archived_at.is_(None)).order_by(*order)).all()
        if orm_bytes is None:
            expected = spreadsheet.export_party(rows, services.fee_standards([row[0].id for row in rows]))
        else:
            expected = orm_bytes(rows)
        assert _cells(officer.get(url).data) == _cells(expected), url


def test_a_large_export_becomes_a_job(world, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_THRESHOLD", 1)
    officer = login_as(world.officer)
    for url in ("/contracts/party/export.xlsx", "/contracts/preliminary/export.xlsx"):
        response = officer.get(url)
        assert response.status_code == 302 and "/jobs/" in response.headers["Location"], url


def test_the_contract_export_holds_the_cells_of_the_orm_built_workbook(world, login_as):
    _grow(world, 4)
    gen_contract(world.estate2, status=FilingStatus.RETURNED, return_reason="缺页")
    db.session.commit()
    contracts = db.session.scalars(
        db.select(ServiceContract).join(Estate, Estate.id == ServiceContract.estate_id)
        .order_by(ServiceContract.street_id, Estate.name_sort, ServiceContract.starts_on.desc(), ServiceContract.id))
    expected = spreadsheet.export_contracts(list(contracts))
    assert _cells(login_as(world.officer).get("/contracts/export.xlsx").data) == _cells(expected)
