"""The street kept on each lift and fire facility (``street_id``, a copy of its estate's): set when a row is
written, moved with its estate, and the street lists that read their page off it show the same rows, in the same
order and with the same counts as the estate's street decides — other streets' and companies' rows all around."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from supervision.core.timeutil import local_today, utcnow
from supervision.estates.models import Estate
from supervision.estates.services import update_estate
from supervision.extensions import db
from supervision.safety import services
from supervision.safety.models import FacilityKind, FacilityStatus, FireFacility, Lift, LiftStatus
from tests.factories import gen_estate

from .factories import gen_facility, gen_lift


def _street_of(model, row_id: int) -> int | None:
    return db.session.execute(select(model.street_id).where(model.id == row_id)).scalar_one()


def test_a_row_gets_its_estate_s_street_however_it_is_made(world):
    today = local_today()
    made = [services.create_lift(world.estate2, {"registration_code": "ST0001", "location": "1号楼"},
                                 actor=world.officer, today=today),
            services.create_facility(world.estate2, {"kind": FacilityKind.ALARM, "location": "1号楼"},
                                     actor=world.officer, today=today),
            gen_lift(world.estate1), gen_facility(world.estate1)]
    db.session.commit()
    made = [(type(row), row.id) for row in made]
    street1_id, street2_id, estate1_id, estate2_id = (world.street1.id, world.street2.id, world.estate1.id,
                                                      world.estate2.id)
    db.session.expunge_all()  # the estate not in the session: its street is read from the database
    made.append((Lift, gen_lift(SimpleNamespace(id=estate2_id)).id))
    db.session.get(Estate, estate1_id)
    db.session.expire_all()  # in the session but expired: read too
    made.append((FireFacility, gen_facility(SimpleNamespace(id=estate1_id)).id))
    db.session.commit()
    assert [_street_of(model, row_id) for model, row_id in made] == [street2_id, street2_id, street1_id, street1_id,
                                                                     street2_id, street1_id]


def test_an_estate_that_moves_street_takes_its_lifts_and_facilities(world, login_as):
    overdue = local_today() - timedelta(days=3)
    lift = gen_lift(world.estate1, registration_code="MOVE0001", next_due_on=overdue)
    facility = gen_facility(world.estate1, kind=FacilityKind.PUMP_ROOM, next_due_on=overdue)
    stays = gen_lift(world.estate2, registration_code="STAY0001", next_due_on=overdue)
    db.session.commit()
    pages = ("/safety/lifts", "/safety/facilities", "/safety/overdue", "/safety/lifts?state=overdue",
             "/safety/facilities?kind=pump_room")

    def seen_by(user) -> set[str]:
        client = login_as(user)
        found = set()
        for url in pages:
            html = client.get(url).get_data(as_text=True)
            if f'href="/safety/lifts/{lift.id}"' in html:
                found.add("lift")
            if f'href="/safety/facilities/{facility.id}"' in html:
                found.add("facility")
        return found

    assert seen_by(world.street_user) == {"lift", "facility"} and seen_by(world.street2_user) == set()
    update_estate(world.estate1, {"community_id": world.community2.id}, actor=world.officer)
    db.session.commit()
    assert _street_of(Lift, lift.id) == _street_of(FireFacility, facility.id) == world.street2.id
    assert _street_of(Lift, stays.id) == world.street2.id
    assert seen_by(world.street_user) == set() and seen_by(world.street2_user) == {"lift", "facility"}
    # and back, the attribute set directly
    estate = db.session.get(Estate, world.estate1.id)
    estate.street_id, estate.community_id = world.street1.id, world.community1.id
    db.session.commit()
    assert _street_of(Lift, lift.id) == _street_of(FireFacility, facility.id) == world.street1.id
    assert _street_of(Lift, stays.id) == world.street2.id
    assert seen_by(world.street_user) == {"lift", "facility"} and seen_by(world.street2_user) == set()


# --- the lists' rows, order and counts --------------------------------------------------------------------------

def _district(world):
    """Each street's estates managed by both companies, an archived estate, and lifts and facilities of every
    state with due dates interleaved across the streets (ties included)."""
    today = local_today()
    extra1 = gen_estate(community=world.community1, company=world.company2, name="东城二期")
    extra2 = gen_estate(community=world.community2, company=world.company1, name="西城二期")
    archived = gen_estate(community=world.community1, company=world.company1, name="东城旧区")
    archived.archived_at = utcnow()
    estates = (world.estate1, world.estate2, extra1, extra2, archived)
    kinds = (FacilityKind.HYDRANT, FacilityKind.ALARM, FacilityKind.HYDRANT)
    for index in range(30):
        estate = estates[index % len(estates)]
        due = None if index % 7 == 6 else today + timedelta(days=(index * 11) % 23 - 12)
        lift_status = LiftStatus.SCRAPPED if index % 9 == 4 else (
            LiftStatus.STOPPED if index % 5 == 3 else LiftStatus.IN_USE)
        gen_lift(estate, next_due_on=due, status=lift_status)
        facility_status = FacilityStatus.RETIRED if index % 8 == 5 else FacilityStatus.NORMAL
        gen_facility(estate, kind=kinds[index % 3], next_due_on=due, status=facility_status)
    db.session.commit()


def _ids(html: str, word: str) -> list[int]:
    return [int(found) for found in re.findall(rf'href="/safety/{word}/(\d+)"', html)]


def _overdue_rows(html: str) -> list[tuple[str, int]]:
    return [("lift" if word == "lifts" else "facility", int(found))
            for word, found in re.findall(r'href="/safety/(lifts|facilities)/(\d+)"', html)]


def _expected(model, *, street=None, company=None, state=None, kind=None) -> list[int]:
    today = local_today()
    rows = db.session.execute(select(model, Estate.street_id, Estate.company_id)
                              .join(Estate, Estate.id == model.estate_id)).all()
    kept = [row for row, street_id, company_id in rows
            if (street is None or street_id == street.id) and (company is None or company_id == company.id)
            and (row.inspection_state(today).value == state if state else row.active)
            and (kind is None or row.kind is kind)]
    return [row.id for row in sorted(kept, key=lambda row: (row.next_due_on is None, row.next_due_on, row.id))]


def _expected_overdue(*, street=None, company=None, kind=None) -> list[tuple[str, int]]:
    today = local_today()
    rows = []
    for name, model in (("lift", Lift), ("facility", FireFacility)):
        if kind and kind != name:
            continue
        for row, estate in db.session.execute(select(model, Estate).join(Estate, Estate.id == model.estate_id)):
            if (row.inspection_state(today).value == "overdue" and estate.archived_at is None
                    and (street is None or estate.street_id == street.id)
                    and (company is None or estate.company_id == company.id)):
                rows.append((row.next_due_on, name, row.id))
    return [(name, row_id) for _due, name, row_id in sorted(rows)]


def _pages(client, url: str, read, total: int, per_page: int) -> tuple[list, list[str]]:
    """The rows of every page of a list of ``total`` rows, in order, and each page's count line."""
    rows, counts = [], []
    for page in range(1, max(1, -(-total // per_page)) + 1):
        html = client.get(f"{url}{'&' if '?' in url else '?'}page={page}").get_data(as_text=True)
        rows += read(html)
        counts.append(re.search(r"(超过 \d+ 条|共 \d+ 条)", html).group(1))
    return rows, counts


@pytest.fixture
def small_pages(app, monkeypatch):
    from supervision.safety import views

    monkeypatch.setitem(app.config, "PER_PAGE", 4)
    monkeypatch.setattr(views, "COUNT_LIMIT", 6)
    return 4


def _count_lines(total: int, per_page: int = 4, limit: int = 6) -> list[str]:
    """Each page's count line, as ``CappedPagination`` words it: a short page counts itself; a full one counts up
    to the limit (at least the rows up to that page)."""
    lines = []
    for page in range(1, max(1, -(-total // per_page)) + 1):
        cap = max(limit, page * per_page)
        short = total - (page - 1) * per_page < per_page
        lines.append(f"共 {total} 条" if short or total <= cap else f"超过 {cap} 条")
    return lines


def _check_list(client, url, model, word, per_page, **expected):
    wanted = _expected(model, **expected)
    rows, counts = _pages(client, url, lambda html: _ids(html, word), len(wanted), per_page)
    assert rows == wanted, url
    assert counts == _count_lines(len(wanted)), url


def test_street_lists_show_the_street_s_rows_in_order_with_their_counts(world, login_as, small_pages):
    _district(world)
    states = ("", "?state=overdue", "?state=due_soon", "?state=no_date", "?state=ok", "?state=retired")
    for user, street, prefix in ((world.street_user, world.street1, ""),
                                 (world.street2_user, world.street2, ""),
                                 (world.officer, world.street1, f"street_id={world.street1.id}"),
                                 (world.officer, world.street2, f"street_id={world.street2.id}")):
        client = login_as(user)
        for state in states:
            query = "&".join(part for part in (prefix, state.lstrip("?")) if part)
            value = state.partition("=")[2] or None
            for word, model in (("lifts", Lift), ("facilities", FireFacility)):
                _check_list(client, f"/safety/{word}?{query}", model, word, small_pages, street=street, state=value)
        for kind in (FacilityKind.HYDRANT, FacilityKind.ALARM):
            query = "&".join(part for part in (prefix, f"kind={kind.value}") if part)
            _check_list(client, f"/safety/facilities?{query}", FireFacility, "facilities", small_pages,
                        street=street, kind=kind)


def test_company_and_district_lists_keep_their_rows(world, login_as, small_pages):
    _district(world)
    for user, company in ((world.company_user, world.company1), (world.company2_user, world.company2)):
        client = login_as(user)
        for word, model in (("lifts", Lift), ("facilities", FireFacility)):
            _check_list(client, f"/safety/{word}", model, word, small_pages, company=company)
            _check_list(client, f"/safety/{word}?street_id={world.street1.id}", model, word, small_pages,
                        company=company, street=world.street1)
    client = login_as(world.officer)
    for word, model in (("lifts", Lift), ("facilities", FireFacility)):
        _check_list(client, f"/safety/{word}", model, word, small_pages)
        _check_list(client, f"/safety/{word}?company_id={world.company2.id}&street_id={world.street1.id}", model,
                    word, small_pages, company=world.company2, street=world.street1)


def test_the_overdue_list_of_a_street_a_company_and_the_district(world, login_as, small_pages):
    _district(world)
    cases = [(world.street_user, "", {"street": world.street1}),
             (world.street_user, "?kind=lift", {"street": world.street1, "kind": "lift"}),
             (world.street2_user, "?kind=facility", {"street": world.street2, "kind": "facility"}),
             (world.officer, "", {}),
             (world.officer, f"?street_id={world.street2.id}", {"street": world.street2}),
             (world.officer, f"?street_id={world.street1.id}&kind=lift", {"street": world.street1, "kind": "lift"}),
             (world.company_user, "", {"company": world.company1}),
             (world.company2_user, f"?street_id={world.street1.id}", {"company": world.company2,
                                                                        "street": world.street1})]
    for user, query, expected in cases:
        wanted = _expected_overdue(**expected)
        rows, counts = _pages(login_as(user), f"/safety/overdue{query}", _overdue_rows, len(wanted), small_pages)
        assert wanted and rows == wanted, (user.username, query)
        assert counts == _count_lines(len(wanted)), (user.username, query, counts)
