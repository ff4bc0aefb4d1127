"""The safety lists select plain columns for a page (no ORM rows) and their exports stream plain rows: the
same cells as before, a fixed number of queries however many rows."""
from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from supervision.extensions import db
from supervision.safety import spreadsheet
from supervision.safety.models import FacilityKind, FacilityStatus, FireFacility, Lift, LiftStatus

from .factories import gen_facility, gen_lift

PAGES = ("/safety/lifts", "/safety/facilities", "/safety/overdue", "/safety/lifts/export.xlsx",
         "/safety/facilities/export.xlsx", "/safety/overdue/export.xlsx", "/safety/lifts?state=overdue",
         "/safety/facilities?kind=hydrant")


def _cells(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def _grow(world, n: int) -> None:
    for index in range(n):
        estate = world.estate2 if index % 2 else world.estate1
        gen_lift(estate, next_due_on=date(2026, 1, 1) if index % 3 else None, maintenance_company=f"维保{index}")
        gen_facility(estate, kind=FacilityKind.HYDRANT, next_due_on=date(2026, 1, 1), quantity=index + 1)


def test_lists_and_exports_take_a_fixed_number_of_queries(world, login_as, count_queries):
    _grow(world, 2)
    db.session.commit()
    for user in (world.officer, world.street_user, world.company_user):
        client = login_as(user)
        counts = []
        for _round in range(2):
            with count_queries() as queries:
                for url in PAGES:
                    assert client.get(url).status_code == 200, url
            counts.append(len(queries))
            _grow(world, 10)
            db.session.commit()
        assert counts[0] == counts[1], user


def test_the_list_shows_states_labels_names_and_links(world, login_as):
    today = date.today()
    overdue = gen_lift(world.estate1, next_due_on=today - timedelta(days=5), maintenance_company="示范电梯")
    scrapped = gen_lift(world.estate1, status=LiftStatus.SCRAPPED)
    facility = gen_facility(world.estate1, kind=FacilityKind.HYDRANT, status=FacilityStatus.FAULTY, quantity=7)
    db.session.commit()
    client = login_as(world.officer)
    text = client.get("/safety/lifts").get_data(as_text=True)
    assert f'href="/safety/lifts/{overdue.id}">{overdue.registration_code}</a>' in text
    assert f'href="/estates/{world.estate1.id}">{world.estate1.name}</a>' in text
    assert world.estate1.street.name in text and world.company1.name in text and "示范电梯" in text
    assert 'data-state="overdue">逾期</span> <span class="small table-danger-text">逾期 5 天</span>' in text
    assert scrapped.registration_code not in text
    text = client.get("/safety/lifts?state=retired").get_data(as_text=True)
    assert 'class="row-archived"' in text and 'data-state="retired"' in text and "报废" in text
    text = client.get("/safety/facilities").get_data(as_text=True)
    assert f'href="/safety/facilities/{facility.id}">消火栓</a>' in text and "故障" in text
    assert '<td class="num">7</td>' in text


def test_state_of_agrees_with_inspection_state(world):
    today = date(2026, 11, 20)
    for due in (None, today - timedelta(days=1), today, today + timedelta(days=30), today + timedelta(days=31)):
        for status in LiftStatus:
            lift = Lift(status=status, next_due_on=due)
            assert Lift.state_of(status, due, today) is lift.inspection_state(today)
        for status in FacilityStatus:
            facility = FireFacility(status=status, next_due_on=due)
            assert FireFacility.state_of(status, due, today) is facility.inspection_state(today)


def test_the_exports_hold_the_cells_of_the_orm_built_workbooks(world, login_as):
    _grow(world, 6)
    gen_lift(world.estate2, status=LiftStatus.STOPPED, notes="停用待修")
    db.session.commit()
    client = login_as(world.officer)
    for model, url, orm_bytes in ((Lift, "/safety/lifts/export.xlsx", spreadsheet.lift_export_bytes),
                                  (FireFacility, "/safety/facilities/export.xlsx", spreadsheet.facility_export_bytes)):
        statement = (db.select(model).where(model.active_clause())
                     .order_by(model.next_due_on.is_(None), model.next_due_on, model.id))
        assert _cells(client.get(url).data) == _cells(orm_bytes(statement)), url


def test_a_street_office_s_lists_load_its_street_once(world, login_as, count_queries):
    """The filter's street choice and the page's header share the user's street (one look-up, not two)."""
    gen_lift(world.estate1)
    db.session.commit()
    client = login_as(world.street_user)
    for url in ("/safety/lifts", "/safety/facilities", "/safety/overdue", "/contracts/", "/contracts/party",
                "/contracts/preliminary"):
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        assert sum("FROM streets WHERE streets.id =" in sql for sql in queries) <= 1, url


def test_the_overdue_days_are_translated(world, login_as):
    gen_lift(world.estate1, next_due_on=date.today() - timedelta(days=3))
    world.officer.locale = "en"
    db.session.commit()
    text = login_as(world.officer).get("/safety/lifts").get_data(as_text=True)
    assert "3 days overdue" in text
