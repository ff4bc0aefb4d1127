"""The safety lists select plain columns for a page (no ORM rows) and their exports stream plain rows: the
same cells as before, a fixed number of queries however many rows."""
from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from supervision.core.timeutil import local_today
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
    today = local_today()
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
    gen_lift(world.estate1, next_due_on=local_today() - timedelta(days=3))
    world.officer.locale = "en"
    db.session.commit()
    text = login_as(world.officer).get("/safety/lifts").get_data(as_text=True)
    assert "3 days overdue" in text


SEARCH_AND_GAP_PAGES = ("/safety/lifts?q=T0", "/safety/lifts?q=nothing-matches", "/safety/facilities?q=火灾",
                        "/safety/facilities?q=nothing-matches", "/safety/facilities?state=overdue",
                        "/safety/overdue?kind=lift", "/targets/fire_check/gap", "/targets/lift_inspection/gap")


def _grow_both_streets(world, n: int) -> None:
    """Rows in both streets and companies: each viewer's pages also hold (and must skip) the other's."""
    past = local_today() - timedelta(days=10)
    for index in range(n):
        for estate in (world.estate1, world.estate2):
            gen_lift(estate, next_due_on=past if index % 2 else None)
            gen_facility(estate, kind=FacilityKind.ALARM, next_due_on=past)


def test_searches_overdue_and_gap_pages_take_a_fixed_number_of_queries(world, login_as, count_queries):
    # More than a page for every viewer from the start: a short page (the last) is counted without a query.
    _grow_both_streets(world, 55)
    db.session.commit()
    for user in (world.officer, world.street_user, world.company_user):
        client = login_as(user)
        counts = []
        urls = [url for url in (*SEARCH_AND_GAP_PAGES, f"/safety/overdue?street_id={world.street1.id}")
                if user is not world.company_user or not url.startswith("/targets")]  # targets: bureau, streets
        for _round in range(2):
            for url in urls:  # warm: the gap pages' first visit after a change may measure their indicator
                assert client.get(url).status_code == 200, url
            with count_queries() as queries:
                for url in urls:
                    client.get(url)
            counts.append(len(queries))
            _grow_both_streets(world, 15)
            db.session.commit()
        assert counts[0] == counts[1], user


def test_a_search_a_page_of_overdue_rows_and_a_gap_keep_the_scope(world, login_as):
    own = gen_lift(world.estate1, registration_code="SCOPE0001", next_due_on=date(2020, 1, 1))
    other = gen_lift(world.estate2, registration_code="SCOPE0002", next_due_on=date(2020, 1, 1))
    db.session.commit()
    for user, sees, hidden in ((world.street_user, own, other), (world.company_user, own, other)):
        client = login_as(user)
        for url in ("/safety/lifts?q=SCOPE", "/safety/lifts?q=scope&state=overdue", "/safety/overdue"):
            html = client.get(url).get_data(as_text=True)
            assert sees.registration_code in html and hidden.registration_code not in html, (user, url)
    html = login_as(world.street_user).get("/targets/lift_inspection/gap").get_data(as_text=True)
    assert own.registration_code in html and other.registration_code not in html


def test_the_lists_count_up_to_a_limit_and_a_short_page_counts_itself(app, world, login_as, monkeypatch):
    from supervision.safety import views

    monkeypatch.setattr(views, "COUNT_LIMIT", 3)
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for index in range(5):
        gen_lift(world.estate1, registration_code=f"MANY{index:04d}")
    gen_lift(world.estate1, registration_code="RARE0001")
    for index in range(1, 4):
        gen_lift(world.estate2, registration_code=f"FEW{index:04d}")
    db.session.commit()
    client = login_as(world.officer)
    assert "超过 3 条" in client.get("/safety/lifts?q=MANY").get_data(as_text=True)
    assert "超过 3 条" in client.get("/safety/lifts").get_data(as_text=True)
    html = client.get("/safety/lifts?q=rare").get_data(as_text=True)
    assert "RARE0001" in html and "MANY0000" not in html and "超过" not in html
    # A rare word's few rows: sorted from their ids, and their number exact (page 2 of 3 rows).
    html = client.get("/safety/lifts?q=few&page=2").get_data(as_text=True)
    assert "FEW0003" in html and "FEW0001" not in html and "共 3 条" in html
