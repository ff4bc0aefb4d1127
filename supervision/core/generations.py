"""Data generations: a counter per topic that changes whenever the data behind the topic changes.

A computation over much of the database (e.g. the credit score table) can then be cached per
process under ``(…, current(topic))`` and be reused until the next change, in every worker:
reading the generation is one primary-key query.

A feature declares what its topic depends on::

    generations.watch("credit", CreditEvent, CreditRuleItem, …)            # any change to these
    generations.watch("credit", Company, attributes={"name", "archived_at"})  # only these columns

Every ORM flush that inserts, deletes or changes a watched instance (or watched attribute), and
every statement run through the session that writes a watched table (``session.execute(insert(T))``,
``update``, ``delete``), marks the session; the generation is bumped in the same transaction just
before it commits, so other processes see the new value exactly when they can see the new data.
Code that writes a watched table past the session (``session.connection().execute(…)``) must call
``wrote(session, table_name, …)`` (or ``bump(connection, topic)``) itself.

Until its transaction ends, a session that changed a topic reads ``current(topic)`` as ``None``:
its uncommitted data must not be cached under any generation (a rollback would leave the entry
behind). A topic without a row (a new database) is ``None`` as well; the first change creates the
row with a random start, so a table emptied and refilled (the tests) never repeats a generation
(the migration that adds the table creates the "credit" row the same way).
"""
from __future__ import annotations

import contextvars
import dataclasses
import functools
import secrets
import threading
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from types import FunctionType, MappingProxyType

from flask import current_app
from flask_babel.speaklater import LazyString
from markupsafe import Markup
from sqlalchemy import BigInteger, String, Table, bindparam, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import TextClause

from ..extensions import db
from .timeutil import utcnow
from .types import UTCDateTime

_PENDING = "data_generation_topics"  # session.info key: topics changed in the current transaction
_READ = "data_generation_values"  # session.info key: topic → value read in the current transaction
_TABLES = "data_generation_tables"  # session.info key: watched tables written in the current transaction
_PAST_ORM = "data_generation_tables_past_orm"  # session.info key: those of them written past the ORM (``wrote``)

# Called at the outermost commit, after the bump, with (session, bumped topics, written tables): e.g.
# ``core.figures`` stores the figures of the new generations in the same transaction.
after_bump: list = []


class DataGeneration(db.Model):
    __tablename__ = "data_generations"

    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # When the value last changed (the app's clock): e.g. the public portal's Last-Modified.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# class → [(topic, attribute names or None for any change)]
_watched_classes: dict[type, list[tuple[str, frozenset[str] | None]]] = {}
_watched_tables: dict[str, set[str]] = {}  # table name → topics


def watch(topic: str, *classes: type, attributes: set[str] | None = None) -> None:
    """Bump ``topic`` when an instance of one of ``classes`` (or one of its ``attributes``) changes.

    A plain ``Table`` (an association table) may be named too: statements run through the session
    that write it bump the topic; the ORM writes it through a relationship of a watched class."""
    for cls in classes:
        if isinstance(cls, Table):
            _watched_tables.setdefault(cls.name, set()).add(topic)
            continue
        entry = (topic, frozenset(attributes) if attributes else None)
        if entry not in _watched_classes.setdefault(cls, []):
            _watched_classes[cls].append(entry)
        _watched_tables.setdefault(cls.__table__.name, set()).add(topic)


def current(topic: str, session: Session | None = None) -> int | None:
    """The topic's generation (None: no row yet, or this session changed the topic uncommitted)."""
    session = session or db.session
    if topic in session.info.get(_PENDING, ()):
        return None
    known = session.info.setdefault(_READ, {})
    if topic in known:  # read once per transaction (a change of the topic forgets it) …
        if session.autoflush:
            session.flush()  # … but flush what the next query would, as the read would have
        if topic in session.info.get(_PENDING, ()):
            return None
        return known[topic]
    value = session.execute(select(DataGeneration.value).where(DataGeneration.topic == topic)).scalar()
    if topic in session.info.get(_PENDING, ()):  # the read autoflushed a change of the topic
        return None
    known[topic] = value
    return value


