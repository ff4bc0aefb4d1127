"""The estate list and the committee page read their pages off indexes (pages first, ix_estates_list, each street's
page in street order): the same rows in the same order as the whole filtered list sorted, scoping kept, and the
same number of queries at 10 and 200 estates."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from supervision.companies.models import Staff
from supervision.companies.services import filter_staff
from supervision.core.timeutil import utcnow
from supervision.estates import services
from supervision.estates.models import CommitteeStatus, Estate, ManagementMode
from supervision.extensions import db

from ..factories import gen_community, gen_company, gen_estate, gen_position, gen_staff, gen_street
from .factories import gen_committee


def committee_names(html: str) -> list[str]:
    return re.findall(r'<a href="/estates/\d+#committee">([^<]+)</a>', html)


def list_names(html: str) -> list[str]:
    return re.findall(r'<a href="/estates/\d+">([^<]+)</a>', html)


@pytest.fixture
def district(world):
    """70 estates over three streets whose codes order them unlike their ids or names (the committee page's
    street order), some without a committee, some archived or ineligible, names sharing 碧水 in two streets."""
    streets = [world.street1, world.street2, gen_street(world.district, name="南城街道")]
    for street, code in zip(streets, ("03", "01", "02"), strict=True):
        street.code = code
    communities = [gen_community(street, name=f"{street.name}社区") for street in streets]
    companies = [world.company1, world.company2, gen_company(name="丙物业服务有限公司")]
    for n in range(70):
        estate = gen_estate(
            community=communities[n % 3], company=companies[n % 3] if n % 4 else None,
            name=f"{'碧水' if n % 5 == 0 else '金桥'}苑{70 - n:02d}", address=f"滨江路{n}号", is_old=n % 2 == 0,
            management_mode=ManagementMode.PROFESSIONAL if n % 4 else ManagementMode.NONE)
        if n % 3 == 1:
            gen_committee(estate, CommitteeStatus.FORMED)
        if n % 17 == 0:
            estate.committee_eligible = False
        if n == 11:
            estate.archived_at = utcnow()
    db.session.commit()
    return world


def _expected(filters: services.EstateFilters, street_id=None) -> list[str]:
    """The whole filtered list sorted the plain way (no index named, no pages first): what the pages must show."""
    statement = select(Estate)
    if street_id:
        statement = statement.where(Estate.street_id == street_id)
    return [estate.name for estate in db.session.scalars(services.list_estates(statement, filters))]


def _all_pages(client, path: str, names, per_page: int = 50) -> list[str]:
    shown, page = [], 1
    while True:
        rows = names(client.get(f"{path}{'&' if '?' in path else '?'}page={page}").get_data(as_text=True))
        shown += rows
        if len(rows) < per_page:
            return shown
        page += 1


@pytest.mark.parametrize("query, filters", [
    ("", {}), ("committee=none", {"committee": "none"}), ("q=碧水", {"q": "碧水"}), ("eligible=", {"eligible": None}),
    ("eligible=0", {"eligible": "0"}), ("q=滨江路1", {"q": "滨江路1"}),
])
def test_committee_page_in_street_order(app, monkeypatch, login_as, district, query, filters):
    monkeypatch.setitem(app.config, "PER_PAGE", 7)  # pages ending inside and across streets
    values = {"eligible": "1", "sort": "street", "archived": None, **filters}
    expected = _expected(services.EstateFilters(**values))
    assert expected
    assert _all_pages(login_as(district.officer), f"/estates/committees?{query}", committee_names, 7) == expected


@pytest.mark.parametrize("query", ["", "q=碧水", "committee=none"])
def test_committee_page_of_a_street_office_shows_its_street_only(app, monkeypatch, login_as, district, query):
    monkeypatch.setitem(app.config, "PER_PAGE", 5)
    mine = set(_expected(services.EstateFilters(eligible="1", sort="street", q="碧水" if "q=" in query else None,
                                                committee="none" if "committee" in query else None),
                         street_id=district.street1.id))
    shown = _all_pages(login_as(district.street_user), f"/estates/committees?{query}", committee_names, 5)
    assert set(shown) == mine and len(shown) == len(mine)


@pytest.mark.parametrize("query, filters", [
    ("", {}), ("management_mode=professional", {"management_mode": "professional"}), ("is_old=1", {"is_old": "1"}),
    ("company_id=-1", {"company_id": -1}), ("committee=none", {"committee": "none"}), ("q=碧水", {"q": "碧水"}),
    ("q=滨江路1&is_old=1", {"q": "滨江路1", "is_old": "1"}), ("eligible=0", {"eligible": "0"}),
    ("archived=1", {"archived": "1"}), ("sort=-name&is_old=0", {"sort": "-name", "is_old": "0"}),
])
def test_estate_list_pages_read_off_the_index(app, monkeypatch, login_as, district, query, filters):
    monkeypatch.setitem(app.config, "PER_PAGE", 9)
    expected = _expected(services.EstateFilters(**filters))
    assert expected
    assert _all_pages(login_as(district.officer), f"/estates/?{query}", list_names, 9) == expected
    html = login_as(district.officer).get(f"/estates/?{query}").get_data(as_text=True)
    assert f"共 {len(expected)} 条" in html


@pytest.mark.parametrize("user, column", [("street_user", "street_id"), ("company_user", "company_id")])
def test_estate_search_keeps_the_scope(login_as, district, user, column):
    """A street office's or company's search shows only its estates, though 碧水 names others' too."""
    owner = district.street1.id if column == "street_id" else district.company1.id
    mine = {estate.name for estate in db.session.scalars(select(Estate).where(
        getattr(Estate, column) == owner, Estate.name.contains("碧水"), Estate.archived_at.is_(None)))}
    everyone = set(_expected(services.EstateFilters(q="碧水")))
    shown = set(list_names(login_as(getattr(district, user)).get("/estates/?q=碧水").get_data(as_text=True)))
    assert mine and shown == mine and everyone - mine


