"""The drill-down by pages first (``gap_page``): the page's ids in the gap's order, then their rows, must be
``gap_rows`` exactly (the same rows, in the same order, a page at a time) for every indicator, the district and
each street, with both streets' rows present."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from supervision.campaigns.models import ItemState
from supervision.companies.models import Staff
from supervision.complaints.models import Kind
from supervision.contracts.models import SelectionMethod
from supervision.core.timeutil import LOCAL_TZ, local_today
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from supervision.safety.models import FacilityStatus, LiftStatus
from supervision.targets.indicators import all_indicators, gap_page, gap_rows, get_indicator

from ..companies.factories import gen_certificate, gen_certified, gen_reference, gen_staff
from ..complaints.factories import gen_complaint
from ..contracts.factories import gen_party, gen_preliminary
from ..factories import gen_estate
from ..safety.factories import gen_facility, gen_lift
from .factories import gen_campaign, gen_enrolment, gen_item


@pytest.fixture
def gaps(world):
    """Gap rows of every kind in both streets, with ties in each drill-down's order (the id decides)."""
    today = local_today()
    reference = gen_reference()
    campaign = gen_campaign()
    expired = today - timedelta(days=30)
    for n, (estate, company, community) in enumerate(((world.estate1, world.company1, world.community1),
                                                      (world.estate2, world.company2, world.community2))):
        others = [gen_estate(community=community, company=company, name=f"{word}{n}小区",
                             management_mode=ManagementMode.NONE) for word in ("乙", "丙", "丁")]
        for place in (estate, *others):
            for name in ("张三", "张三", "李四"):  # the same name twice: the id breaks the tie
                gen_staff(company, reference.manager, place, name=name)
                gen_certified(company, reference.electrician, reference.electrician_cert, place, name=name,
                              expires_on=expired)
            gen_certified(company, reference.manager, reference.manager_cert, place, name="王五")
            gen_preliminary(place, SelectionMethod.AGREEMENT, contract_signed_on=None, approval_ref="批")
            gen_party(place, has_org=False)
            for due in (date(2026, 1, 1), date(2026, 1, 1), None, today - timedelta(days=1), today + timedelta(days=9)):
                gen_lift(place, next_due_on=due)
                gen_facility(place, next_due_on=due)
            gen_lift(place, next_due_on=None, status=LiftStatus.STOPPED)
            gen_facility(place, next_due_on=None, status=FacilityStatus.RETIRED)
            for _ in range(2):
                gen_item(place, today - timedelta(days=3))
            gen_item(place, today - timedelta(days=5), ItemState.ACCEPTED,
                     accepted_at=datetime.combine(today - timedelta(days=1), time(10), tzinfo=LOCAL_TZ))
            gen_enrolment(campaign, place)
            received = datetime.combine(today, time(0, 1), tzinfo=LOCAL_TZ)
            for _ in range(2):
                due_at = received + timedelta(minutes=1)
                gen_complaint(place, kind=Kind.REPAIR, received_at=received, response_due_at=due_at,
                              resolution_due_at=due_at)
        gen_staff(company, reference.manager, None, name="总部经理")  # head office: in no street
    db.session.commit()
    return world


def _page(page, limit=None, offset=0) -> list:
    keys = page.keys if limit is None else page.keys.limit(limit).offset(offset)
    ids = list(db.session.scalars(keys))
    loaded = page.load(ids) if ids else {}
    return [tuple(loaded[key])[:-1] for key in ids]


def test_pages_first_gives_the_gap_rows_exactly(gaps):
    today = local_today()
    checked = 0
    for indicator in all_indicators():
        for street_id in (None, gaps.street1.id, gaps.street2.id):
            page = gap_page(indicator, today, street_id=street_id)
            if page is None:
                continue
            expected = [tuple(row) for row in db.session.execute(gap_rows(indicator, today, street_id=street_id))]
            assert _page(page) == expected, (indicator.code, street_id)
            assert _page(page, 3, 2) == expected[2:5], (indicator.code, street_id)
            checked += bool(expected)
    # Staff (2), estates (5), items (2), lifts and facilities, enrolments, repairs: rows in every scope.
    assert checked >= 13 * 3


def test_rows_without_an_id_keep_one_statement(gaps):
    from supervision.campaigns.indicators import CODE

    assert gap_page(get_indicator(CODE), local_today()) is None