_SNAPSHOT = (select(DataGeneration.topic, DataGeneration.value, DataGeneration.changed_at)
             .where(DataGeneration.topic.in_(bindparam("topics", expanding=True))))


def snapshot(topics) -> tuple[tuple[int, ...], datetime | None] | None:
    """The generations of several ``topics`` in one query, and the latest time one of them changed;
    None when one of them has no generation to key a cache by (see ``current``)."""
    session = db.session
    topics = tuple(topics)
    pending = session.info.get(_PENDING, ())
    if any(topic in pending for topic in topics):
        return None
    # Core on the session's connection, a statement built once: pages read this on every request.
    rows = {topic: (value, changed_at) for topic, value, changed_at in session.connection().execute(
        _SNAPSHOT, {"topics": list(topics)})}
    if any(topic in session.info.get(_PENDING, ()) for topic in topics) or len(rows) < len(set(topics)):
        return None
    known = session.info.setdefault(_READ, {})
    for topic, (value, _changed_at) in rows.items():
        known[topic] = value
    times = [changed_at for _value, changed_at in rows.values() if changed_at is not None]
    return tuple(rows[topic][0] for topic in topics), (max(times) if times else None)


@functools.cache
def _bump_statement(dialect_name: str):
    # Built once per dialect: every committing transaction that changed watched data runs it.
    table = DataGeneration.__table__
    insert = postgresql_insert if dialect_name == "postgresql" else sqlite_insert
    statement = insert(table).values(topic=bindparam("topic"), value=bindparam("start"),
                                     changed_at=bindparam("now", type_=table.c.changed_at.type))
    return statement.on_conflict_do_update(index_elements=["topic"], set_={
        "value": table.c.value + 1, "changed_at": statement.excluded.changed_at})


def bump(connection, *topics: str) -> None:
    """Change the topics' generations now, inside the connection's transaction (one statement)."""
    now = utcnow()
    rows = [{"topic": topic, "start": secrets.randbits(62), "now": now} for topic in topics]
    if rows:
        connection.execute(_bump_statement(connection.dialect.name), rows)


def mark(session: Session, topic: str) -> None:
    """Record that ``topic`` changed in the session's current transaction (bumped at commit)."""
    session.info.setdefault(_PENDING, set()).add(topic)
    session.info.get(_READ, {}).pop(topic, None)


def wrote(session: Session, *table_names: str) -> None:
    """Record that the session's transaction wrote these tables past the ORM (bulk Core inserts on
    ``session.connection()``): their topics are bumped when it commits."""
    for name in table_names:
        for topic in _watched_tables.get(name, ()):
            mark(session, topic)
        if name in _watched_tables:
            session.info.setdefault(_TABLES, set()).add(name)
            session.info.setdefault(_PAST_ORM, set()).add(name)


def written_tables(session: Session) -> frozenset[str]:
    """The watched tables the session's current transaction wrote (so far)."""
    return frozenset(session.info.get(_TABLES, ()))


def written_past_orm(session: Session) -> frozenset[str]:
    """Those of ``written_tables`` that were written past the ORM's flush (``wrote``): which rows, no one knows."""
    return frozenset(session.info.get(_PAST_ORM, ()))


