"""The complaint list and the three-rate pages at scale (issue 18): a fixed number of queries per page
whatever the number of complaints, and the list's cells (computed in complaints/listing.py, not per
cell in the template) as the complaint's own rules give them."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supervision.complaints.models import Channel, Complaint, Kind, Satisfaction, State
from supervision.complaints.sweep import overdue_clause, overdue_count_clause
from supervision.core.timeutil import local_today
from supervision.extensions import db

from .factories import gen_complaint

MONTH = local_today().strftime("%Y-%m")
PAGES = [
    ("officer", "/complaints/"),
    ("officer", "/complaints/?overdue=1"),
    ("officer", f"/complaints/?month={MONTH}&measure=late_resolution"),
    ("officer", f"/complaints/?month={MONTH}&measure=unsatisfied&company=COMPANY"),
    ("officer", f"/complaints/?month={MONTH}&measure=late_resolution&kind=repair"),
    ("officer", "/complaints/?kind=repair&state=assigned&channel=phone"),
    ("officer", "/complaints/rates"),
    ("officer", "/complaints/rates?by=company"),
    ("street_user", "/complaints/"),
    ("street_user", "/complaints/?overdue=1"),
    ("street_user", "/complaints/rates"),
    ("company_user", "/complaints/"),
    ("company_user", "/complaints/?overdue=1"),
]
STATES = list(State)


def _add(world, count: int, start: int = 0) -> None:
    """``count`` complaints of this month in both streets and companies, in every state, some repairs,
    repeats, unmatched ones and overdue ones."""
    now = datetime.now(UTC)
    first = None
    for n in range(start, start + count):
        received = now - timedelta(hours=1 + n % 5)
        state = STATES[n % len(STATES)]
        estate = None if n % 11 == 10 else (world.estate2 if n % 2 else world.estate1)
        c = gen_complaint(estate, received_at=received, state=state,
                          kind=Kind.REPAIR if n % 4 == 3 else Kind.COMPLAINT,
                          channel=Channel.PHONE if n % 3 else Channel.HOTLINE,
                          response_due_at=received + timedelta(minutes=30 if n % 3 else 300),
                          resolution_due_at=received + timedelta(hours=2 if n % 2 else 9),
                          responded_at=received + timedelta(minutes=20) if state is not State.ASSIGNED else None,
                          resolved_at=received + timedelta(hours=1) if state in (
                              State.RESOLVED, State.CALLED_BACK, State.CLOSED) else None,
                          satisfaction=(Satisfaction.UNSATISFIED if n % 2 else Satisfaction.SATISFIED)
                          if state in (State.CALLED_BACK, State.CLOSED) else None,
                          ticket_no=f"GD{n:06d}" if n % 3 == 0 else None)
        if n % 7 == 6 and first is not None:
            c.repeat_of_id = first.id
        first = first or c
    db.session.commit()


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_each_list_and_rates_page_takes_as_many_queries_with_more_complaints(world, login_as, count_queries,
                                                                             who, url):
    url = url.replace("COMPANY", str(world.company2.id))
    client = login_as(getattr(world, who))
    _add(world, 3)
    assert client.get(url).status_code == 200
    counts = []
    for start, count in ((3, 2), (5, 60)):  # each request the first after a change (the rates recomputed)
        _add(world, count, start)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 15, counts


def test_the_overdue_count_clause_is_the_overdue_clause(world):
    _add(world, 60)
    now = datetime.now(UTC)
    for moment in (now - timedelta(hours=3), now - timedelta(hours=1), now, now + timedelta(hours=6)):
        by_case = set(db.session.scalars(select(Complaint.id).where(overdue_clause(moment))))
        by_ranges = set(db.session.scalars(select(Complaint.id).where(overdue_count_clause(moment))))
        assert by_case == by_ranges and by_case  # both found some, and the same ones


def _row(page: str, tracking_no: str) -> str:
    match = re.search(r"<tr>\s*<td class=\"text-nowrap\"><a href=\"/complaints/\d+\">" + tracking_no
                      + r"</a>.*?</tr>", page, re.S)
    assert match, tracking_no
    return match.group(0)


def test_the_list_cells_follow_the_complaint(world, login_as):
    now = datetime.now(UTC)
    late = gen_complaint(world.estate1, received_at=now - timedelta(hours=3), state=State.ASSIGNED,
                         response_due_at=now - timedelta(hours=1), resolution_due_at=now + timedelta(days=2),
                         name="李四", phone="13912345678", ticket_no="GD-LATE", channel=Channel.HOTLINE,
                         description="电梯" * 30)
    answered = gen_complaint(world.estate1, received_at=now - timedelta(hours=2), state=State.RESPONDED,
                             responded_at=now - timedelta(minutes=90), response_due_at=now - timedelta(hours=1),
                             resolution_due_at=datetime(2031, 5, 6, 1, 30, tzinfo=UTC), kind=Kind.REPAIR)
    repeat = gen_complaint(world.estate1, received_at=now - timedelta(hours=1), repeat_of_id=late.id,
                           state=State.CLOSED, response_due_at=now - timedelta(hours=2),
                           resolution_due_at=datetime(2030, 1, 1, 4, 0, tzinfo=UTC))
    unmatched = gen_complaint(None, received_at=now - timedelta(minutes=30), state=State.RECEIVED)
    db.session.commit()
    page = login_as(world.officer).get("/complaints/").get_data(as_text=True)
    row = _row(page, late.tracking_no)
    assert "GD-LATE" in row and "李* 139****5678" in row and "13912345678" not in row
    assert "已超时" in row and 'status-badge">12345转办</span>' in row
    assert "<td>" + "电梯" * 18 + "电...</td>" in row  # truncated as Jinja's truncate(40) does
    assert 'status-badge">已派单</span>' in row
    row = _row(page, answered.tracking_no)  # answered in time: the resolution deadline, local time
    assert "已超时" not in row and "2031-05-06 09:30" in row and 'status-badge">报修</span>' in row
    row = _row(page, repeat.tracking_no)  # closed: never overdue; a repeat is marked
    assert "已超时" not in row and "2030-01-01 12:00" in row and ">重复</span>" in row
    assert 'status-badge">已关闭</span>' in row
    row = _row(page, unmatched.tracking_no)
    assert "<td>待匹配</td>" in row and "阳光小区" not in row
    assert "<td>阳光小区</td>" in _row(page, late.tracking_no)
    company_page = login_as(world.company_user).get("/complaints/").get_data(as_text=True)
    assert "李* 139****5678" in _row(company_page, late.tracking_no) and "13912345678" not in company_page
    assert unmatched.tracking_no not in company_page


def test_a_complaints_page_lists_its_visible_repeats_in_order_in_a_flat_number_of_queries(world, login_as,
                                                                                         count_queries):
    """The repeats are read by ``repeat_of_id`` then scoped (not the street's every complaint by date): the
    street sees its own repeats oldest first, not another street's, and the page's queries stay flat as other
    streets' and its own other complaints grow."""
    now = datetime.now(UTC)
    first = gen_complaint(world.estate1, received_at=now - timedelta(days=3))
    later = gen_complaint(world.estate1, received_at=now - timedelta(hours=2), repeat_of_id=first.id)
    earlier = gen_complaint(world.estate1, received_at=now - timedelta(days=2), repeat_of_id=first.id)
    elsewhere = gen_complaint(world.estate2, received_at=now - timedelta(days=1), repeat_of_id=first.id)
    db.session.commit()
    client = login_as(world.street_user)
    url = f"/complaints/{first.id}"
    client.get(url)
    with count_queries() as small:
        html = client.get(url).get_data(as_text=True)
    assert html.index(earlier.tracking_no) < html.index(later.tracking_no)
    assert elsewhere.tracking_no not in html
    for n in range(5):
        gen_complaint(world.estate1, received_at=now - timedelta(days=n))
        gen_complaint(world.estate2, received_at=now - timedelta(days=n), repeat_of_id=elsewhere.id)
    db.session.commit()
    client.get(url)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert len(small) == len(large) <= 15
    officer_html = login_as(world.officer).get(url).get_data(as_text=True)
    assert elsewhere.tracking_no in officer_html
