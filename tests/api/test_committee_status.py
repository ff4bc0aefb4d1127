"""The API's committee status is read from the term dates (issue 16, item 4)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from supervision.extensions import db
from tests.estates.factories import gen_committee


def test_an_ended_term_reads_expired_before_the_sweep(client, district, bearer):
    w = district
    gen_committee(w.estate1, elected_on=date(2021, 9, 1))  # term ends 2026-09-01
    db.session.commit()
    headers = bearer(w.officer)
    with time_machine.travel(datetime(2026, 9, 2, 4, tzinfo=UTC), tick=False):
        detail = client.get(f"/api/v1/estates/{w.estate1.id}", headers=headers).json
    assert detail["committee_status"] == "expired"
