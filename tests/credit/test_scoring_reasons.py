"""The explanation of a score, line by line: why each record does not count on a day (at the edges
of its validity), and a blacklisting record wherever it falls among the others."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from supervision.credit import explanation, services, standings

from .factories import gen_basic, gen_event, rules

DAY = date(2026, 3, 2)  # a Monday


@pytest.fixture
def default_rules(app):
    default, _second = rules()
    return default


def _reasons(company, rule_set, as_of):
    return {line.event.id: line.reason for line in explanation.explain(company, rule_set, as_of).not_counting}


def test_each_record_that_does_not_count_says_why(world, default_rules):
    company = world.company1
    good = gen_event(company, "LH-03", on=DAY)  # valid 2 March 2026 – 1 March 2027
    draft = gen_event(company, "BL-06", on=DAY, status="draft")
    notified = gen_event(company, "BL-03", on=DAY, status="notified")
    revoked = gen_event(company, "BL-06", on=DAY)
    services.revoke_event(revoked, reason="复核发现记录有误", on=DAY + timedelta(days=40))

    assert _reasons(company, default_rules, DAY - timedelta(days=1))[good.id] == "尚未生效"
    on_the_day = _reasons(company, default_rules, DAY)
    assert good.id not in on_the_day  # counts from its first day
    assert on_the_day[draft.id] == "草稿，未告知"
    assert on_the_day[revoked.id] == "已撤销，不计分"
    assert on_the_day[notified.id] == f"异议期内（{notified.objection_deadline.isoformat()} 届满）"
    assert good.id not in _reasons(company, default_rules, good.effective_until)  # its last day
    assert _reasons(company, default_rules, good.effective_until + timedelta(days=1))[good.id] == \
        f"已过有效期（{good.effective_until.isoformat()} 止）"


def test_a_blacklisting_record_blacklists_wherever_it_is_listed(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    gen_event(company, "YZ-02", on=DAY + timedelta(days=1))  # the newest: explained first
    gen_event(company, "LH-01", on=DAY)  # an older, ordinary record explained after it
    explained = explanation.explain(company, default_rules, date(2026, 6, 1))
    assert explained.total == Decimal("70.00")
    assert explained.override == "blacklist" and explained.grade.code == "BLACK"
    assert "黑名单" in explained.override_note
    row = standings.company_score(company, default_rules, date(2026, 6, 1))
    assert row.grade.code == explained.grade.code and row.total == explained.total