def _changed(obj, attributes: frozenset[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    if not _watched_classes:
        return
    for obj in (*session.new, *session.deleted):
        for topic, _attributes in _watched_classes.get(type(obj), ()):
            mark(session, topic)
            session.info.setdefault(_TABLES, set()).add(obj.__table__.name)
    for obj in session.dirty:
        for topic, attributes in _watched_classes.get(type(obj), ()):
            if session.is_modified(obj) if attributes is None else _changed(obj, attributes):
                mark(session, topic)
                session.info.setdefault(_TABLES, set()).add(obj.__table__.name)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    for topic in _watched_tables.get(name, ()):
        mark(state.session, topic)
    if name in _watched_tables:
        state.session.info.setdefault(_TABLES, set()).add(name)


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    """Bump the topics changed in this transaction, just before it (or a savepoint) commits."""
    session.flush()  # what the commit is about to flush may change a topic too
    topics = session.info.get(_PENDING)
    if topics:
        bump(session.connection(), *sorted(topics))
        if not session.in_nested_transaction():
            for hook in after_bump:
                hook(session, frozenset(topics), written_tables(session))


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    # Only the outermost transaction's end (commit, rollback or close) ends "uncommitted".
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_READ, None)
        session.info.pop(_TABLES, None)
        session.info.pop(_PAST_ORM, None)


def cached(topic: str, name: str, size: int, key: tuple, compute, stored=None):
    """``compute()``, kept per process in ``app.extensions[name]`` (an LRU of ``size`` entries) under
    ``key`` and the topic's generation; computed live when there is no generation to key it by (a new
    database, or this transaction changed the topic).

    Two rules make the cache safe to use (docs/DEVELOPING.md, "Caches"):

    - the value is shared by every request of the process, so it must be immutable: ``freeze`` turns
      lists, dicts and sets into tuples, read-only mappings and frozensets, and refuses any other
      mutable object (a plain dataclass, an ORM row) with a ``TypeError``;
    - the topic's ``watch`` list declares every input: with ``CHECK_CACHE_INPUTS`` (on in the tests)
      ``compute()`` runs under ``reads_recorded()``, and a table it read that no ``watch`` of the
      topic names raises ``UndeclaredInput`` (a change to it would not change the generation, and
      stale figures would be served).

    ``stored()``, when given, is tried first: a value the committing transaction stored for this generation
    (``core.figures``), immutable as built (not checked again), or None to compute.
    """
    def checked():
        if stored is not None:
            value = stored()
            if value is not None:
                return value
        return computed_checked(topic, name, compute)

    generation = current(topic)
    if generation is None:
        return checked()
    return process_cache(name, size).get((*key, generation), checked)


def computed_checked(topic: str, name: str, compute):
    """``freeze(compute())``; with ``CHECK_CACHE_INPUTS`` (or debug) it also checks that every table the
    computation read is watched by ``topic`` (see ``cached``)."""
    if not (current_app.config.get("CHECK_CACHE_INPUTS") or current_app.debug):
        return freeze(compute())
    with reads_recorded() as tables:
        value = compute()
    # The generations and the figures stored under them (``core.figures``) are keyed by it, not inputs.
    undeclared = sorted(tables - watched_tables(topic) - {DataGeneration.__tablename__, "stored_figures"})
    if undeclared:
        raise UndeclaredInput(f"{name}: the computation read {', '.join(undeclared)}, which no "
                              f"generations.watch({topic!r}, …) declares")
    return freeze(value)


def process_cache(name: str, size: int) -> LRUCache:
    """The process's ``LRUCache`` kept as ``app.extensions[name]`` (made on first use)."""
    cache = current_app.extensions.get(name)
    if cache is None:
        cache = current_app.extensions[name] = LRUCache(size)
    return cache


def cached_if_present(topic: str, name: str, key: tuple):
    """What ``cached(topic, name, …, key, …)`` holds for the topic's current generation, or None: computes
    nothing (a page that can do with less than the whole value when it is not there yet)."""
    generation = current(topic)
    cache = current_app.extensions.get(name)
    if generation is None or cache is None:
        return None
    return cache.peek((*key, generation))


def watched_tables(topic: str) -> set[str]:
    """The tables a ``watch`` of ``topic`` names (all its columns or some)."""
    return {table for table, topics in _watched_tables.items() if topic in topics}


class UndeclaredInput(AssertionError):
    """A cached computation read a table its topic does not watch."""


_recording: contextvars.ContextVar[set | None] = contextvars.ContextVar("generations_reads", default=None)


@contextmanager
def reads_recorded():
    """The names of the tables the queries run inside the block read (writes are not counted)."""
    tables: set[str] = set()
    token = _recording.set(tables)
    try:
        yield tables
    finally:
        _recording.reset(token)


@event.listens_for(Engine, "before_cursor_execute")
def _record_reads(conn, cursor, statement, parameters, context, executemany):
    tables = _recording.get()
    if tables is None:
        return
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return  # a flush of earlier changes the computation's first query set off, not an input
    compiled = getattr(context, "compiled", None)
    if compiled is None or getattr(compiled, "statement", None) is None or isinstance(compiled.statement, TextClause):
        raise UndeclaredInput(f"a cached computation ran SQL text whose tables are unknown: {statement[:80]}")
    tables.update(element.name for element in visitors.iterate(compiled.statement)
                  if isinstance(element, Table))


# Functions count as constants here: a frozen dataclass may name its rules (an indicator's query).
_IMMUTABLE_ATOMS = (str, bytes, int, float, complex, bool, Decimal, Fraction, date, time, timedelta, Enum,
                    type(None), LazyString, Markup, FunctionType)


_ATOM_TYPES: dict[type, bool] = {}  # type → whether it is one of _IMMUTABLE_ATOMS (isinstance is slow on Fraction)


def _is_atom(value) -> bool:
    cls = type(value)
    known = _ATOM_TYPES.get(cls)
    if known is None:
        known = isinstance(value, _IMMUTABLE_ATOMS)
        if value.__class__ is cls:  # not a proxy, whose answer depends on what it stands for
            _ATOM_TYPES[cls] = known
    return known


def freeze(value, _path: str = "value"):
    """``value`` made safe to share: lists and tuples → tuples, sets → frozensets, dicts → read-only
    mappings (recursively); a frozen dataclass is kept if its fields hold immutable values only;
    anything else mutable (a plain dataclass, an ORM row) raises ``TypeError``."""
    if _is_atom(value):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v, f"{_path}[{i}]") for i, v in enumerate(value))
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v, f"{_path}{{}}") for v in value)
    if isinstance(value, (dict, MappingProxyType)):
        return MappingProxyType({freeze(k, f"{_path} key"): freeze(v, f"{_path}[{k!r}]") for k, v in value.items()})
    check_immutable(value, _path)
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # frozen dataclass → its field names (dataclasses.fields is slow)