@pytest.mark.parametrize("code", ["lift_inspection", "manager_cert", "preliminary_contract", "repair_timely"])
def test_the_drill_down_pages_through_the_gap_in_its_order(app, gaps, login_as, monkeypatch, code):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    indicator = get_indicator(code)
    today = local_today()
    for user, street_id in ((gaps.officer, None), (gaps.street_user, gaps.street1.id)):
        expected = [_mark(row[0]) for row in db.session.execute(gap_rows(indicator, today, street_id=street_id))]
        assert len(expected) >= 4
        client = login_as(user)
        shown = []
        for number in range(1, len(expected) // 2 + 2):  # one page past the last: empty
            html = client.get(f"/targets/{code}/gap?page={number}").get_data(as_text=True)
            if number == 1:
                assert f"差额 {len(expected)} " in html
            table = html.split('data-testid="gap-rows"')[1].split("</table>")[0]
            shown.extend(_marks(code, table))
        assert shown == expected


def _mark(row) -> str:
    """What identifies a row in the drill-down's table."""
    if hasattr(row, "registration_code"):
        return str(row.id)
    return row.tracking_no if hasattr(row, "tracking_no") else row.name


def _marks(code: str, table: str) -> list[str]:
    if code == "lift_inspection":
        return re.findall(r'/safety/lifts/(\d+)"', table)
    if code == "repair_timely":
        return re.findall(r">(TST\d+)<", table)
    return [name.strip() for name in re.findall(r"<tr>\s*<td>([^<]+)", table)]


def _range(staff) -> tuple:
    return tuple(db.session.execute(select(Staff.qualified_from, Staff.qualified_until).where(Staff.id == staff.id))
                 .one())


def _certification_gaps_agree() -> None:
    """The page (which skips the staff whose stored range covers the day) lists what ``gap_rows`` does."""
    today = local_today()
    for code in ("staff_cert", "manager_cert"):
        for day in (today, today - timedelta(days=200), today + timedelta(days=200), date(2020, 12, 31)):
            page = gap_page(get_indicator(code), day)
            assert _page(page) == [tuple(row) for row in db.session.execute(gap_rows(get_indicator(code), day))]


def test_the_known_qualified_range_follows_every_change(world):
    today = local_today()
    reference = gen_reference()
    soon, later = today + timedelta(days=100), today + timedelta(days=400)
    person = gen_certified(world.company1, reference.manager, reference.manager_cert, world.estate1,
                           issued_on=today - timedelta(days=100), expires_on=soon)
    other = gen_staff(world.company2, reference.manager, world.estate2)
    db.session.commit()
    assert _range(person) == (today - timedelta(days=100), soon)
    assert _range(other) == (None, None)
    _certification_gaps_agree()

    longer = gen_certificate(person, reference.practice_cert, expires_on=later)  # no issue date: since ever
    db.session.commit()
    assert _range(person) == (date(1, 1, 1), later)
    _certification_gaps_agree()

    longer.staff_id = other.id  # the certificate moves: both recounted
    db.session.commit()
    assert _range(person) == (today - timedelta(days=100), soon) and _range(other) == (date(1, 1, 1), later)
    db.session.delete(longer)
    db.session.commit()
    assert _range(other) == (None, None)
    _certification_gaps_agree()

    first = person.certificates[0]
    first.expires_on = today - timedelta(days=1)  # expired: not qualified today
    db.session.commit()
    assert _range(person) == (None, None)
    first.expires_on = None
    db.session.commit()
    assert _range(person) == (today - timedelta(days=100), date(9999, 12, 31))
    _certification_gaps_agree()

    person.position_id = reference.electrician.id  # a post that does not accept the certificate
    db.session.commit()
    assert _range(person) == (None, None)
    person.position_id = reference.manager.id
    db.session.commit()
    assert _range(person)[0] is not None
    reference.manager.required_certificates = [reference.practice_cert]  # the post no longer accepts it
    db.session.commit()
    assert _range(person) == (None, None)
    _certification_gaps_agree()


def test_the_migration_and_the_flush_fill_the_range_alike(world):
    """``recount_statement`` over every staff member (the migration's backfill) gives what the flush kept."""
    from supervision.companies.qualification import recount_statement

    today = local_today()
    reference = gen_reference()
    people = [gen_certified(world.company1, reference.manager, reference.manager_cert, world.estate1,
                            expires_on=today + timedelta(days=n)) for n in (-5, 0, 30)]
    people.append(gen_staff(world.company1, reference.electrician, world.estate1))
    db.session.commit()
    kept = [_range(person) for person in people]
    db.session.execute(Staff.__table__.update().values(qualified_from=None, qualified_until=None))
    db.session.execute(recount_statement(today))
    assert [_range(person) for person in people] == kept
    assert kept[0] == (None, None) and kept[1][1] == today and kept[3] == (None, None)
