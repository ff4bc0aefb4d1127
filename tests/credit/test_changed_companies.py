"""A credit change that only touches some companies' records stores today's table and the latest publication's
rescoring with those companies rescored alone (``credit/changes.py``): the same figures as scoring the district."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update

from supervision.core import generations
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import local_today
from supervision.credit import changes, corrections, services, standings
from supervision.credit.models import SCORES_TOPIC, CreditEvent
from supervision.extensions import db

from ..factories import gen_company
from .factories import gen_basic, gen_event
from .test_corrections import _revoke, published  # noqa: F401  (the fixture)
from .test_publication import graded  # noqa: F401  (the fixture)


def stored(name: str):
    generation, payload = db.session.execute(select(StoredFigure.generation, StoredFigure.payload)
                                             .where(StoredFigure.name == name)).one()
    assert generation == generations.current(SCORES_TOPIC)  # stored for the data just committed
    return json.loads(payload)


def live_table() -> list:
    today = local_today()
    return [standings._row_payload(row) for row in standings._compute_table(services.rule_set_for(today), today).rows]


def live_rescoring(publication) -> dict:
    return corrections._rescored_payload(corrections._rescored(publication.id, publication.rule_set,
                                                               publication.as_of))


@pytest.fixture
def district_scored(monkeypatch):
    """The figures computed for the whole district during a commit (``_compute_table``, ``_rescored``)."""
    calls = []
    compute_table, rescored = standings._compute_table, corrections._rescored

    def counted_table(*args, **kwargs):
        calls.append("table")
        return compute_table(*args, **kwargs)

    def counted_rescored(*args, **kwargs):
        calls.append("rescored")
        return rescored(*args, **kwargs)

    monkeypatch.setattr(standings, "_compute_table", counted_table)
    monkeypatch.setattr(corrections, "_rescored", counted_rescored)
    return calls


@pytest.fixture
def crowded(graded, published):  # noqa: F811
    """The graded companies and five more of equal scores (ties in the ranking), all stored once."""
    for n in range(5):
        gen_basic(gen_company(name=f"同分物业{n}有限公司"), on=date(2026, 3, 2))
    db.session.commit()
    return graded


def test_records_of_some_companies_rescore_those_alone_and_equal_the_district(crowded, published,  # noqa: F811
                                                                             district_scored):
    gen_event(crowded.company3, "LH-03", on=local_today())  # +10: company3 moves up past the tied companies
    db.session.commit()
    assert district_scored == []
    assert stored(standings.TABLES_CACHE) == live_table()
    _revoke(crowded.company2, negative=True)  # off the black list as of the publication's day too
    db.session.commit()
    assert district_scored == ["table"]  # the live table compared with above, not the commits
    assert stored(standings.TABLES_CACHE) == live_table()
    rescoring = stored(corrections.RESCORED_CACHE)
    assert str(crowded.company2.id) in rescoring and rescoring == live_rescoring(published)


def test_a_tie_broken_and_made_again_keeps_the_places_of_rank(crowded, published, district_scored):  # noqa: F811
    tied = db.session.scalars(select(CreditEvent.company_id).where(CreditEvent.company_id.not_in(
        [crowded.company1.id, crowded.company2.id, crowded.company3.id])).distinct()).all()
    company = db.session.get(type(crowded.company1), tied[0])
    event = gen_event(company, "LH-03", on=local_today())
    db.session.commit()
    assert district_scored == []
    table = stored(standings.TABLES_CACHE)
    assert table == live_table() and [row[0] for row in table].index(company.id) < 2
    services.revoke_event(event, reason="复核后撤销", on=local_today())
    db.session.commit()
    assert district_scored == ["table"]
    table = stored(standings.TABLES_CACHE)
    assert table == live_table()
    places = [row[13] for row in table if row[0] in tied]
    assert len(tied) >= 5 and len(set(places)) == 1  # tied again: one place shared


def test_an_event_moved_to_another_company_rescores_both(crowded, published, district_scored):  # noqa: F811
    event = db.session.scalar(select(CreditEvent).where(CreditEvent.company_id == crowded.company1.id,
                                                        CreditEvent.points > 0))
    event.company_id = crowded.company3.id
    db.session.commit()
    assert district_scored == []
    assert stored(standings.TABLES_CACHE) == live_table()
    assert stored(corrections.RESCORED_CACHE) == live_rescoring(published)


def test_other_changes_score_the_district(crowded, published, district_scored):  # noqa: F811
    crowded.company3.name = "丙物业服务有限公司（更名）"  # a name the table shows
    db.session.commit()
    assert district_scored == ["table", "rescored"]
    assert stored(standings.TABLES_CACHE) == live_table()
    district_scored.clear()
    db.session.execute(update(CreditEvent).where(CreditEvent.company_id == crowded.company1.id)
                       .values(effective_until=date(2026, 3, 1)))  # a statement: which rows, no one traced
    db.session.commit()
    assert district_scored == ["table", "rescored"]
    assert stored(standings.TABLES_CACHE) == live_table()
    assert stored(corrections.RESCORED_CACHE) == live_rescoring(published)


def test_the_traced_companies_end_with_the_transaction(crowded):
    gen_event(crowded.company3, "LH-03", on=local_today())
    db.session.flush()
    assert changes.traced_companies(db.session) == {crowded.company3.id}
    db.session.rollback()
    assert changes.traced_companies(db.session) is None
    generations.wrote(db.session, CreditEvent.__tablename__)  # past the ORM: rows unknown
    gen_event(crowded.company3, "LH-03", on=local_today())
    db.session.flush()
    assert changes.traced_companies(db.session) is None
    db.session.rollback()