def check_immutable(value, _path: str = "value", _seen: set | None = None) -> None:
    """Raise ``TypeError`` unless ``value`` is immutable all the way down (atoms, tuples, frozensets,
    read-only mappings, frozen dataclasses of those)."""
    if _is_atom(value):
        return
    # An object met again (the same row in a table's list and in its index) is checked once.
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (tuple, frozenset)):
        for i, item in enumerate(value):
            if not _is_atom(item):  # atoms inline: a table holds thousands
                check_immutable(item, f"{_path}[{i}]", seen)
        return
    if isinstance(value, MappingProxyType):
        for key, item in value.items():
            if not _is_atom(key):
                check_immutable(key, f"{_path} key", seen)
            if not _is_atom(item) and id(item) not in seen:
                check_immutable(item, f"{_path}[{key!r}]", seen)
        return
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not cls.__dataclass_params__.frozen:
            raise TypeError(f"{_path}: a cached value must be immutable; {cls.__name__} is not a "
                            "frozen dataclass")
        names = _FIELD_NAMES[cls] = tuple(item.name for item in dataclasses.fields(value))
    if names is not None:
        for name in names:
            item = getattr(value, name)
            if not _is_atom(item):
                check_immutable(item, f"{_path}.{name}", seen)
        return
    raise TypeError(f"{_path}: a cached value must be immutable, not a {cls.__name__}")


class LRUCache:
    """A few recent values per process, e.g. keyed by ``(…, current(topic))``; thread-safe.

    ``get(key, compute)`` returns the stored value or stores and returns ``compute()`` (computed
    outside the lock: two threads may both compute a missing key, and both get a right value).
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._entries: dict = {}
        self._lock = threading.Lock()

    def peek(self, key):
        """The stored value or None (its recency unchanged)."""
        with self._lock:
            return self._entries.get(key)

    def get(self, key, compute):
        if self.size <= 0:
            return compute()
        with self._lock:
            if key in self._entries:
                value = self._entries.pop(key)
                self._entries[key] = value  # now the most recent
                return value
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))
        return value

    def lookup(self, key, default=None):
        """The stored value (now the most recent), or ``default``; never computes."""
        with self._lock:
            if key not in self._entries:
                return default
            value = self._entries.pop(key)
            self._entries[key] = value
            return value

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
