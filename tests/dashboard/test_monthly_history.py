"""The monthly report for a past month shows that month's registry (who managed each estate then)."""
from __future__ import annotations

from datetime import date, datetime

import time_machine

from supervision.core.timeutil import LOCAL_TZ
from supervision.dashboard import services
from supervision.estates import handover as management
from supervision.estates.models import ManagementMode
from supervision.extensions import db


def _unmanaged(figures):
    return next(f.value for f in figures if str(f.label) == "无物业小区")


def test_november_report_shows_the_november_registry(app, world):
    with time_machine.travel(datetime(2026, 12, 6, 10, tzinfo=LOCAL_TZ), tick=False):
        management.open_first_period(world.estate1, date(2025, 1, 1))
        management.handover(world.estate1, {
            "handover_on": date(2026, 12, 1), "end_method": "withdrawal", "management_mode": ManagementMode.NONE,
            "company_id": None, "items_outcome": "keep"}, actor=world.officer)
        db.session.commit()
        with app.test_request_context():
            november = services.monthly_report(2026, 11)
            december = services.monthly_report(2026, 12)
            street_november = services.key_figures(date(2026, 11, 30), world.street1.id)
            street_now = services.key_figures(date(2026, 12, 6), world.street1.id)
    assert november["day"] == date(2026, 11, 30)
    assert _unmanaged(november["figures"]) == 0
    assert _unmanaged(december["figures"]) == 1
    assert november["row"].cells["coverage"].counts.numerator == 2
    assert december["row"].cells["coverage"].counts.numerator == 1
    companies = {str(f.label): f.value for f in street_november}
    assert companies["物业企业"] == 1 and _unmanaged(street_november) == 0
    assert {str(f.label): f.value for f in street_now}["物业企业"] == 0
