"""抽查节奏: spot checks on at least one working day every week — the rhythm page (per week, officer and
street; weeks without a working day skipped), the Thursday warning on the officer's to-do list, the
每周抽查覆盖率 indicator, and the risk-weighted samples recorded with the check."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from flask_login import login_user
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.auth.roles import Role
from supervision.campaigns.indicators import CODE
from supervision.campaigns.models import ItemSource, ItemState, RectificationItem, SpotCheck, SpotCheckSample
from supervision.campaigns.services import rhythm, sampling
from supervision.complaints.models import Channel, Complaint, Kind
from supervision.core import timeutil
from supervision.core.errors import DomainError
from supervision.core.timeutil import LOCAL_TZ
from supervision.credit.models import CreditGrade, CreditPublication, CreditPublicationRow
from supervision.dashboard import todo
from supervision.extensions import db
from supervision.reports.weeks import Week
from supervision.targets.indicators import gap_rows, get_indicator, measure_total

from ..credit.factories import rules
from ..factories import gen_estate, gen_user

THU = date(2026, 3, 5)  # Thursday of 2026-W10
WED = date(2026, 3, 4)
HOLIDAY_WEEK = Week(2026, 8)  # 16–22 February 2026: the Spring Festival, no working day


def _check(estate, on: date, officer) -> SpotCheck:
    check = SpotCheck(estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id,
                      checked_on=on, checked_by_id=officer.id, summary="抽查")
    db.session.add(check)
    db.session.flush()
    return check


def _freeze(monkeypatch, day: date) -> None:
    instant = datetime.combine(day, time(10, 0), tzinfo=LOCAL_TZ).astimezone(UTC)
    monkeypatch.setattr(timeutil, "utcnow", lambda: instant)


@pytest.fixture
def checks(world):
    w = world
    w.officer_b = gen_user(Role.BUREAU_OFFICER, username="officer_b", display_name="乙科员")
    w.estate3 = gen_estate(community=w.community1, company=w.company1, name="东城三号院")
    _check(w.estate1, date(2026, 3, 2), w.officer)  # W10: two days, one estate twice
    _check(w.estate1, date(2026, 3, 3), w.officer)
    _check(w.estate2, date(2026, 2, 25), w.officer_b)  # W09: street 2 by B …
    _check(w.estate3, date(2026, 2, 25), w.officer)  # … and street 1 by A, the same day
    _check(w.estate2, date(2026, 2, 18), w.officer_b)  # W08: a holiday week, never listed
    db.session.commit()
    return w


# --- the rhythm --------------------------------------------------------------------------------

def _row(result, week: Week):
    return next(row for row in result.weeks if row.week == week)


def _cell(pairs, owner):
    return next(cell for who, cell in pairs if who.id == owner.id)


def test_rhythm_groups_check_days_per_week_officer_and_street(checks):
    w = checks
    result = rhythm.rhythm(Week(2026, 10), today=THU, user=w.officer)
    weeks = [row.week for row in result.weeks]
    assert weeks[0] == Week(2026, 10) and HOLIDAY_WEEK not in weeks
    assert len(weeks) == 11  # twelve calendar weeks, one without a working day

    w10 = _row(result, Week(2026, 10))
    assert w10.status is rhythm.WeekStatus.CHECKED
    assert w10.district.day_list == [date(2026, 3, 2), date(2026, 3, 3)]
    a10 = _cell(w10.officers, w.officer)
    assert a10.day_list == [date(2026, 3, 2), date(2026, 3, 3)]
    [estate] = a10.estate_list
    assert (estate.estate_name, estate.times) == ("阳光小区", 2)
    assert _cell(w10.officers, w.officer_b).days == set()
    assert _cell(w10.streets, w.street2).days == set()

    w09 = _row(result, Week(2026, 9))
    assert w09.district.day_list == [date(2026, 2, 25)]  # two checks, one check day
    assert [c.estate_name for c in _cell(w09.streets, w.street1).estate_list] == ["东城三号院"]
    assert [c.estate_name for c in _cell(w09.streets, w.street2).estate_list] == ["月亮小区"]
    assert [c.estate_name for c in _cell(w09.officers, w.officer_b).estate_list] == ["月亮小区"]

    w07 = _row(result, Week(2026, 7))
    assert w07.status is rhythm.WeekStatus.MISSED and not w07.district.days


def test_rhythm_of_one_street_ignores_the_others(checks):
    result = rhythm.rhythm(Week(2026, 10), today=THU, user=checks.officer, street_id=checks.street2.id)
    assert _row(result, Week(2026, 10)).status is rhythm.WeekStatus.DUE  # Thursday, none in street 2
    assert [s.id for s, _cell in _row(result, Week(2026, 9)).streets] == [checks.street2.id]
    assert _row(result, Week(2026, 9)).district.day_list == [date(2026, 2, 25)]


def test_rhythm_makes_the_same_queries_whatever_the_amount_of_checks(checks, count_queries):
    w = checks

    def measure():
        with count_queries() as queries:
            rhythm.rhythm(Week(2026, 10), today=THU, user=w.officer)
        return len(queries)

    measure()  # the holiday calendar is read once per transaction
    few = measure()
    for n in range(30):
        _check(w.estate2 if n % 2 else w.estate1, date(2026, 1, 5) + timedelta(days=n), w.officer_b)
    measure()
    assert measure() == few


def test_the_rhythm_page_marks_weeks_without_a_check(checks, login_as):
    page = login_as(checks.leader).get("/campaigns/spot-checks/rhythm?until=2026-W10").get_data(as_text=True)
    assert 'data-week="2026-W07" data-status="missed"' in page
    assert 'data-week="2026-W10" data-status="checked"' in page
    assert "2026-W08" not in page
    assert "未抽查" in page  # the status is written, not only coloured
    assert "/campaigns/spot-checks/rhythm" in login_as(checks.officer).get("/campaigns/spot-checks").get_data(
        as_text=True)


# --- the Thursday warning ----------------------------------------------------------------------

def _todo(app, user, day):
    with app.test_request_context("/"):
        login_user(user)
        return [e for e in todo.entries_for(user, today=day) if "现场抽查" in e.label]


def test_thursday_warning_when_the_week_has_no_check(app, world):
    w = world
    assert _todo(app, w.officer, WED) == []  # Wednesday: too early
    [entry] = _todo(app, w.officer, THU)
    assert entry.label == "本周全区尚未开展现场抽查" and entry.url.endswith("/campaigns/spot-checks/new")
    assert entry.deadline == date(2026, 3, 6)  # the week's last working day
    assert _todo(app, w.officer, date(2026, 3, 8))  # still on Sunday
    assert _todo(app, w.leader, THU) == []  # the officers' to-do


def test_thursday_warning_for_the_officer_who_has_not_checked(app, world):
    w = world
    other = gen_user(Role.BUREAU_OFFICER, username="officer_b")
    _check(w.estate2, date(2026, 3, 2), other)
    db.session.commit()
    [entry] = _todo(app, w.officer, THU)
    assert entry.label == "本周您尚未开展现场抽查"
    assert _todo(app, other, THU) == []
    _check(w.estate1, date(2026, 3, 5), w.officer)
    db.session.commit()
    assert _todo(app, w.officer, THU) == []


def test_no_warning_in_a_week_without_a_working_day(app, world):
    assert _todo(app, world.officer, HOLIDAY_WEEK.day(3)) == []


def test_the_home_page_follows_the_clock(world, login_as, monkeypatch):
    client = login_as(world.officer)
    _freeze(monkeypatch, WED)
    assert "本周全区尚未开展现场抽查" not in client.get("/").get_data(as_text=True)
    _freeze(monkeypatch, THU)
    assert "本周全区尚未开展现场抽查" in client.get("/").get_data(as_text=True)


# --- the indicator -------------------------------------------------------------------------------

def test_weekly_coverage_against_a_hand_count(world):
    w = world
    # Working weeks of 2026 ended by Thursday 5 March: W01–W09 without W08 = 8 weeks.
    _check(w.estate1, date(2026, 1, 5), w.officer)  # W02
    _check(w.estate2, date(2026, 1, 9), w.officer)  # W02 again: still one week
    _check(w.estate2, date(2026, 2, 18), w.officer)  # W08: the holiday week counts in neither
    _check(w.estate1, date(2026, 2, 27), w.officer)  # W09
    _check(w.estate1, date(2026, 3, 3), w.officer)  # W10: not over yet
    db.session.commit()
    indicator = get_indicator(CODE)
    counts = measure_total(indicator, THU)
    assert (counts.numerator, counts.denominator) == (2, 8)
    gap = db.session.execute(gap_rows(indicator, THU)).all()
    assert [Week.of(row.monday) for row in gap] == [Week(2026, n) for n in (7, 6, 5, 4, 3, 1)]
    assert measure_total(indicator, date(2026, 3, 8)).denominator == 9  # Sunday: W10 has ended
    assert measure_total(indicator, THU, street_id=w.street1.id).denominator == 0  # the district's rule


def test_weekly_coverage_before_any_week_has_ended(world):
    counts = measure_total(get_indicator(CODE), date(2026, 1, 1))  # 2026-W01 runs until 4 January
    assert (counts.numerator, counts.denominator) == (0, 0)


def test_a_past_year_counts_its_own_weeks(world):
    # 31 December 2025 lies in 2026-W01: the year's figure is 2025-W01 … W52 (each with a working day).
    weeks = rhythm.past_working_weeks(date(2025, 12, 31))
    assert weeks[0] == Week(2025, 1) and weeks[-1] == Week(2025, 52) and len(weeks) == 52
    assert measure_total(get_indicator(CODE), date(2025, 12, 31)).denominator == 52


def test_the_drill_down_lists_the_weeks(world, login_as, monkeypatch):
    _freeze(monkeypatch, THU)
    page = login_as(world.leader).get(f"/targets/{CODE}/gap").get_data(as_text=True)
    assert "每周抽查覆盖率" in page and "2026年第7周" in page and "2026年第8周" not in page
    assert "by-street-table" not in page  # the district's figure only: no table of streets


# --- samples -----------------------------------------------------------------------------------

@pytest.fixture
def risky(world):
    """estate1: two overdue items; estate2: a recent complaint and an old one; estate3: its company
    has the lowest published grade; estate4: nothing."""
    w = world
    w.company3 = w.company2.__class__(name="丙物业", credit_code="91110000MA00000003")
    db.session.add(w.company3)
    db.session.flush()
    w.estate3 = gen_estate(community=w.community1, company=w.company3, name="东城三号院")
    w.estate4 = gen_estate(community=w.community2, name="西城四号院")
    for n in range(2):
        db.session.add(RectificationItem(
            estate_id=w.estate1.id, street_id=w.street1.id, company_id=w.company1.id, source=ItemSource.SPOT_CHECK,
            category="消防安全", description=f"逾期{n}", deadline=THU - timedelta(days=3), state=ItemState.OPEN))
    db.session.add(RectificationItem(
        estate_id=w.estate1.id, street_id=w.street1.id, company_id=w.company1.id, source=ItemSource.SPOT_CHECK,
        category="消防安全", description="已销项", deadline=THU - timedelta(days=3), state=ItemState.ACCEPTED))
    for n, days in enumerate((3, 45)):
        received = datetime.combine(THU - timedelta(days=days), time(9), tzinfo=LOCAL_TZ).astimezone(UTC)
        db.session.add(Complaint(
            kind=Kind.COMPLAINT, channel=Channel.PHONE, tracking_no=f"TS{n}", received_at=received,
            estate_id=w.estate2.id, street_id=w.street2.id, category="噪音", description="投诉",
            response_due_at=received, resolution_due_at=received))
    rule_set = rules()[0]
    lowest = db.session.scalar(select(CreditGrade).where(CreditGrade.rule_set_id == rule_set.id,
                                                         CreditGrade.banded.is_(True))
                               .order_by(CreditGrade.rank.desc()).limit(1))
    publication = CreditPublication(name="2025年度", as_of=date(2025, 12, 31), rule_set_id=rule_set.id,
                                    rule_set_name=str(rule_set))
    db.session.add(publication)
    db.session.flush()
    for position, company, grade_rank, label in ((1, w.company1, 1, "AAA"), (2, w.company3, lowest.rank,
                                                                              lowest.label)):
        db.session.add(CreditPublicationRow(
            publication_id=publication.id, company_id=company.id, company_name=company.name,
            credit_code=company.credit_code, position=position, base=Decimal(80), parts={}, total=Decimal(60),
            grade_code="x", grade_label=label, grade_rank=grade_rank))
    db.session.commit()
    w.lowest_label = lowest.label
    return w


def test_risk_weights_and_reasons(risky):
    w = risky
    pool = {c.estate_id: c for c in sampling.candidates(THU)}
    assert list(pool) == sorted(pool)  # candidates in order of id
    assert (pool[w.estate1.id].overdue, pool[w.estate1.id].weight) == (2, 5)
    assert (pool[w.estate2.id].complaints, pool[w.estate2.id].weight) == (1, 2)
    assert (pool[w.estate3.id].grade, pool[w.estate3.id].weight) == (w.lowest_label, 5)
    assert pool[w.estate4.id].weight == 1
    assert [c.estate_id for c in sampling.candidates(THU, w.street2.id)] == [w.estate2.id, w.estate4.id]


def test_the_same_seed_and_data_give_the_same_sample(risky):
    w = risky
    first = sampling.create_sample(actor=w.officer, size=3, seed=20260305, today=THU)
    again = sampling.create_sample(actor=w.officer, size=3, seed=20260305, today=THU)
    db.session.commit()
    assert first.estate_ids == again.estate_ids and len(first.estate_ids) == 3
    assert len(set(first.estate_ids)) == 3  # without replacement
    assert first.entries[0]["weight"] == {c.estate_id: c.weight for c in sampling.candidates(THU)}[
        first.estate_ids[0]]
    pool = sampling.candidates(THU)
    assert [c.estate_id for c in sampling.draw(list(reversed(pool)), 4, 7)] == [
        c.estate_id for c in sampling.draw(pool, 4, 7)]  # the pool's order does not matter
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "spot_check_sample.create",
                                                   AuditLog.object_id == first.id))
    assert log is not None and log.after["estate_ids"] == first.estate_ids and log.after["seed"] == 20260305


def test_risky_estates_come_first_more_often_but_anyone_can_be_drawn():
    pool = [sampling.Candidate(1, overdue=5)] + [sampling.Candidate(n) for n in range(2, 11)]  # 11 vs 1 × 9
    firsts, drawn = Counter(), Counter()
    for seed in range(2000):
        sample = sampling.draw(pool, 3, seed)
        firsts[sample[0].estate_id] += 1
        drawn.update(c.estate_id for c in sample)
    assert firsts[1] > 800  # its chance to come first is 11/20
    assert all(firsts[1] > 3 * firsts[n] for n in range(2, 11))
    assert all(drawn[n] > 0 for n in range(2, 11))  # a zero-risk estate is drawn too
    assert [c.estate_id for c in sampling.draw(pool, 5, 42)] == [c.estate_id for c in sampling.draw(pool, 5, 42)]


def test_sample_size_and_street_are_validated(risky):
    with pytest.raises(DomainError):
        sampling.create_sample(actor=risky.officer, size=0, today=THU)
    with pytest.raises(DomainError):
        sampling.create_sample(actor=risky.leader, size=2, today=THU)
    sample = sampling.create_sample(actor=risky.officer, size=50, street=risky.street2, today=THU)
    assert set(sample.estate_ids) == {risky.estate2.id, risky.estate4.id}


def test_a_check_from_the_sample_is_recorded_with_it(risky, login_as):
    w = risky
    client = login_as(w.officer)
    response = client.post("/campaigns/spot-checks/samples/new", data={"size": 2, "street": w.street2.id,
                                                                        "seed": 11})
    sample = db.session.scalar(select(SpotCheckSample))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/campaigns/spot-checks/samples/{sample.id}")
    page = client.get(f"/campaigns/spot-checks/samples/{sample.id}").get_data(as_text=True)
    assert "11" in page and f"estate={w.estate2.id}&amp;sample={sample.id}" in page
    form = client.get(f"/campaigns/spot-checks/new?estate={w.estate2.id}&sample={sample.id}").get_data(as_text=True)
    assert f'value="{sample.id}"' in form and f"来自抽查样本 #{sample.id}" in form

    # An estate outside the sample is refused, and nothing is recorded.
    refused = client.post("/campaigns/spot-checks/new", data={
        "estate_id": w.estate1.id, "sample_id": sample.id, "checked_on": THU.isoformat(), "summary": "抽查"})
    assert refused.status_code == 200 and "不在抽查样本" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SpotCheck.id))) == 0

    recorded = client.post("/campaigns/spot-checks/new", data={
        "estate_id": w.estate2.id, "sample_id": sample.id, "checked_on": THU.isoformat(), "summary": "按样本抽查"})
    assert recorded.status_code == 302
    check = db.session.scalar(select(SpotCheck))
    assert check.sample_id == sample.id
    assert sampling.checked_estates(sample) == {w.estate2.id: check.id}
    page = client.get(f"/campaigns/spot-checks/samples/{sample.id}").get_data(as_text=True)
    assert "1 / 2 个小区" in page


@pytest.mark.parametrize("who", ["street_user", "company_user"])
def test_streets_and_companies_see_neither_samples_nor_the_rhythm(risky, login_as, who):
    sample = sampling.create_sample(actor=risky.officer, size=2, today=THU)
    db.session.commit()
    client = login_as(getattr(risky, who))
    for url in ("/campaigns/spot-checks/rhythm", "/campaigns/spot-checks/samples",
                "/campaigns/spot-checks/samples/new", f"/campaigns/spot-checks/samples/{sample.id}"):
        assert client.get(url).status_code == 403, url
    assert client.post("/campaigns/spot-checks/samples/new", data={"size": 2}).status_code == 403
    assert db.session.scalar(select(func.count(SpotCheckSample.id))) == 1


def test_leaders_read_samples_but_do_not_draw_them(risky, login_as):
    sample = sampling.create_sample(actor=risky.officer, size=2, today=THU)
    db.session.commit()
    client = login_as(risky.leader)
    assert client.get(f"/campaigns/spot-checks/samples/{sample.id}").status_code == 200
    assert client.get("/campaigns/spot-checks/samples/new").status_code == 403


def test_a_cell_names_a_bounded_number_of_estates_and_links_to_the_weeks_checks(checks, login_as):
    w = checks
    for n in range(rhythm.ESTATES_NAMED + 2):
        _check(gen_estate(community=w.community1, company=w.company1, name=f"抽查{n:02d}号院"), WED, w.officer)
    db.session.commit()
    result = rhythm.rhythm(Week(2026, 10), today=THU, user=w.officer)
    cell = _row(result, Week(2026, 10)).district
    assert len(cell.estates) == rhythm.ESTATES_NAMED + 3  # with 阳光小区
    assert [c.estate_name for c in cell.estate_list] == [f"抽查{n:02d}号院" for n in range(rhythm.ESTATES_NAMED)]

    page = login_as(w.leader).get("/campaigns/spot-checks/rhythm?until=2026-W10").get_data(as_text=True)
    assert "抽查09号院" in page and "抽查10号院" not in page
    assert "阳光小区" not in page  # W10's 13th by name, in no cell of the first ten
    assert page.count("共 13 个小区") == 3  # the district, the officer and street 1
    # The district's and the street's counts link to the week's checks; the officer's does not (the check
    # list has no officer filter: the link would list every officer's checks).
    assert page.count('data-testid="more-estates"') == 2
    assert "/campaigns/spot-checks?since=2026-03-02&amp;until=2026-03-08" in page
    assert f"/campaigns/spot-checks?since=2026-03-02&amp;until=2026-03-08&amp;street={w.street1.id}" in page
    assert f'href="/campaigns/spot-checks/{cell.estate_list[0].spot_check_id}"' in page