def test_the_index_is_named_on_sqlite_only():
    statement = services.read_off_list_index(select(Estate.id), services.EstateFilters(is_old="1"))
    assert "INDEXED BY ix_estates_list" in str(statement.compile(dialect=sqlite.dialect()))
    assert "INDEXED BY" not in str(statement.compile(dialect=postgresql.dialect()))
    # A street, community or company has an index of its own.
    narrow = services.read_off_list_index(select(Estate.id), services.EstateFilters(street_id=1))
    assert "INDEXED BY" not in str(narrow.compile(dialect=sqlite.dialect()))


def _more(world, count: int) -> None:
    community = gen_community(world.street2, name=f"加{count}社区")
    for n in range(count):
        gen_estate(community=community, company=world.company2 if n % 2 else None, name=f"碧水加{count}-{n}",
                   is_old=bool(n % 2))
    position = gen_position()
    for n in range(count):
        gen_staff(world.company2, position, name=f"蔡春加{count}-{n}")
    db.session.commit()


@pytest.mark.parametrize("path", [
    "/estates/?q=碧水", "/estates/?management_mode=professional", "/estates/?committee=none", "/estates/?is_old=1",
    "/estates/?company_id=-1", "/estates/committees?committee=none", "/estates/committees?q=碧水",
    "/estates/committees", "/companies/staff?q=蔡春", "/credit/events?q=示范",
])
def test_same_number_of_queries_for_10_and_200_rows(login_as, world, count_queries, path):
    client = login_as(world.officer)
    _more(world, 10)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _more(world, 190)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert len(small) == len(large)


def test_staff_search_unchanged_and_scoped(login_as, world):
    """The district search (read in the table's order on SQLite) finds names, phones and certificate numbers;
    a company's search its own staff only."""
    position = gen_position()
    own = gen_staff(world.company1, position, name="蔡春明")
    other = gen_staff(world.company2, position, name="蔡春华", phone="13800000000")
    gen_staff(world.company2, position, name="王五", phone="13912345678")
    db.session.commit()
    ids = set(db.session.scalars(filter_staff(select(Staff.id), q="蔡春")))
    assert ids == {own.id, other.id}
    assert set(db.session.scalars(filter_staff(select(Staff.id), q="1391234"))) == {
        db.session.scalar(select(Staff.id).where(Staff.name == "王五"))}
    html = login_as(world.company_user).get("/companies/staff?q=蔡春").get_data(as_text=True)
    assert "蔡春明" in html and "蔡春华" not in html
    html = login_as(world.officer).get("/companies/staff?q=蔡春").get_data(as_text=True)
    assert "蔡春明" in html and "蔡春华" in html
