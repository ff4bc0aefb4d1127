"""Each indicator on a small data set with known answers; the drill-down is exactly the gap."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from supervision.campaigns.models import CampaignStatus, EnrolmentStatus, ItemState
from supervision.core.timeutil import utcnow
from supervision.estates.models import CommitteeStatus, ManagementMode
from supervision.extensions import db
from supervision.reports.models import ReportStatus, WeeklyReport
from supervision.reports.weeks import Week
from supervision.targets import indicators
from supervision.targets.indicators import (
    Counts,
    all_indicators,
    gap_rows,
    get_indicator,
    measure,
    measure_many,
    measure_total,
)

from ..factories import gen_certificate, gen_company, gen_estate, gen_staff
from .factories import commit, gen_campaign, gen_cert_posts, gen_committee, gen_enrolment, gen_item, local

DAY = date(2026, 6, 15)


def gap_ids(code, day=DAY, **kw):
    statement = gap_rows(get_indicator(code), day, **kw)
    return {row[0].id for row in db.session.execute(statement)}


def gap_count(code, day=DAY, **kw):
    statement = gap_rows(get_indicator(code), day, **kw)
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


def test_registry_has_the_required_indicators():
    codes = [i.code for i in all_indicators()]
    assert codes[:8] == ["manager_cert", "staff_cert", "committee", "coverage", "rectification",
                         "rectification_on_time", "campaign_closure", "report_punctuality"]
    # Features register their own after these (the safety registers: supervision/safety/indicators.py).
    assert {"lift_inspection", "fire_check", "preliminary_tender", "preliminary_contract",
            "party_coverage", "satisfaction", "repair_timely"} <= set(codes[8:])
    for indicator in all_indicators():
        assert indicator.unit == "rate"
        assert str(indicator.name) and str(indicator.definition)
        assert 0 < indicator.default_threshold <= 1
    assert get_indicator("committee").default_threshold == pytest.approx(0.8)
    assert get_indicator("rectification").default_threshold == pytest.approx(0.9)
    assert get_indicator("manager_cert").default_threshold == 1


# --- certification -------------------------------------------------------------------


@pytest.fixture
def certified(world):
    """Staff of company 1 in two streets and at head office, with known certificates."""
    manager_cert, electric_cert, manager, electrician, cleaner = gen_cert_posts()
    w = world
    people = {}

    def person(key, position, estate=None, company=None, **kw):
        people[key] = gen_staff(company or w.company1, position, estate, name=key, **kw)
        return people[key]

    # Street 1 (estate1): one manager valid, one expired the day before, one expiring on the day.
    gen_certificate(person("经理甲", manager, w.estate1), manager_cert, expires_on=DAY + timedelta(days=300))
    gen_certificate(person("经理乙", manager, w.estate1), manager_cert, expires_on=DAY - timedelta(days=1))
    gen_certificate(person("经理丙", manager, w.estate1), manager_cert, expires_on=DAY)
    # Head office: a certified manager (counts for the district and the company only).
    gen_certificate(person("总部经理", manager), manager_cert, expires_on=None)
    # Street 2 (estate2, company 2): electricians.
    gen_certificate(person("电工甲", electrician, w.estate2, w.company2), manager_cert)  # the wrong type
    gen_certificate(person("电工乙", electrician, w.estate2, w.company2), electric_cert,
                    issued_on=DAY + timedelta(days=1))  # not yet issued
    gen_certificate(person("电工丙", electrician, w.estate2, w.company2), electric_cert)  # no expiry: valid
    person("电工丁", electrician, w.estate2, w.company2)  # no certificate at all
    # Excluded: left before the day, a post without certificates, an archived company.
    gen_certificate(person("离职电工", electrician, w.estate2, w.company2, left_on=DAY - timedelta(days=3)),
                    electric_cert)
    person("保洁员", cleaner, w.estate1)
    archived = gen_company(name="已注销物业", archived_at=utcnow())
    person("注销企业经理", manager, w.estate1, archived)
    # Left on a later day: still employed on the day, and uncertified.
    person("将离职经理", manager, w.estate1, left_on=DAY + timedelta(days=5))
    commit()
    return people


def test_manager_certification(world, certified):
    groups = measure(get_indicator("manager_cert"), DAY)
    assert groups == {world.street1.id: Counts(2, 4), None: Counts(1, 1)}
    assert measure_total(get_indicator("manager_cert"), DAY) == Counts(3, 5)
    assert measure_total(get_indicator("manager_cert"), DAY, street_id=world.street1.id) == Counts(2, 4)
    assert measure_total(get_indicator("manager_cert"), DAY, street_id=world.street2.id) == Counts(0, 0)
    names = {certified[n].id for n in ("经理乙", "将离职经理")}
    assert gap_ids("manager_cert") == names
    assert gap_ids("manager_cert", street_id=world.street1.id) == names


def test_all_staff_certification(world, certified):
    indicator = get_indicator("staff_cert")
    assert measure_total(indicator, DAY) == Counts(4, 9)
    assert measure_total(indicator, DAY, street_id=world.street2.id) == Counts(1, 4)
    assert measure_total(indicator, DAY, company_id=world.company2.id) == Counts(1, 4)
    assert measure_total(indicator, DAY, company_id=world.company1.id) == Counts(3, 5)
    assert gap_ids("staff_cert", street_id=world.street2.id) == {certified[n].id
                                                                for n in ("电工甲", "电工乙", "电工丁")}
    # The day matters: a day later the certificate expiring on the day has lapsed, and the
    # one issued the day after has come into force.
    later = gap_ids("staff_cert", DAY + timedelta(days=1))
    assert certified["经理丙"].id in later and certified["电工乙"].id not in later
    assert certified["经理丙"].id not in gap_ids("staff_cert") and certified["电工乙"].id in gap_ids("staff_cert")


def test_both_certification_rates_in_one_query_equal_their_own_measures(world, certified, count_queries):
    chosen = [get_indicator("manager_cert"), get_indicator("staff_cert"), get_indicator("coverage")]
    for kw in ({}, {"street_id": world.street1.id}, {"company_id": world.company2.id}):
        with count_queries() as queries:
            measured = measure_many(chosen, DAY, **kw)
        assert len(queries) == 1, kw  # one UNION ALL; the two certification rates share its first part
        for indicator in chosen:
            assert measured[indicator.code] == measure(indicator, DAY, **kw), (indicator.code, kw)
    assert measure_many(chosen, DAY)["manager_cert"] == {world.street1.id: Counts(2, 4), None: Counts(1, 1)}
    # Alone, the manager rate is measured by its own query.
    assert measure_many([get_indicator("manager_cert")], DAY) == {
        "manager_cert": {world.street1.id: Counts(2, 4), None: Counts(1, 1)}}


def test_certification_drill_down_reports_the_expiry(world, certified):
    rows = db.session.execute(gap_rows(get_indicator("manager_cert"), DAY)).all()
    expiry = {row[0].name: row.last_expiry for row in rows}
    assert expiry == {"经理乙": DAY - timedelta(days=1), "将离职经理": None}


# --- estates ------------------------------------------------------------------------------


def test_committee_formation(world):
    w = world
    w.estate1.committee_eligible = True
    gen_committee(w.estate1, CommitteeStatus.FORMED)
    preparing = gen_estate(community=w.community1, name="筹备小区")
    gen_committee(preparing, CommitteeStatus.PREPARING)
    none_yet = gen_estate(community=w.community1, name="未组建小区")
    expired = gen_estate(community=w.community2, name="届满小区")
    gen_committee(expired, CommitteeStatus.EXPIRED)
    not_eligible = gen_estate(community=w.community2, name="不具备条件小区", committee_eligible=False)
    gen_committee(not_eligible, CommitteeStatus.FORMED)
    archived = gen_estate(community=w.community2, name="已归档小区", archived_at=utcnow())
    gen_committee(archived, CommitteeStatus.FORMED)
    commit()
    indicator = get_indicator("committee")
    # estate2 (eligible by default, no committee) is in the denominator too.
    assert measure(indicator, DAY) == {w.street1.id: Counts(1, 3), w.street2.id: Counts(0, 2)}
    assert gap_ids("committee") == {preparing.id, none_yet.id, expired.id, w.estate2.id}
    assert gap_ids("committee", street_id=w.street2.id) == {expired.id, w.estate2.id}


def test_coverage_counts_every_managed_mode(world):
    w = world
    modes = [ManagementMode.OWNERS_SELF, ManagementMode.COMMUNITY_TRUST, ManagementMode.STREET_CENTRE]
    for mode in modes:
        gen_estate(community=w.community1, management_mode=mode)
    unmanaged = gen_estate(community=w.community2, name="无物业小区")
    gen_estate(community=w.community2, name="归档无物业", archived_at=utcnow())
    commit()
    assert measure_total(get_indicator("coverage"), DAY) == Counts(5, 6)
    assert gap_ids("coverage") == {unmanaged.id}
    assert gap_ids("coverage", street_id=w.street1.id) == set()


# --- rectification ---------------------------------------------------------------------------


@pytest.fixture
def items(world):
    w = world
    deadline = DAY - timedelta(days=10)
    made = {
        # Accepted on time, at 23:30 on the deadline (15:30 UTC).
        "on_time": gen_item(w.estate1, deadline, ItemState.ACCEPTED, accepted_at=local(deadline, 23, 30)),
        # Accepted late, at 00:30 the day after the deadline — still the deadline's date in UTC.
        "late": gen_item(w.estate1, deadline, ItemState.ACCEPTED,
                         accepted_at=local(deadline + timedelta(days=1), 0, 30)),
        "open": gen_item(w.estate2, deadline, ItemState.IN_PROGRESS),
        "submitted": gen_item(w.estate2, deadline, ItemState.SUBMITTED),
        # Due on the day itself: counted as due.
        "due_today": gen_item(w.estate2, DAY, ItemState.OPEN),
        # Accepted after the day: not yet accepted on the day.
        "accepted_after": gen_item(w.estate1, deadline, ItemState.ACCEPTED,
                                   accepted_at=local(DAY + timedelta(days=1), 9)),
        # Not yet due: outside the denominator, whatever its state.
        "not_due": gen_item(w.estate1, DAY + timedelta(days=1), ItemState.ACCEPTED, accepted_at=local(DAY, 9)),
    }
    commit()
    return made


def test_rectification_rate(world, items):
    indicator = get_indicator("rectification")
    assert measure(indicator, DAY) == {world.street1.id: Counts(2, 3), world.street2.id: Counts(0, 3)}
    assert gap_ids("rectification") == {items[k].id for k in ("open", "submitted", "due_today", "accepted_after")}
    # A day later the late acceptance counts.
    assert measure_total(indicator, DAY + timedelta(days=1)) == Counts(4, 7)


def test_on_time_rectification_uses_the_shanghai_date(world, items):
    indicator = get_indicator("rectification_on_time")
    assert measure_total(indicator, DAY) == Counts(1, 6)
    assert gap_ids("rectification_on_time") == {
        items[k].id for k in ("late", "open", "submitted", "due_today", "accepted_after")}


# --- campaign closure -------------------------------------------------------------------------


def test_campaign_closure(world):
    w = world
    campaign = gen_campaign()
    draft = gen_campaign(CampaignStatus.DRAFT)
    closed = gen_enrolment(campaign, w.estate1, EnrolmentStatus.CLOSED, closed_at=local(DAY - timedelta(days=2)))
    active = gen_enrolment(campaign, w.estate2)
    third = gen_estate(community=w.community1)
    gen_enrolment(campaign, third, EnrolmentStatus.WITHDRAWN, withdrawn_at=local(DAY - timedelta(days=20)))
    closed_later = gen_enrolment(campaign, gen_estate(community=w.community2), EnrolmentStatus.CLOSED,
                                 closed_at=local(DAY + timedelta(days=3)))
    gen_enrolment(draft, w.estate1)  # a campaign still in preparation
    gen_enrolment(gen_campaign(), gen_estate(community=w.community1), enrolled_at=local(DAY + timedelta(days=1)))
    commit()
    indicator = get_indicator("campaign_closure")
    assert measure(indicator, DAY) == {w.street1.id: Counts(1, 1), w.street2.id: Counts(0, 2)}
    assert gap_ids("campaign_closure") == {active.id, closed_later.id}
    assert closed.id not in gap_ids("campaign_closure")


# --- weekly-report punctuality: the hook for the reports feature --------------------------------

def test_report_punctuality(world):
    """按时定稿: on time only when the final version (sent, not returned since) arrived by the due time."""
    w = world
    campaign = gen_campaign()
    friday = date(2026, 6, 12)
    due = local(friday, 18)
    weeks = iter(range(1, 20))

    def report(street, submitted=None, first=None, status=None, due_at=due):
        week = Week(2026, next(weeks))
        row = WeeklyReport(campaign_id=campaign.id, street_id=street.id, iso_year=week.iso_year,
                           iso_week=week.iso_week, week_start=week.monday, due_at=due_at,
                           status=status or (ReportStatus.SUBMITTED if submitted else ReportStatus.DRAFT),
                           entered_figures=[], first_submitted_at=first or submitted, submitted_at=submitted)
        db.session.add(row)
        db.session.flush()
        return row

    on_time = report(w.street1, local(friday, 18))  # exactly at the due time
    late = report(w.street1, local(friday, 18, 1))
    # First submitted on time, returned, then resubmitted after the due time: not on time.
    resubmitted_late = report(w.street2, submitted=local(friday + timedelta(days=3)), first=local(friday, 9),
                              status=ReportStatus.RESUBMITTED)
    resubmitted_in_time = report(w.street2, submitted=local(friday, 17), first=local(friday, 9),
                                 status=ReportStatus.RESUBMITTED)
    returned = report(w.street2, submitted=local(friday, 9), status=ReportStatus.RETURNED)  # not sent again
    missing = report(w.street2)
    report(w.street2, due_at=local(DAY + timedelta(days=4), 18))  # not yet due
    commit()
    indicator = get_indicator("report_punctuality")
    assert indicator.available()
    assert measure(indicator, DAY) == {w.street1.id: Counts(1, 2), w.street2.id: Counts(1, 4)}
    rows = db.session.execute(gap_rows(indicator, DAY)).all()
    assert {row.id for row in rows} == {late.id, resubmitted_late.id, returned.id, missing.id}
    assert {row.street_name for row in rows} == {"东城街道", "西城街道"}
    assert on_time.id and resubmitted_in_time.id not in {row.id for row in rows}
    # The drill-down gives the time of the standing version: none while returned.
    submitted = {row.id: row.submitted_at for row in rows}
    assert submitted[resubmitted_late.id] == local(friday + timedelta(days=3))
    assert submitted[returned.id] is None and submitted[missing.id] is None


def test_report_punctuality_without_the_reports_feature(world, monkeypatch):
    monkeypatch.setattr(indicators, "weekly_report_model", lambda: None)
    indicator = get_indicator("report_punctuality")
    assert not indicator.available()
    assert measure(indicator, DAY) is None
    assert gap_rows(indicator, DAY) is None


def test_punctuality_asks_the_reports_feature_what_on_time_means(app):
    """One home for the rule: the indicator's numerator is the model's own ``on_time_clause``."""
    base = indicators._punctuality_base(DAY)
    assert str(base.achieved.compile(db.engine)) == str(WeeklyReport.on_time_clause().compile(db.engine))


def test_the_reports_module_is_looked_up_lazily():
    # In this branch the weekly-reports feature is absent or provides the model; either way no error.
    model = indicators.weekly_report_model()
    assert model is None or hasattr(model, "due_at")


# --- every indicator: drill-down count = denominator − numerator ---------------------------------


@pytest.fixture
def mixed(world, certified, items):
    w = world
    gen_committee(w.estate1, CommitteeStatus.FORMED)
    gen_estate(community=w.community2, name="无物业乙")
    campaign = gen_campaign()
    gen_enrolment(campaign, w.estate1, EnrolmentStatus.CLOSED, closed_at=local(DAY - timedelta(days=1)))
    gen_enrolment(campaign, w.estate2)
    commit()
    return w


# The registries' own indicators; those registered by other features (lifts, contracts, complaints,
# surveys …) test their drill-down against their own data in their packages' tests.
CORE_CODES = ("manager_cert", "staff_cert", "committee", "coverage", "rectification", "rectification_on_time",
              "campaign_closure")


@pytest.mark.parametrize("code", CORE_CODES)
def test_drill_down_count_equals_the_gap(mixed, code):
    indicator = get_indicator(code)
    for street_id in (None, mixed.street1.id, mixed.street2.id):
        counts = measure_total(indicator, DAY, street_id=street_id)
        assert gap_count(code, street_id=street_id) == counts.denominator - counts.numerator, (code, street_id)
    assert measure_total(indicator, DAY).denominator > 0
