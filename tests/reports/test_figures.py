"""System figures for a street and week, computed in SQL from the campaign's records."""
from __future__ import annotations

from datetime import date

from supervision.campaigns.models import AcceptanceVerdict, EnrolmentStatus
from supervision.extensions import db
from supervision.reports.figures import (
    DEFAULT_REPORT_FIGURES,
    figure_definitions,
    figures_by_street,
    street_week_figures,
)
from supervision.reports.weeks import Week

from ..factories import gen_estate
from .factories import (
    gen_acceptance,
    gen_campaign,
    gen_enrolment,
    gen_item,
    gen_self_inspection,
    gen_survey,
    local,
    utc,
)

W39 = Week(2026, 39)  # Mon 21 – Sun 27 September 2026
AFTER = utc(local(2026, 10, 15))


def build(world):
    campaign = gen_campaign()
    a = gen_enrolment(campaign, world.estate1)
    b = gen_enrolment(campaign, gen_estate(community=world.community1), enrolled_at=utc(local(2026, 9, 22, 10)))
    c = gen_enrolment(campaign, gen_estate(community=world.community1), enrolled_at=utc(local(2026, 9, 28, 0, 0)))
    gen_enrolment(campaign, world.estate2, status=EnrolmentStatus.WITHDRAWN, withdrawn_at=utc(local(2026, 9, 10)))
    e = gen_enrolment(campaign, gen_estate(community=world.community2))
    gen_survey(a, date(2026, 9, 1))
    gen_survey(b, date(2026, 9, 23))
    gen_survey(c, date(2026, 9, 28))
    gen_self_inspection(a, utc(local(2026, 9, 27, 23, 59, 59)))  # the last second of the week counts
    gen_self_inspection(b, utc(local(2026, 9, 28, 0, 0, 0)))  # the first second of the next does not
    gen_item(campaign, a, opened_at=utc(local(2026, 9, 1)), deadline=date(2026, 9, 15))  # overdue
    gen_item(campaign, b, opened_at=utc(local(2026, 9, 22)), deadline=date(2026, 10, 20))  # new this week
    gen_item(campaign, a, opened_at=utc(local(2026, 9, 2)), deadline=date(2026, 9, 30),
             accepted_at=utc(local(2026, 9, 24)))  # closed this week
    gen_item(campaign, a, opened_at=utc(local(2026, 9, 1)), deadline=date(2026, 9, 10),
             accepted_at=utc(local(2026, 9, 30)))  # closed later: overdue at the end of W39
    gen_item(campaign, e, opened_at=utc(local(2026, 9, 21)), deadline=date(2026, 9, 25))
    gen_acceptance(a, date(2026, 9, 24))
    gen_acceptance(b, date(2026, 9, 25), verdict=AcceptanceVerdict.FAILED)
    db.session.commit()
    return campaign


def test_street_week_figures(world):
    campaign = build(world)
    figures = street_week_figures(campaign, world.street1.id, 2026, 39, now=AFTER)
    assert figures == {
        "enrolled_total": 2, "enrolled_week": 1,
        "surveyed_total": 2, "surveyed_week": 1,
        "self_inspected_total": 1, "self_inspected_week": 1,
        "items_opened_total": 4, "items_opened_week": 1,
        "items_closed_total": 1, "items_closed_week": 1,
        "items_overdue": 2,
        "accepted_total": 1, "accepted_week": 1,
    }
    # The week before: B not yet enrolled, nothing closed; the items due 10 and 15 Sept were already overdue.
    before = street_week_figures(campaign, world.street1.id, 2026, 38, now=AFTER)
    assert before["enrolled_total"] == 1 and before["items_closed_total"] == 0
    assert before["items_overdue"] == 2 and before["accepted_total"] == 0


def test_overdue_in_the_running_week_is_as_of_now(world):
    campaign = build(world)
    wednesday = utc(local(2026, 9, 23, 12))
    saturday = utc(local(2026, 9, 26, 12))
    assert street_week_figures(campaign, world.street2.id, 2026, 39, now=wednesday)["items_overdue"] == 0
    assert street_week_figures(campaign, world.street2.id, 2026, 39, now=saturday)["items_overdue"] == 1


def test_all_streets_in_one_query(world, count_queries):
    campaign = build(world)
    db.session.refresh(campaign)
    with count_queries() as queries:
        figures = figures_by_street(campaign, W39, now=AFTER)
    assert len(queries) == 1
    assert set(figures) == {world.street1.id, world.street2.id}
    assert figures[world.street2.id]["enrolled_total"] == 1  # the withdrawn estate does not count
    assert figures[world.street2.id]["items_opened_week"] == 1
    assert figures[world.street1.id] == street_week_figures(campaign, world.street1.id, 2026, 39, now=AFTER)


def test_a_street_without_records_gets_zeros(world):
    campaign = gen_campaign()
    db.session.commit()
    assert set(street_week_figures(campaign, world.street1.id, 2026, 39).values()) == {0}


def test_figure_list_comes_from_the_campaign_or_the_default(world):
    campaign = gen_campaign(report_figures=[{"code": "visits", "label": "入户走访", "unit": "户"},
                                            {"code": "visits", "label": "重复", "unit": ""},
                                            {"code": "", "label": "无编码"}, "junk"])
    assert figure_definitions(campaign) == [{"code": "visits", "label": "入户走访", "unit": "户"}]
    assert figure_definitions(gen_campaign()) == list(DEFAULT_REPORT_FIGURES)


def test_a_draft_shows_the_figures_its_latest_change_stored(world, login_as, count_queries):
    """A report being written reads the live figures the committing transaction stored for it today (one query),
    the same numbers as counting them; a later change to the street's records stores the new ones."""
    import time_machine

    from supervision.core.figures import StoredFigure
    from supervision.reports import live_figures
    from supervision.reports.services import figures_shown

    from .factories import gen_report

    with time_machine.travel(AFTER, tick=False):  # W39 is one of the campaign's latest weeks
        campaign = build(world)
        report = gen_report(campaign, world.street1, W39)
        db.session.commit()
        assert db.session.scalar(db.select(StoredFigure.key).where(StoredFigure.name == live_figures.FIGURE))
        counted = street_week_figures(campaign.id, world.street1.id, 2026, 39)
        assert live_figures.stored(report) == counted
        with count_queries() as statements:
            assert figures_shown(report) == (counted, True)
        assert not [s for s in statements if "enrolments" in s]

        gen_survey(gen_enrolment(campaign, gen_estate(community=world.community1)), date(2026, 9, 22))
        db.session.commit()
        after = street_week_figures(campaign.id, world.street1.id, 2026, 39)
        assert after["surveyed_total"] == counted["surveyed_total"] + 1
        assert figures_shown(report) == (after, True)
        assert login_as(world.street_user).get(f"/reports/{report.id}").status_code == 200
