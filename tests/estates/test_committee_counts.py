"""The counts of the committee page and of the estate list's committee filters come from the groups stored per
street and day (``committee_figures``): the same numbers as counting the list, within the user's scope, with
other streets' estates present, before and after a change."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import func, select

from supervision.auth import scope
from supervision.core.timeutil import local_today, utcnow
from supervision.estates import committee_figures, services
from supervision.estates.models import CommitteeStatus, Estate
from supervision.extensions import db

from ..factories import gen_estate
from .factories import gen_committee

COMMITTEE_QUERIES = (
    "", "committee=none", "committee=formed", "committee=expired", "committee=preparing", "committee=dissolved",
    "eligible=", "eligible=0", "committee=none&eligible=", "alert=overdue&eligible=", "alert=overdue",
    "alert=term_soon&eligible=", "alert=term_over&eligible=", "committee=formed&alert=term_soon",
    "street_id={street1}", "street_id={street2}&committee=none", "sort=name&committee=none&eligible=",
)
ESTATE_QUERIES = (
    "", "committee=none", "committee=formed", "committee=expired&eligible=1", "eligible=0",
    "street_id={street1}&committee=none", "street_id={street2}", "alert=overdue", "committee=preparing&sort=street",
)


def _district(world) -> None:
    """Estates of both streets with every committee status, a term ending soon and one over, formation overdue
    with and without a committee, estates not eligible, and an archived one."""
    today = local_today()
    for street_index, community in enumerate((world.community1, world.community2)):
        def estate(name, community=community, prefix=street_index, **kw):
            return gen_estate(community=community, name=f"{prefix}{name}", **kw)

        estate("无会")
        estate("无会不具备", committee_eligible=False)
        estate("逾期无会", committee_due_on=today - timedelta(days=20))
        gen_committee(estate("逾期筹备", committee_due_on=today - timedelta(days=5)), CommitteeStatus.PREPARING)
        gen_committee(estate("已成立"), elected_on=date(2024, 3, 1))
        gen_committee(estate("将届满"), elected_on=date(2022, 3, 1), term_end=today + timedelta(days=30))
        gen_committee(estate("已过期"), elected_on=date(2020, 3, 1), term_end=today - timedelta(days=3))
        gen_committee(estate("届满", committee_eligible=False), CommitteeStatus.EXPIRED, elected_on=date(2019, 3, 1))
        gen_committee(estate("解散"), CommitteeStatus.DISSOLVED)
        gen_committee(estate("归档", archived_at=utcnow()), elected_on=date(2024, 3, 1))
    db.session.commit()


def _filters(query: str, world, **defaults) -> services.EstateFilters:
    values = dict(defaults)
    for key, value in parse_qsl(query.format(street1=world.street1.id, street2=world.street2.id),
                                keep_blank_values=True):
        values[key] = int(value) if key == "street_id" else (value or None)
    return services.EstateFilters(**values)


def _live(user, filters: services.EstateFilters) -> int:
    statement = services.filter_estates(scope.visible(Estate, user), filters)
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


def _total(html: str) -> int:
    return int(re.search(r"共 ([\d,]+) 条", html).group(1).replace(",", ""))


@pytest.mark.parametrize("who", ["officer", "street_user", "street2_user"])
def test_the_committee_pages_counts_are_the_lists_own(world, login_as, app, monkeypatch, count_queries, who):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    _district(world)
    user = getattr(world, who)
    client = login_as(user)

    def check():
        for query in COMMITTEE_QUERIES:
            expected = _live(user, _filters(query, world, eligible="1"))
            url = "/estates/committees?" + query.format(street1=world.street1.id, street2=world.street2.id)
            assert _total(client.get(url).get_data(as_text=True)) == expected, query

    check()
    with count_queries() as statements:
        client.get("/estates/committees?committee=none")
    assert not [s for s in statements if "count(" in s.lower() and "owners_committees" in s]
    # A committee formed for an estate without one, another estate moved to the other street: the counts follow.
    first = db.session.scalar(select(Estate).where(Estate.name == "0无会"))
    gen_committee(first, elected_on=date(2025, 5, 1))
    moved = db.session.scalar(select(Estate).where(Estate.name == "1逾期无会"))
    moved.street_id, moved.community_id = world.street1.id, world.community1.id
    db.session.commit()
    check()


@pytest.mark.parametrize("who", ["officer", "street_user", "company_user"])
def test_the_estate_lists_committee_filters_count_the_list(world, login_as, app, monkeypatch, who):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    _district(world)
    user = getattr(world, who)
    client = login_as(user)
    for query in ESTATE_QUERIES:
        expected = _live(user, _filters(query, world))
        url = "/estates/?" + query.format(street1=world.street1.id, street2=world.street2.id)
        assert _total(client.get(url).get_data(as_text=True)) == expected, query


def test_the_stored_groups_answer_only_the_filters_they_hold():
    answers = committee_figures.answers
    assert answers(services.EstateFilters(committee="none", eligible="1", street_id=3, alert="overdue"))
    for narrowing in ({"q": "碧水"}, {"community_id": 1}, {"company_id": -1}, {"company": "甲"}, {"is_old": "1"},
                      {"management_mode": "none"}, {"archived": "all"}, {"archived": "1"}):
        assert not answers(services.EstateFilters(committee="none", **narrowing)), narrowing
