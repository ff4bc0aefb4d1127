"""Figures kept in the database for every worker, computed in the transaction that changes their data.

``generations.cached`` keeps a figure per process: after a change each worker recomputes it once, on the
request that happens to come first. A figure registered here (``register``) is computed instead by the
committing transaction, just after it bumps the figure's data generation, and stored in ``stored_figures``
under that generation, so it becomes visible exactly with the data it was computed from. A reader in any
worker loads it with one query (``load``) keyed by the current generation and keeps it in its own LRU.

Under PostgreSQL the bump (``INSERT … ON CONFLICT DO UPDATE`` of the topic's row) locks the row until the
transaction ends: a concurrent writer of the same topic waits there until the first one commits, and its
later statements (READ COMMITTED) see the first one's data: what it computes after its bump is the data of
its own generation (``tests/core/test_figures_postgresql.py``). SQLite has one writer at a time.

A registered figure may say which tables each entry read (``Entry.inputs``): a commit that wrote none of
them moves the entry to the new generation (one UPDATE) instead of recomputing it. A failing precompute
is logged and leaves nothing behind (a savepoint): readers then compute the figure themselves (a new day,
a database before its first change, a failure), as ``generations.cached`` does.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import BigInteger, String, Table, Text, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import visitors

from ..extensions import db
from . import generations

log = logging.getLogger(__name__)


class StoredFigure(db.Model):
    __tablename__ = "stored_figures"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # JSON
    # The tables the entry was computed from (comma-separated); NULL: recomputed after any change of its topic.
    inputs: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Entry:
    payload: object  # JSON-serialisable
    inputs: frozenset[str] | None = None


@dataclass(frozen=True)
class Precomputed:
    """A figure kept in ``stored_figures``: ``keys()`` the entries to fill at a commit that changes ``topic``
    (e.g. today's), ``compute(keys)`` → {key: Entry} (run inside the committing transaction); a table of
    ``always`` written makes every entry recomputed, whatever its inputs (inputs read outside its SQL)."""

    topic: str
    name: str
    keys: Callable[[], list[str]]
    compute: Callable[[list[str]], dict[str, Entry]]
    always: Callable[[], frozenset[str]] = frozenset


_registered: dict[str, Precomputed] = {}


def register(figure: Precomputed) -> Precomputed:
    _registered[figure.name] = figure
    return figure


def registered() -> dict[str, Precomputed]:
    return dict(_registered)


_LOAD = (select(StoredFigure.key, StoredFigure.payload)
         .where(StoredFigure.name == bindparam("name"), StoredFigure.generation == bindparam("generation"),
                StoredFigure.key.in_(bindparam("keys", expanding=True))))


_PREFETCHED = "stored_figures_prefetched"  # session.info key: (name, generation) → (keys asked, payloads found)


def load(name: str, generation: int | None, keys: list[str]) -> dict[str, object]:
    """The stored payloads of ``keys`` for ``generation`` (one query, none when ``prefetch`` asked for them all;
    absent keys are left out)."""
    if generation is None or not keys:
        return {}
    prefetched = db.session.info.get(_PREFETCHED, {}).get((name, generation))
    if prefetched is not None and prefetched[0].issuperset(keys):
        return {key: prefetched[1][key] for key in keys if key in prefetched[1]}
    rows = db.session.connection().execute(_LOAD, {"name": name, "generation": generation, "keys": list(keys)})
    return {key: json.loads(payload) for key, payload in rows}


def stored_frozen(name: str, topic: str, key: str):
    """The payload stored under ``key`` for ``topic``'s current generation, frozen to be shared (``stored=`` of
    ``generations.cached``), or None."""
    value = load(name, generations.current(topic), [key]).get(key)
    return None if value is None else generations.freeze(value)


_PREFETCH = (select(StoredFigure.name, StoredFigure.key, StoredFigure.payload)
             .where(StoredFigure.generation == bindparam("generation"),
                    StoredFigure.name.in_(bindparam("names", expanding=True)),
                    StoredFigure.key.in_(bindparam("keys", expanding=True))))


def prefetch(generation: int | None, wanted: dict[str, list[str]]) -> None:
    """Load several figures of one generation ({name: keys}) in ONE query, for this session's later ``load``s
    of them (a page that reads several figures). Kept in the session, under the generation."""
    store = db.session.info.setdefault(_PREFETCHED, {})
    if generation is None:
        return
    # what an earlier prefetch of this session holds already is not asked again
    wanted = {name: keys for name, keys in wanted.items()
              if keys and not ((name, generation) in store and store[(name, generation)][0].issuperset(keys))}
    if not wanted:
        return
    keys = sorted({key for names_keys in wanted.values() for key in names_keys})
    found: dict[str, dict[str, object]] = {name: {} for name in wanted}
    for name, key, payload in db.session.connection().execute(
            _PREFETCH, {"generation": generation, "names": sorted(wanted), "keys": keys}):
        if key in wanted[name]:
            found[name][key] = json.loads(payload)
    for name, name_keys in wanted.items():
        store[(name, generation)] = (frozenset(name_keys), found[name])


def previous(session, name: str, topic: str, key: str):
    """For a precompute (inside the committing transaction, after its bump of ``topic``): the payload of ``key``
    stored for the generation before this transaction's, or None (none stored, or the transaction bumped more
    than once). A figure can then recompute only what the transaction changed."""
    connection = session.connection()
    generation = connection.execute(select(generations.DataGeneration.value)
                                    .where(generations.DataGeneration.topic == topic)).scalar()
    if generation is None:
        return None
    payload = connection.execute(select(StoredFigure.payload).where(
        StoredFigure.name == name, StoredFigure.key == key, StoredFigure.generation == generation - 1)).scalar()
    return None if payload is None else json.loads(payload)


def statement_tables(statement) -> frozenset[str]:
    """The names of the tables a statement reads (for ``Entry.inputs``)."""
    return frozenset(element.name for element in visitors.iterate(statement) if isinstance(element, Table))


def _upsert(dialect_name: str):
    table = StoredFigure.__table__
    insert = postgresql_insert if dialect_name == "postgresql" else sqlite_insert
    statement = insert(table)
    return statement.on_conflict_do_update(index_elements=["name", "key"], set_={
        "generation": statement.excluded.generation, "payload": statement.excluded.payload,
        "inputs": statement.excluded.inputs})


def _refill(session, figure: Precomputed, generation: int, written: frozenset[str]) -> tuple[int, int]:
    """Store ``figure``'s entries for ``generation``; returns (carried over, computed)."""
    connection = session.connection()
    keys = figure.keys()
    if not keys:
        return 0, 0
    previous = {}
    if not (written & figure.always()):
        # The bump added one to the value the row had (its lock held since): that generation's entries.
        previous = dict(connection.execute(
            select(StoredFigure.key, StoredFigure.inputs).where(
                StoredFigure.name == figure.name, StoredFigure.generation == generation - 1,
                StoredFigure.key.in_(keys), StoredFigure.inputs.is_not(None))).all())
    kept = [key for key, inputs in previous.items() if not written & set(filter(None, inputs.split(",")))]
    if kept:
        connection.execute(update(StoredFigure).where(
            StoredFigure.name == figure.name, StoredFigure.generation == generation - 1,
            StoredFigure.key.in_(kept)).values(generation=generation))
    # Entries no longer wanted (a past day's) go: the table holds about one day of each figure.
    connection.execute(delete(StoredFigure).where(StoredFigure.name == figure.name, StoredFigure.key.not_in(keys)))
    missing = [key for key in keys if key not in set(kept)]
    if missing:
        entries = figure.compute(missing)
        rows = [{"name": figure.name, "key": key, "generation": generation,
                 "payload": json.dumps(entry.payload, separators=(",", ":"), ensure_ascii=False),
                 "inputs": None if entry.inputs is None else ",".join(sorted(entry.inputs))}
                for key, entry in entries.items()]
        if rows:
            connection.execute(_upsert(connection.dialect.name), rows)
    return len(kept), len(missing)


