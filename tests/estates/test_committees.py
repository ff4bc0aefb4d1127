"""Owners' committees: lifecycle, term end, warnings 90 days ahead, the two-month formation rule."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.core.errors import TransitionError
from supervision.estates import services
from supervision.estates.errors import InvalidValues
from supervision.estates.models import CommitteeStatus, Estate, ManagementMode
from supervision.extensions import db

from ..factories import gen_estate
from .factories import gen_committee


def at(day: date):
    """Freeze the clock at noon Shanghai time on ``day``."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 4, tzinfo=UTC), tick=False)


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 15), 2, date(2026, 3, 15)),
    (date(2025, 12, 31), 2, date(2026, 2, 28)),
    (date(2023, 12, 31), 2, date(2024, 2, 29)),
    (date(2026, 11, 30), 2, date(2027, 1, 30)),
])
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert services.add_months(start, months) == expected


def test_add_years_from_29_february():
    assert services.add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)


@pytest.mark.parametrize("households, votes, due", [
    (100, 50, date(2026, 3, 10)),  # exactly half: due two months later
    (100, 80, date(2026, 3, 10)),
    (100, 49, None),  # less than half: the rule does not apply
    (None, 50, None),
])
def test_formation_due_date(households, votes, due):
    estate = Estate(households=households, professional_vote_households=votes, professional_vote_on=date(2026, 1, 10))
    assert services.formation_due_date(estate) == due


def _voted_estate(world, voted_on=date(2026, 1, 10), votes=300):
    with at(date(2026, 2, 1)):
        estate = services.create_estate({
            "name": "老街小区", "address": "老街1号", "community_id": world.community1.id,
            "management_mode": ManagementMode.NONE, "households": 500, "committee_eligible": True,
            "professional_vote_on": voted_on, "professional_vote_households": votes,
        })
    db.session.commit()
    return estate


def test_estate_past_its_due_date_is_overdue(world):
    estate = _voted_estate(world)
    assert estate.committee_due_on == date(2026, 3, 10)
    with at(date(2026, 3, 10)):  # the due day itself is not late
        assert [a.kind for a in services.committee_alerts(estate)] == ["due"]
        assert not _overdue_ids()
    with at(date(2026, 3, 11)):
        alerts = services.committee_alerts(estate)
        assert [a.kind for a in alerts] == ["overdue"] and "已逾期 1 天" in alerts[0].message
        assert _overdue_ids() == {estate.id}


def _overdue_ids():
    today = services.local_today()
    return set(db.session.scalars(select(Estate.id).where(services.formation_overdue_clause(today))))


def test_a_formed_committee_ends_the_overdue_warning(world):
    estate = _voted_estate(world)
    with at(date(2026, 3, 20)):
        committee = services.create_committee(estate, {"prep_group_on": date(2026, 1, 20)})
        assert _overdue_ids() == {estate.id}  # preparing is not enough
        services.transition_committee(committee, "form", {"elected_on": date(2026, 3, 18), "members_count": 7})
        assert _overdue_ids() == set()
        assert services.committee_alerts(estate) == []


def test_forming_sets_the_five_year_term(world):
    with at(date(2026, 5, 1)):
        committee = services.create_committee(world.estate1, {"prep_group_on": date(2026, 1, 5)})
        services.transition_committee(committee, "form", {
            "first_assembly_on": date(2026, 4, 1), "elected_on": date(2026, 4, 1), "filed_on": date(2026, 4, 20),
            "filing_number": "备2026-001", "members_count": 7})
    assert committee.status is CommitteeStatus.FORMED
    assert committee.term_end == date(2031, 4, 1)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.object_type == "OwnersCommittee")).all()
    assert set(actions) == {"committee.create", "committee.form"}


