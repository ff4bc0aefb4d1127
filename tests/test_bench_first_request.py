"""bench/pages.py's first request after a change commits a real write to every watched table."""
from __future__ import annotations

from sqlalchemy import func, select

from bench.pages import first_request_after_a_change
from supervision.core import generations
from supervision.extensions import db


def test_every_topic_with_data_changes_and_the_caches_are_dropped(app, world):
    topics = sorted(set().union(*generations._watched_tables.values()))
    with_rows = {topic for cls, entries in generations._watched_classes.items()
                 if db.session.scalar(select(func.count()).select_from(cls.__table__))
                 for topic, _attributes in entries}
    before = {topic: generations.current(topic) for topic in topics}
    generations.process_cache("a_test_cache", 4).put(("key",), 1)
    db.session.commit()
    first_request_after_a_change(app)
    db.session.remove()
    after = {topic: generations.current(topic) for topic in topics}
    assert with_rows and all(after[topic] != before[topic] for topic in with_rows)
    assert "a_test_cache" not in app.extensions
