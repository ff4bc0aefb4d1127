"""A committee's status is read from its term dates, not from the nightly sweep (issue 16, item 4)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from supervision.estates import services
from supervision.estates.models import CommitteeStatus
from supervision.extensions import db
from supervision.targets.indicators import get_indicator, measure_total

from .factories import gen_committee


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 4, tzinfo=UTC), tick=False)


def test_a_term_that_ended_counts_as_expired_before_the_sweep_runs(world, login_as):
    ended = gen_committee(world.estate1, elected_on=date(2021, 9, 1))  # term ends 2026-09-01
    db.session.commit()
    indicator = get_indicator("committee")
    assert measure_total(indicator, date(2026, 9, 1)).numerator == 1  # the last day of the term
    with at(date(2026, 9, 2)):
        assert ended.status is CommitteeStatus.FORMED  # the sweep has not run
        assert ended.current_status is CommitteeStatus.EXPIRED
        assert measure_total(indicator, date(2026, 9, 2)).numerator == 0
        assert services.committee_summary()["formed"] == 0
        client = login_as(world.officer)
        detail = client.get(f"/estates/{world.estate1.id}").get_data(as_text=True)
        assert "届满" in detail
        listed = client.get("/estates/?committee=formed").get_data(as_text=True)
        assert world.estate1.name not in listed
        listed = client.get("/estates/?committee=expired").get_data(as_text=True)
        assert world.estate1.name in listed
        # Re-preparing (换届筹备) is offered at once; the sweep's own 届满 step is not needed first.
        assert "restart" in services.allowed_actions(ended)
        services.transition_committee(ended, "restart", {"prep_group_on": date(2026, 9, 2)})
        assert ended.status is CommitteeStatus.PREPARING


def test_the_dashboard_figure_reads_the_term_dates(world):
    from supervision.dashboard.services import key_figures

    gen_committee(world.estate1, elected_on=date(2021, 9, 1))
    db.session.commit()
    figure = {str(f.label): f.value for f in key_figures(date(2026, 9, 1))}
    assert figure["已成立业委会"] == 1
    figure = {str(f.label): f.value for f in key_figures(date(2026, 9, 2))}
    assert figure["已成立业委会"] == 0
