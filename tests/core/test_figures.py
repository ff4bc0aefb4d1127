"""Figures stored by the committing transaction (core/figures.py): fresh after a commit, used by readers, nothing
left by a rollback, recomputed when stale or absent, equal to the live computation."""
from __future__ import annotations

import json
import logging

from sqlalchemy import delete, select, update

from supervision.core import figures, generations
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import local_today
from supervision.dashboard import services as dashboard_services
from supervision.dashboard.services import DASHBOARD_TOPIC, KEY_FIGURES, key_figures_statement
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.targets import indicators as target_indicators
from supervision.targets import services as target_services
from supervision.targets.indicators import all_indicators, measure_many, statement_tables
from supervision.targets.services import MEASURED_CACHE

from ..companies.factories import gen_reference
from ..factories import gen_estate, gen_staff


def stored(name: str) -> dict[str, tuple[int, object]]:
    return {key: (generation, json.loads(payload)) for key, generation, payload in db.session.execute(
        select(StoredFigure.key, StoredFigure.generation, StoredFigure.payload).where(StoredFigure.name == name))}


def drop_process_caches(app) -> None:
    for value in list(app.extensions.values()):
        if isinstance(value, generations.LRUCache):
            value.clear()


def live_measured() -> dict:
    return {code: None if groups is None else as_sorted([[street, c.numerator, c.denominator]
                                                         for street, c in groups.items()])
            for code, groups in measure_many(all_indicators(), local_today()).items()}


def as_sorted(payload):
    return None if payload is None else sorted(payload, key=lambda r: (r[0] is None, r[0] or 0))


def test_a_commit_stores_todays_figures_for_the_new_generation(world):
    today = local_today()
    generation = generations.current(DASHBOARD_TOPIC)
    measured = stored(MEASURED_CACHE)
    assert {key for key in measured} == {f"{i.code}|{today.isoformat()}" for i in all_indicators()}
    assert {g for g, _payload in measured.values()} == {generation}
    live = live_measured()
    assert {key.split("|")[0]: as_sorted(payload) for key, (_g, payload) in measured.items()} == live
    key_figures = stored(KEY_FIGURES)
    assert set(key_figures) == {f"district|{today}", f"{world.street1.id}|{today}", f"{world.street2.id}|{today}"}
    for key, (g, payload) in key_figures.items():
        street = None if key.startswith("district") else int(key.split("|")[0])
        assert g == generation
        assert payload == db.session.execute(key_figures_statement(today, street)).one()._asdict()


def test_readers_use_the_stored_figures_without_measuring(app, world, login_as, monkeypatch, count_queries):
    gen_estate(community=world.community1, company=None, name="新小区")
    db.session.commit()
    drop_process_caches(app)

    def fail(*args, **kwargs):
        raise AssertionError("measured live although the figures were stored")

    monkeypatch.setattr(target_services, "measure_many", fail)
    monkeypatch.setattr(dashboard_services, "key_figures_statement", fail)
    client = login_as(world.officer)
    with count_queries() as statements:
        assert client.get("/targets/").status_code == 200
    assert sum("stored_figures" in s for s in statements) == 1
    assert client.get("/").status_code == 200
    assert client.get("/dashboard/charts/indicators.svg").status_code == 200
    assert login_as(world.street_user).get("/").status_code == 200


def test_the_landing_page_shows_the_stored_key_figures(app, world, login_as):
    gen_estate(community=world.community1, company=None, name="无物业小区甲")
    db.session.commit()
    drop_process_caches(app)
    today = local_today()
    key = f"district|{today}"
    assert stored(KEY_FIGURES)[key][1]["unmanaged"] == 1
    # A stored entry is what readers show: changed behind the app's back, the page shows the change.
    payload = dict(stored(KEY_FIGURES)[key][1], unmanaged=432)
    db.session.execute(update(StoredFigure).where(StoredFigure.name == KEY_FIGURES, StoredFigure.key == key)
                       .values(payload=json.dumps(payload)))
    db.session.commit()
    assert ">432<" in login_as(world.officer).get("/").get_data(as_text=True)


def test_a_rollback_leaves_nothing(world):
    before = stored(MEASURED_CACHE), stored(KEY_FIGURES), generations.current(DASHBOARD_TOPIC)
    gen_estate(community=world.community1, company=world.company1)
    db.session.flush()
    db.session.rollback()
    assert (stored(MEASURED_CACHE), stored(KEY_FIGURES), generations.current(DASHBOARD_TOPIC)) == before


def test_a_stale_or_absent_entry_is_computed_by_the_reader(app, world, login_as):
    today = local_today()
    key = f"district|{today}"
    # A stale entry (an older generation) is never read …
    db.session.execute(update(StoredFigure).where(StoredFigure.name == KEY_FIGURES, StoredFigure.key == key)
                       .values(generation=StoredFigure.generation - 1,
                               payload=json.dumps(dict(stored(KEY_FIGURES)[key][1], estates=987))))
    db.session.commit()
    drop_process_caches(app)
    client = login_as(world.officer)
    assert ">987<" not in client.get("/").get_data(as_text=True)
    # … nor an absent one: the reader counts, and shows the right figures.
    db.session.execute(delete(StoredFigure))
    db.session.commit()
    drop_process_caches(app)
    assert dashboard_services.key_figures(today)[0].value == 2
    assert target_services.measured(all_indicators(), today)["coverage"] is not None


