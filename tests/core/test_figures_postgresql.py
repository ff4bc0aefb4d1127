"""Under PostgreSQL a figure stored at commit is computed from the data of its own generation: a concurrent
writer of the same topic waits on the generation's row until the first commits, then sees its data."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from supervision.core import generations
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import local_today
from supervision.dashboard.services import DASHBOARD_TOPIC, KEY_FIGURES
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database
from supervision.regions.models import Community

from ..conftest import _test_app
from ..factories import build_world, gen_estate

SERVER = os.environ.get("TEST_POSTGRES_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")


def _server_up() -> bool:
    try:
        engine = create_engine(SERVER)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # no server: the test is skipped
        return False


@pytest.fixture
def pg_app(tmp_path):
    if not _server_up():
        pytest.skip("no PostgreSQL server")
    url, drop = fresh_postgres_database(SERVER, f"test_figures_{os.getpid()}")
    app = _test_app(url, tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def stored_estates() -> tuple[int, int]:
    generation, payload = db.session.execute(select(StoredFigure.generation, StoredFigure.payload).where(
        StoredFigure.name == KEY_FIGURES, StoredFigure.key == f"district|{local_today().isoformat()}")).one()
    return generation, json.loads(payload)["estates"]


def test_a_concurrent_writer_stores_figures_that_include_the_first_writers_data(pg_app):
    with pg_app.app_context():
        world = build_world()
        community_id = world.community1.id
        _generation, before = stored_estates()
        assert before == 2
        # The first writer: its estate flushed and the generation bumped (the row locked), not committed yet.
        gen_estate(community=world.community1, company=None, name="先写的小区")
        db.session.flush()
        # (every topic the commit bumps, in the commit's order: writers lock the rows in one order)
        generations.bump(db.session.connection(), *sorted(db.session.info["data_generation_topics"]))
        done = threading.Event()
        errors = []

        def second_writer():
            try:
                with pg_app.app_context():
                    gen_estate(community=db.session.get(Community, community_id), company=None, name="后写的小区")
                    db.session.commit()  # its bump waits for the first writer's lock
                    db.session.remove()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(1.0)
        assert not done.is_set(), f"the second writer committed while the first held the generation's row: {errors}"
        db.session.commit()
        assert done.wait(30)
        thread.join()
        assert not errors, errors
        db.session.remove()
        generation, estates = stored_estates()
        assert generation == generations.current(DASHBOARD_TOPIC)
        assert estates == 4  # the second writer's figures count the first writer's estate too
