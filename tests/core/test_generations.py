"""The generation-keyed caches (supervision/core/generations.py ``cached``) cannot be misused: what they
serve is immutable, and a computation that reads a table its topic does not watch fails."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

import pytest
from flask import current_app
from sqlalchemy import func, select, text

from supervision.companies.models import Company
from supervision.core import generations
from supervision.core.generations import UndeclaredInput, cached, freeze, reads_recorded, watched_tables
from supervision.credit.models import SCORES_TOPIC, CreditEvent
from supervision.extensions import db
from supervision.regions.models import Street


@dataclasses.dataclass(frozen=True)
class Frozen:
    name: str
    values: tuple


@dataclasses.dataclass
class Plain:
    name: str


def test_freeze_turns_containers_read_only():
    value = freeze({"rows": [1, 2], "tags": {"a"}, "nested": {"x": [Decimal("1.5")]}})
    assert isinstance(value, MappingProxyType)
    assert value["rows"] == (1, 2) and value["tags"] == frozenset({"a"})
    assert value["nested"]["x"] == (Decimal("1.5"),)
    with pytest.raises(TypeError):
        value["rows"] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        value["nested"]["y"] = 1  # type: ignore[index]


def test_freeze_refuses_what_it_cannot_make_read_only():
    assert freeze(Frozen("a", (1, 2))) == Frozen("a", (1, 2))
    with pytest.raises(TypeError, match="Plain is not a frozen dataclass"):
        freeze([Plain("a")])
    with pytest.raises(TypeError, match=r"value\.values\[0\]"):
        freeze(Frozen("a", ([1],)))  # a frozen dataclass holding a list: its list could still change
    with pytest.raises(TypeError, match="not a Street"):
        freeze({"street": Street(name="东城")})  # an ORM row is mutable and bound to a session


def test_freeze_remembers_atoms_by_type_but_not_through_a_proxy():
    """Whether a type is an atom is remembered per type (``isinstance`` on ``Fraction`` is slow), except for a
    proxy, whose answer is the object it stands for."""
    from werkzeug.local import LocalProxy

    assert freeze(Frozen("a", (Fraction(1, 3), Decimal("1.5")))) == Frozen("a", (Fraction(1, 3), Decimal("1.5")))
    assert freeze(LocalProxy(lambda: "text")) == "text"
    with pytest.raises(TypeError, match="must be immutable"):
        freeze(LocalProxy(lambda: Plain("x")))  # a proxy of the same type, standing for something mutable
    with pytest.raises(TypeError):
        freeze(Frozen("a", (Plain("x"),)))


def test_cached_serves_read_only_values(app):
    first = cached(SCORES_TOPIC, "test_cache_freeze", 4, ("k",), lambda: {"total": [1, 2]})
    with pytest.raises(TypeError):
        first["total"] = []  # type: ignore[index]
    assert first["total"] == (1, 2)
    with pytest.raises(TypeError, match="must be immutable"):
        cached(SCORES_TOPIC, "test_cache_freeze", 4, ("plain",), lambda: Plain("x"))


def test_reads_are_recorded_per_table(world):
    with reads_recorded() as tables:
        db.session.scalar(select(func.count(Company.id)))
        db.session.scalar(select(CreditEvent.id).join(Company, Company.id == CreditEvent.company_id).limit(1))
    assert tables == {"companies", "credit_events"}


def test_a_computation_that_reads_an_undeclared_table_fails(world):
    assert "credit_events" in watched_tables(SCORES_TOPIC) and "streets" not in watched_tables(SCORES_TOPIC)
    assert current_app.config["CHECK_CACHE_INPUTS"]

    def reads_streets():  # a new input added to a credit computation without generations.watch(...)
        return db.session.scalar(select(func.count(Company.id))) + db.session.scalar(select(func.count(Street.id)))

    with pytest.raises(UndeclaredInput, match="streets"):
        cached(SCORES_TOPIC, "test_cache_inputs", 4, ("streets",), reads_streets)
    declared = cached(SCORES_TOPIC, "test_cache_inputs", 4, ("companies",),
                      lambda: db.session.scalar(select(func.count(Company.id))))
    assert declared == 2


def test_a_generation_read_inside_the_computation_is_not_an_input(world):
    assert cached(SCORES_TOPIC, "test_cache_inputs", 4, ("generation",),
                  lambda: generations.current("some_topic")) is None


def test_sql_text_cannot_be_checked_and_fails(world):
    with pytest.raises(UndeclaredInput, match="SQL text"):
        cached(SCORES_TOPIC, "test_cache_inputs", 4, ("text",),
               lambda: db.session.execute(text("SELECT count(*) FROM companies")).scalar())


def test_writes_flushed_by_the_computation_are_not_inputs(world):
    world.street1.name = "东城街道（新）"  # pending: the computation's first query flushes it

    def compute():
        return db.session.scalar(select(func.count(Company.id)))

    assert cached(SCORES_TOPIC, "test_cache_inputs", 4, ("flush",), compute) == 2
    db.session.rollback()
