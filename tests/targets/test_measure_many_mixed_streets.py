"""Both certification rates from one query when a street has managers and other certified posts:
the street's counts of each group are added up, never one group overwriting the other."""
from __future__ import annotations

from datetime import date, timedelta

from supervision.targets.indicators import Counts, get_indicator, measure, measure_many

from ..factories import gen_certificate, gen_staff
from .factories import commit, gen_cert_posts

DAY = date(2026, 6, 15)


def test_a_street_with_managers_and_electricians_counts_both_groups(world):
    manager_cert, electric_cert, manager, electrician, _cleaner = gen_cert_posts()
    w = world
    valid = DAY + timedelta(days=100)
    gen_certificate(gen_staff(w.company1, manager, w.estate1, name="经理甲"), manager_cert, expires_on=valid)
    gen_staff(w.company1, manager, w.estate1, name="经理乙")  # uncertified
    for name in ("电工甲", "电工乙"):
        gen_certificate(gen_staff(w.company1, electrician, w.estate1, name=name), electric_cert, expires_on=valid)
    gen_staff(w.company1, electrician, w.estate1, name="电工丙")  # uncertified
    gen_certificate(gen_staff(w.company2, electrician, w.estate2, name="电工丁"), electric_cert, expires_on=valid)
    commit()

    chosen = [get_indicator("staff_cert"), get_indicator("manager_cert")]
    measured = measure_many(chosen, DAY)
    assert measured["manager_cert"] == {w.street1.id: Counts(1, 2)}
    assert measured["staff_cert"] == {w.street1.id: Counts(3, 5), w.street2.id: Counts(1, 1)}
    for indicator in chosen:
        assert measured[indicator.code] == measure(indicator, DAY)
    only_street1 = measure_many(chosen, DAY, street_id=w.street1.id)
    assert only_street1["staff_cert"] == {w.street1.id: Counts(3, 5)}