def test_term_warning_starts_90_days_before_the_end(world):
    committee = gen_committee(world.estate1, elected_on=date(2021, 9, 1))  # term ends 2026-09-01
    assert committee.term_end == date(2026, 9, 1)
    with at(date(2026, 6, 2)):  # 91 days before
        assert services.committee_alerts(world.estate1) == []
        assert services.committee_summary()["term_soon"] == 0
    with at(date(2026, 6, 3)):  # 90 days before
        alerts = services.committee_alerts(world.estate1)
        assert [a.kind for a in alerts] == ["term_soon"] and "还有 90 天" in alerts[0].message
        assert services.committee_summary()["term_soon"] == 1
    with at(date(2026, 9, 2)):
        assert [a.kind for a in services.committee_alerts(world.estate1)] == ["term_over"]
        summary = services.committee_summary()
        assert (summary["term_soon"], summary["term_over"]) == (0, 1)


def test_the_sweep_marks_ended_terms_expired(world):
    ended = gen_committee(world.estate1, elected_on=date(2021, 9, 1))
    running = gen_committee(world.estate2, elected_on=date(2023, 1, 1))
    db.session.commit()
    with at(date(2026, 9, 2)):
        assert services.expire_due_terms() == [ended]
    assert ended.status is CommitteeStatus.EXPIRED and running.status is CommitteeStatus.FORMED


def test_expiring_before_the_end_is_refused(world):
    committee = gen_committee(world.estate1, elected_on=date(2023, 1, 1))
    with at(date(2026, 1, 1)), pytest.raises(TransitionError, match="任期尚未届满"):
        services.transition_committee(committee, "expire")


def test_reelection_starts_a_new_term_and_drops_the_old_filing(world):
    committee = gen_committee(world.estate1, CommitteeStatus.EXPIRED, elected_on=date(2021, 3, 1),
                              filed_on=date(2021, 3, 20), filing_number="备2021-9")
    with at(date(2026, 4, 1)):
        with pytest.raises(InvalidValues, match="应晚于上届选举日期"):
            services.transition_committee(committee, "reelect", {"elected_on": date(2021, 3, 1)})
        services.transition_committee(committee, "reelect", {"elected_on": date(2026, 3, 25), "term_years": 5})
    assert committee.status is CommitteeStatus.FORMED
    assert committee.term_end == date(2031, 3, 25) and committee.filing_number is None


def test_dissolve_and_restart(world):
    committee = gen_committee(world.estate1, elected_on=date(2023, 1, 1))
    with at(date(2026, 2, 1)):
        services.transition_committee(committee, "dissolve",
                                      {"dissolved_on": date(2026, 1, 20), "notes": "业主大会决定"})
        assert committee.status is CommitteeStatus.DISSOLVED and "解散：业主大会决定" in committee.notes
        with pytest.raises(TransitionError):
            services.transition_committee(committee, "form", {"elected_on": date(2026, 1, 25)})
        services.transition_committee(committee, "restart", {"prep_group_on": date(2026, 1, 28)})
    assert committee.status is CommitteeStatus.PREPARING
    assert committee.elected_on is None and committee.term_end is None and committee.dissolved_on is None


@pytest.mark.parametrize("values, field", [
    ({"prep_group_on": date(2026, 3, 1), "first_assembly_on": date(2026, 2, 1)}, "first_assembly_on"),
    ({"prep_group_on": date(2027, 1, 1)}, "prep_group_on"),
    ({"prep_group_on": date(2026, 1, 1), "filed_on": date(2026, 2, 1)}, "filing_number"),
    ({"prep_group_on": date(2026, 1, 1), "members_count": 40}, "members_count"),
    ({}, "prep_group_on"),
])
def test_committee_validation(world, values, field):
    with at(date(2026, 6, 1)), pytest.raises(InvalidValues) as raised:
        services.create_committee(world.estate1, values)
    assert field in {f for f, _m in raised.value.errors}


def test_formation_rates_by_street(world):
    gen_committee(world.estate1)
    gen_estate(world.street1)  # eligible, nothing yet
    gen_estate(world.street1, committee_eligible=False)
    gen_committee(world.estate2, CommitteeStatus.EXPIRED)
    db.session.commit()
    # The formation rate is the targets feature's "committee" indicator, over these clauses.
    from supervision.targets.indicators import get_indicator, measure, measure_total

    indicator = get_indicator("committee")
    rates = measure(indicator, date(2026, 6, 1))
    assert (rates[world.street1.id].numerator, rates[world.street1.id].denominator) == (1, 2)
    assert (rates[world.street2.id].numerator, rates[world.street2.id].denominator) == (0, 1)
    district = measure_total(indicator, date(2026, 6, 1))
    assert (district.numerator, district.denominator) == (1, 3)
    summary = services.committee_summary(today=date(2026, 6, 1))
    assert (summary["formed"], summary["eligible"]) == (1, 3)