def _is_app_session(session) -> bool:
    """The figures are computed through ``db.session``: a commit of another session (a job's own) stores none."""
    try:
        return db.session.registry.has() and db.session.registry() is session
    except RuntimeError:  # no application context
        return False


def _after_bump(session, topics: frozenset[str], written: frozenset[str]) -> None:
    figures = [figure for figure in _registered.values() if figure.topic in topics]
    if not figures or not _is_app_session(session):
        return
    connection = session.connection()
    values = dict(connection.execute(select(generations.DataGeneration.topic, generations.DataGeneration.value)
                                     .where(generations.DataGeneration.topic.in_({f.topic for f in figures}))).all())
    # Stored figures are shared by every reader: they must not depend on the writer's language (and the
    # locale the computation looks up must not stay behind in the context for what runs after the commit).
    with force_locale("zh_CN"):
        _refill_all(session, connection, figures, values, written)


def _refill_all(session, connection, figures, values, written) -> None:
    for figure in figures:
        savepoint = connection.begin_nested()
        try:
            _refill(session, figure, values[figure.topic], written)
        except Exception:  # readers compute what is missing; the writer's change must commit
            savepoint.rollback()
            log.exception("precomputing %s failed; readers will compute it", figure.name)
        else:
            savepoint.commit()


generations.after_bump.append(_after_bump)
