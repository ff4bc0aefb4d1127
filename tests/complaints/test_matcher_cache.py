"""The address matcher's estate index is kept per process by the ``complaint_matcher`` generation: the
clerk's queue reads no estate once it is kept, and a renamed, archived or new estate or a new alias is
matched from the next request on. The run comparison replaced difflib's longest match."""
from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest

from supervision.complaints.matching import MATCHER_TOPIC, Matcher, _longest_shared, add_alias
from supervision.complaints.models import State
from supervision.core import generations
from supervision.core.timeutil import utcnow
from supervision.extensions import db

from ..factories import gen_estate
from .factories import gen_complaint


def _first_generation():
    generations.bump(db.session.connection(), MATCHER_TOPIC)
    db.session.commit()


def test_the_longest_shared_run_is_difflibs_longest_match():
    rng = random.Random(21)
    alphabet = "阳光花园小区东城西湖翠苑一二三期"
    for _ in range(2000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        expected = SequenceMatcher(None, name, text, autojunk=False).find_longest_match(
            0, len(name), 0, len(text)).size
        assert _longest_shared(name, text) == expected, (name, text)


def test_the_index_is_kept_and_follows_estate_changes(world, count_queries):
    estate = gen_estate(community=world.community1, name="翠苑一区", address="文三路123号")
    db.session.commit()
    _first_generation()
    assert Matcher().match("西湖区翠苑一区5幢") == (estate.id, 95)
    with count_queries() as queries:
        matcher = Matcher()
    assert len(queries) == 0  # the generation was read in this transaction: nothing read again
    assert matcher.match("翠苑一区") == (estate.id, 95)
    db.session.commit()

    estate.name = "翠苑二区"
    db.session.commit()
    assert Matcher().match("西湖区翠苑一区5幢") == (None, 35)  # the old name: "翠苑", 2 of 4 characters
    assert Matcher().match("翠苑二区门口") == (estate.id, 95)
    add_alias(estate, "翠苑小区")
    db.session.commit()
    assert Matcher().match("翠苑小区门口") == (estate.id, 90)
    other = gen_estate(community=world.community1, name="望江花园")
    db.session.commit()
    assert Matcher().match("望江花园北门") == (other.id, 95)
    other.archived_at = utcnow()
    db.session.commit()
    assert Matcher().match("望江花园北门")[0] is None


def test_the_queue_reads_no_estate_when_the_index_is_kept(world, login_as, count_queries):
    for number in range(3):
        gen_complaint(None, state=State.RECEIVED, address=f"{world.estate1.name}{number}号楼")
    db.session.commit()
    _first_generation()
    client = login_as(world.officer)
    client.get("/complaints/queue")
    with count_queries() as queries:
        response = client.get("/complaints/queue")
    assert response.status_code == 200
    assert not [q for q in queries if "estate_aliases" in q]
    assert len(queries) == 5  # session, user, page, count, notifications: the estates not read
    assert response.get_data(as_text=True).count(world.estate1.name) >= 3  # each row's suggestion


def test_the_index_checks_that_it_reads_only_watched_tables(world, monkeypatch):
    _first_generation()
    watched = generations.watched_tables(MATCHER_TOPIC)
    assert {"estates", "streets", "estate_aliases"} <= watched
    monkeypatch.setattr(generations, "watched_tables", lambda topic: watched - {"estate_aliases"})
    with pytest.raises(generations.UndeclaredInput, match="estate_aliases"):
        Matcher()


def test_an_unplaced_complaint_keeps_its_suggestions_and_the_queue_reads_them(world, login_as, count_queries):
    from supervision.complaints import services
    from supervision.complaints.models import Channel

    estate = gen_estate(community=world.community1, name="翠苑一区", address="文三路123号")
    other = gen_estate(community=world.community1, name="翠苑二区", address="文三路125号")
    db.session.commit()
    text = "翠苑门口路灯坏了"  # shares "翠苑" with both: not sure enough to place
    complaint = services.receive(channel=Channel.HOTLINE, category="其他", description=text, address=text)
    db.session.commit()
    assert complaint.estate_id is None
    expected = [[c.estate_id, c.confidence] for c in Matcher().candidates(text, limit=3)]
    assert expected and complaint.match_suggestions == expected
    assert {estate.id, other.id} <= {pair[0] for pair in expected}

    other.name = "翠苑新区"  # renamed since: shown by its name now
    estate.archived_at = utcnow()  # archived since: no longer suggested
    db.session.commit()
    _first_generation()
    generations.process_cache("complaint_matcher", 1).clear()  # a worker after a change: no index kept
    client = login_as(world.officer)
    client.get("/complaints/queue")
    generations.process_cache("complaint_matcher", 1).clear()
    with count_queries() as queries:
        response = client.get("/complaints/queue")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not [q for q in queries if "estate_aliases" in q]  # the district's index was not built
    assert len(queries) == 5  # session, user, page (one row: no count), the suggested estates, notifications
    assert "翠苑新区" in html and "翠苑一区" not in html