def test_committee_page_shows_counts_and_warnings(login_as, world):
    gen_committee(world.estate1, elected_on=date(2021, 9, 1))
    db.session.commit()
    with at(date(2026, 7, 1)):
        html = login_as(world.officer).get("/estates/committees").get_data(as_text=True)
        assert 'data-testid="term-soon-count">1<' in html and "任期将于 2026-09-01 届满" in html
        html = login_as(world.officer).get("/estates/committees?alert=term_soon&eligible=").get_data(as_text=True)
        assert "阳光小区" in html and "月亮小区" not in html


def test_sweep_command_notifies_once(runner, world):
    from supervision.notifications.models import Notification

    gen_committee(world.estate1, elected_on=date(2021, 9, 1))
    db.session.commit()
    with at(date(2026, 7, 1)):
        result = runner.invoke(args=["estates", "sweep-committees"])
        assert result.exit_code == 0, result.output
        first = db.session.scalar(select(func.count(Notification.id)))
        runner.invoke(args=["estates", "sweep-committees"])
        assert db.session.scalar(select(func.count(Notification.id))) == first
    # admin, officer and the street office of estate1 — not street2's.
    users = set(db.session.scalars(select(Notification.user_id)))
    assert users == {world.admin.id, world.officer.id, world.street_user.id}


def test_committee_pages_from_preparation_to_formation(login_as, world):
    from supervision.estates.models import OwnersCommittee

    client = login_as(world.street_user)
    estate_id = world.estate1.id
    response = client.post(f"/estates/{estate_id}/committee/new", data={
        "status": "preparing", "prep_group_on": "2026-01-05", "term_years": "5"})
    assert response.status_code == 302
    committee = db.session.scalar(select(OwnersCommittee))
    page = client.get(f"/estates/{estate_id}/committee/form").get_data(as_text=True)
    assert "确认成立" in page
    stale = committee.version
    response = client.post(f"/estates/{estate_id}/committee/form", data={
        "version": stale, "first_assembly_on": "2026-03-01", "elected_on": "2026-03-01",
        "filed_on": "2026-03-15", "filing_number": "备2026-12", "members_count": "7", "term_years": "5"})
    assert response.status_code == 302
    db.session.refresh(committee)
    assert committee.status is CommitteeStatus.FORMED and committee.term_end == date(2031, 3, 1)
    html = client.get(f"/estates/{estate_id}").get_data(as_text=True)
    assert "备2026-12" in html and "2031-03-01" in html
    # The same form sent again from a stale page is refused, not applied twice.
    response = client.post(f"/estates/{estate_id}/committee/edit", data={
        "version": stale, "prep_group_on": "2026-01-05", "elected_on": "2026-03-01", "members_count": "9",
        "term_years": "5"})
    assert "该记录已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(committee)
    assert committee.members_count == 7


def test_an_action_that_does_not_fit_the_status_is_refused(login_as, world):
    gen_committee(world.estate1, CommitteeStatus.PREPARING)
    db.session.commit()
    client = login_as(world.officer)
    response = client.get(f"/estates/{world.estate1.id}/committee/restart")
    assert response.status_code == 302
    assert "不能办理该操作" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/estates/{world.estate1.id}/committee/bogus").status_code == 404