def test_a_commit_recounts_only_the_indicators_whose_tables_it_wrote(app, world, monkeypatch):
    reference = gen_reference()
    db.session.commit()
    counted = []
    original = target_services.measure_many

    def spy(indicators, day, **kwargs):
        counted.append(sorted(i.code for i in indicators))
        return original(indicators, day, **kwargs)

    monkeypatch.setattr(target_services, "measure_many", spy)
    before = stored(MEASURED_CACHE)
    gen_staff(world.company1, reference.manager, world.estate1)
    db.session.commit()
    assert len(counted) == 1
    today = local_today()
    readers = {i.code for i in all_indicators() if "staff" in statement_tables(i, today)}
    assert set(counted[0]) == readers and "manager_cert" in readers and "coverage" not in readers
    after = stored(MEASURED_CACHE)
    generation = generations.current(DASHBOARD_TOPIC)
    assert {g for g, _payload in after.values()} == {generation}
    for key, (_g, payload) in after.items():
        if key.split("|")[0] not in readers:
            assert payload == before[key][1]  # carried over, not recounted
    assert {key.split("|")[0]: as_sorted(payload) for key, (_g, payload) in after.items()} == live_measured()


def test_the_calendar_read_outside_the_sql_recounts_every_indicator(app, monkeypatch):
    """``statement_tables`` sees an indicator's SQL only; what the indicators read in Python while building it
    must be among the tables whose change recounts them all (the holiday topic's)."""
    today = local_today()
    figure = figures.registered()[MEASURED_CACHE]
    monkeypatch.setitem(app.config, "CHECK_CACHE_INPUTS", False)  # its own recording would hide the reads
    for indicator in all_indicators():
        drop_process_caches(app)
        with generations.reads_recorded() as tables:
            target_indicators._measure_part(indicator, today, None, None, 0, [], 0)
        assert tables <= figure.always() | statement_tables(indicator, today) | {"data_generations"}, indicator.code


def test_a_failing_precompute_is_logged_and_readers_compute(app, world, monkeypatch, caplog):
    def broken(keys):
        raise RuntimeError("boom")

    figure = figures.registered()[KEY_FIGURES]
    monkeypatch.setitem(figures._registered, KEY_FIGURES, figures.Precomputed(
        figure.topic, figure.name, figure.keys, broken, figure.always))
    with caplog.at_level(logging.ERROR):
        gen_estate(community=world.community1, company=world.company1)
        db.session.commit()
    assert "precomputing dashboard_key_figures failed" in caplog.text
    generation = generations.current(DASHBOARD_TOPIC)
    assert all(g != generation for g, _payload in stored(KEY_FIGURES).values())
    assert db.session.scalar(select(Estate.id).where(Estate.community_id == world.community1.id).limit(1))
    # the other figures of the same commit were stored
    assert {g for g, _payload in stored(MEASURED_CACHE).values()} == {generation}
    drop_process_caches(app)
    assert dashboard_services.key_figures(local_today())[0].value == 3




def test_a_past_days_entries_are_dropped_at_the_next_commit(world):
    db.session.execute(update(StoredFigure).where(StoredFigure.name == KEY_FIGURES)
                       .values(key=StoredFigure.key + "-past"))
    db.session.commit()
    gen_estate(community=world.community1, company=world.company1)
    db.session.commit()
    assert all(not key.endswith("-past") for key in stored(KEY_FIGURES))
    assert f"district|{local_today()}" in stored(KEY_FIGURES)


def test_prefetch_reads_several_figures_in_one_query_and_load_then_asks_nothing(world, count_queries):
    today = local_today()
    generation = generations.current(DASHBOARD_TOPIC)
    every_key = [f"{i.code}|{today.isoformat()}" for i in all_indicators()]
    measured_keys = every_key[:3]
    figure_keys = [f"district|{today}", "nonexistent|key"]
    with count_queries() as prefetching:
        figures.prefetch(generation, {MEASURED_CACHE: measured_keys, KEY_FIGURES: figure_keys})
    assert len(prefetching) == 1
    with count_queries() as loading:
        measured = figures.load(MEASURED_CACHE, generation, measured_keys[:2])
        key_figures = figures.load(KEY_FIGURES, generation, figure_keys)
        figures.prefetch(generation, {KEY_FIGURES: figure_keys[:1]})  # held already: not asked again
    assert loading == []
    assert set(measured) == set(measured_keys[:2]) and set(key_figures) == {f"district|{today}"}
    assert key_figures[f"district|{today}"] == stored(KEY_FIGURES)[f"district|{today}"][1]
    # a key the prefetch did not ask for is read from the store; another generation is not served from it
    with count_queries() as more:
        assert set(figures.load(MEASURED_CACHE, generation, every_key[:4])) == set(every_key[:4])
        assert figures.load(MEASURED_CACHE, generation + 1, measured_keys[:1]) == {}
    assert len(more) == 2


def test_the_scorecard_inputs_are_stored_and_equal_the_live_ones(app, world):
    year = str(local_today().year)
    generation = generations.current(DASHBOARD_TOPIC)
    (entry_generation, payload), = [stored(target_services.INPUTS_CACHE)[year]]
    assert entry_generation == generation
    assert payload == target_services._inputs_payload(int(year))
    drop_process_caches(app)
    assert target_services.scorecard_inputs(int(year)) == target_services._inputs_from_payload(payload)
    names = {street.name for street in target_services.scorecard_inputs(int(year)).streets_for(None)}
    assert names == {world.street1.name, world.street2.name}
