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