def test_the_summary_counts_what_each_clause_selects(world):
    """The summary reads the joined committee row instead of a subquery per estate: it must count exactly
    the estates the list's filters (the clauses with their EXISTS) select, archived estates left out."""
    day = date(2026, 6, 1)
    due = date(2026, 1, 1)
    cases = [None, CommitteeStatus.PREPARING, CommitteeStatus.FORMED, CommitteeStatus.EXPIRED,
             CommitteeStatus.DISSOLVED]
    for status in cases:
        for eligible in (True, False):
            estate = gen_estate(world.street1, committee_eligible=eligible, committee_due_on=due)
            if status is not None:
                gen_committee(estate, status, elected_on=date(2021, 8, 1))  # formed: its term ends 2026-08-01
    gen_committee(gen_estate(world.street1, committee_due_on=due), elected_on=date(2020, 1, 1))  # 已成立 past its term
    archived = gen_estate(world.street1, committee_due_on=due, archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    gen_committee(archived)
    db.session.commit()

    def count(*clauses):
        return db.session.scalar(select(func.count(Estate.id)).where(Estate.archived_at.is_(None), *clauses))

    def count_joined(*clauses):
        return db.session.scalar(select(func.count(Estate.id)).join(services.OwnersCommittee)
                                 .where(Estate.archived_at.is_(None), *clauses))

    summary = services.committee_summary(today=day)
    assert summary["eligible"] == count(services.committee_eligible_clause())
    assert summary["formed"] == count(services.committee_eligible_clause(), services.committee_formed_clause(day))
    assert summary["overdue"] == count(services.formation_overdue_clause(day)) >= 4
    assert summary["term_soon"] == count_joined(services.term_ending_soon_clause(day)) >= 2
    assert summary["term_over"] == count_joined(services.term_over_clause(day)) >= 3
    assert summary["formed"] >= 1


def test_the_committee_page_lists_a_page_by_street_and_name_within_the_scope(login_as, world, app):
    """Pages first (the ids by street and name, then the page's estates): the same order and scope as before."""
    for name in ("丙小区", "甲小区", "乙小区"):
        gen_estate(world.street1, name=name)
        gen_estate(world.street2, name=f"西{name}")
    gen_committee(world.estate1)
    db.session.commit()
    app.config["PER_PAGE"] = 3
    try:
        html = login_as(world.officer).get("/estates/committees").get_data(as_text=True)
        second = login_as(world.officer).get("/estates/committees?page=2").get_data(as_text=True)
        street = login_as(world.street_user).get("/estates/committees?page=1").get_data(as_text=True)
    finally:
        app.config["PER_PAGE"] = 50

    def shown(page):
        return [n for n in ("阳光小区", "甲小区", "乙小区", "丙小区", "月亮小区", "西甲小区", "西乙小区", "西丙小区")
                if f">{n}<" in page]

    first_page, second_page = shown(html), shown(second)
    assert len(first_page) == 3 and not set(first_page) & set(second_page)
    assert all(not n.startswith("西") and n != "月亮小区" for n in first_page)  # 东城 first (by code, then name)
    assert all(not n.startswith("西") and n != "月亮小区" for n in shown(street))  # another street's never shown



def test_the_committee_summary_is_stored_by_the_committing_transaction(login_as, world, count_queries):
    """The page's counts are the day's counts per street stored when a committee (or an estate's committee
    columns) changed: the page runs no count over the estates, and shows what the live count says."""
    from supervision.core.figures import StoredFigure
    from supervision.core.timeutil import local_today
    from supervision.estates import committee_figures

    gen_committee(world.estate1, elected_on=date(2022, 3, 1))
    db.session.commit()
    stored = db.session.scalar(select(StoredFigure).where(StoredFigure.name == committee_figures.SUMMARY_FIGURE))
    assert stored is not None and stored.key == local_today().isoformat()
    with count_queries() as statements:
        html = login_as(world.officer).get("/estates/committees").get_data(as_text=True)
    assert not [s for s in statements if "GROUP BY estates.street_id" in s or "FILTER (WHERE" in s]
    live = services.committee_summary()
    assert f'data-testid="term-over-count">{live["term_over"]}<' in html
    assert f'{live["formed"]} / {live["eligible"]} 个小区' in html

    # A second committee formed: the stored counts follow the change (a street office sees its street's).
    gen_committee(world.estate2, elected_on=date(2025, 3, 1))
    db.session.commit()
    live = services.committee_summary(select(Estate).where(Estate.street_id == world.street1.id))
    html = login_as(world.street_user).get("/estates/committees").get_data(as_text=True)
    assert f'{live["formed"]} / {live["eligible"]} 个小区' in html
    assert committee_figures.summary(world.street1.id)["formed"] == live["formed"]
