"""The district's score table stored by the transaction that changes the credit data (core/figures.py)."""
from __future__ import annotations

import json

from sqlalchemy import select

from supervision.core import generations
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import local_today
from supervision.credit import services, standings
from supervision.credit.models import SCORES_TOPIC
from supervision.extensions import db

from .factories import gen_event


def stored_table():
    return db.session.execute(select(StoredFigure.generation, StoredFigure.payload)
                              .where(StoredFigure.name == standings.TABLES_CACHE)).one()


def drop_process_caches(app) -> None:
    for value in app.extensions.values():
        if isinstance(value, generations.LRUCache):
            value.clear()


def test_a_credit_change_stores_todays_table_equal_to_the_live_one(app, ranked):
    gen_event(ranked.company2, "LH-03", on=local_today())
    db.session.commit()
    generation, payload = stored_table()
    assert generation == generations.current(SCORES_TOPIC)
    today = local_today()
    rule_set = services.rule_set_for(today)
    live = standings._compute_table(rule_set, today)
    kept = standings._table_from_payload(rule_set, json.loads(payload))
    # the stored rows are built as they are read (``StoredRows``): compared row by row
    assert tuple(kept.rows) == live.rows and len(kept.rows) == len(live.rows)
    assert kept.rows[1:3] == live.rows[1:3] and kept.rows[-1] == live.rows[-1]
    assert dict(kept.by_company) == dict(live.by_company)
    assert kept.rows and kept.rows[0].parts and dict(kept.counts) == dict(live.counts)


def test_the_ranking_reads_the_stored_table_without_scoring(app, ranked, login_as, count_queries, monkeypatch):
    gen_event(ranked.company1, "BL-02", on=local_today())
    db.session.commit()
    drop_process_caches(app)

    def fail(*args, **kwargs):
        raise AssertionError("scored live although the table was stored")

    monkeypatch.setattr(standings, "score_table", fail)
    client = login_as(ranked.officer)
    with count_queries() as statements:
        assert client.get("/credit/").status_code == 200
    assert sum("stored_figures" in s for s in statements) == 1
    assert len(statements) <= 15


def test_without_a_stored_table_the_reader_scores(app, ranked):
    db.session.execute(StoredFigure.__table__.delete())
    db.session.commit()
    drop_process_caches(app)
    today = local_today()
    rule_set = services.rule_set_for(today)
    assert standings.cached_table(rule_set, today) == standings._compute_table(rule_set, today)


def test_the_first_requests_after_a_change_make_the_same_queries_as_companies_grow(app, ranked, login_as,
                                                                                  count_queries):
    """The ranking and a company's credit page, each the first request after a credit change: the same number
    of queries with more companies and events (other streets' too), the ranking's rows built from the stored
    table (a page of them) and equal to the live table's."""
    from ..factories import gen_company, gen_estate, gen_street

    client = login_as(ranked.officer)

    def first_counts():
        gen_event(ranked.company2, "BL-02", on=local_today())
        db.session.commit()
        drop_process_caches(app)
        counts = []
        for url in ("/credit/", f"/credit/companies/{ranked.company1.id}"):
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    before = first_counts()
    other_street = gen_street()
    for _n in range(5):
        company = gen_company()
        gen_estate(street=other_street, company=company)
        db.session.flush()
        gen_event(company, "LH-03", on=local_today())
    db.session.commit()
    assert first_counts() == before and max(before) <= 15
    today = local_today()
    rule_set = services.rule_set_for(today)
    stored = standings.cached_table(rule_set, today)
    assert isinstance(stored.rows, standings.StoredRows)  # read from the stored figure, not scored
    assert tuple(stored.rows) == standings._compute_table(rule_set, today).rows
