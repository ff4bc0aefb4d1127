"""The drill-down's statement is kept per process by its day: a day measured as today (live management data) and
the same day measured once it is past (who managed each estate then) are two statements."""
from __future__ import annotations

from datetime import date, datetime

import time_machine

from supervision.core.timeutil import LOCAL_TZ
from supervision.estates import handover as management
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from supervision.targets import views

YEAR_END = datetime(2026, 12, 31, 10, tzinfo=LOCAL_TZ)
NEW_YEAR = datetime(2027, 1, 1, 10, tzinfo=LOCAL_TZ)


def _gap_table(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html.split('data-testid="gap-rows"')[1].split("</table>")[0]


def test_a_year_end_measured_as_today_is_rebuilt_once_it_is_past(world, login_as):
    views._gap_statement.cache_clear()
    with time_machine.travel(YEAR_END, tick=False):
        client = login_as(world.officer)
        management.open_first_period(world.estate1, date(2025, 1, 1))
        db.session.commit()
        # 31 December as today: estate1 is managed, so not in the coverage gap.
        assert world.estate1.name not in _gap_table(client, "/targets/coverage/gap")
    with time_machine.travel(NEW_YEAR, tick=False):
        client = login_as(world.officer)
        # From 1 January estate1 has no management; on 31 December it still had its company.
        management.handover(world.estate1, {"handover_on": date(2027, 1, 1), "end_method": "withdrawal",
                                            "start_method": "other", "items_outcome": "keep",
                                            "management_mode": ManagementMode.NONE, "company_id": None},
                            actor=world.officer)
        db.session.commit()
        assert world.estate1.name in _gap_table(client, "/targets/coverage/gap")
        # Last year's gap is measured on 31 December, with the management in force then.
        assert world.estate1.name not in _gap_table(client, "/targets/coverage/gap?year=2026")
