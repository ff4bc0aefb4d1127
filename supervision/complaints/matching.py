"""Free-text addresses (诉求地址) matched to estates, with a confidence (0–100).

The rules, strongest first: the estate's name inside the text (95, the longest name wins), one of
its aliases (90, kept in ``EstateAlias``), its registered address (85); otherwise the longest run of
characters shared with a name (at most 70). The estate's street named in the text adds 4. At ``AUTO_MATCH``
or above the complaint is placed; below, it waits in the clerk's queue.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from flask import current_app
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ..core import generations
from ..estates.models import Estate
from ..extensions import db
from ..regions.models import Street

AUTO_MATCH = 80
_NOISE = re.compile(r"[\s,，。.、:：;；()（）\-—#\"“”]+")


class EstateAlias(db.Model):
    """Another name an estate goes by in owners' and hotline addresses (read by the matcher only)."""

    __tablename__ = "estate_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    alias: Mapped[str] = mapped_column(String(128), unique=True)


def normalise(text: str | None) -> str:
    return _NOISE.sub("", text or "")


@dataclass(frozen=True)
class Candidate:
    estate_id: int
    name: str
    confidence: int


MATCHER_TOPIC = "complaint_matcher"
generations.watch(MATCHER_TOPIC, Estate, attributes={"name", "address", "street_id", "archived_at"})
generations.watch(MATCHER_TOPIC, Street, attributes={"name"})
generations.watch(MATCHER_TOPIC, EstateAlias)


def _index():
    """The active estates' normalised names, addresses, streets and aliases, with a bigram index."""
    rows = db.session.execute(select(Estate.id, Estate.name, Estate.address, Street.name)
                              .join(Street, Street.id == Estate.street_id)
                              .where(Estate.archived_at.is_(None))).all()
    estates = [(row[0], normalise(row[1]), normalise(row[2]), row[1]) for row in rows]
    streets = {row[0]: normalise(row[3]) for row in rows}
    names = {estate_id: name for estate_id, _n, _a, name in estates}
    aliases = [(row.estate_id, normalise(row.alias), names.get(row.estate_id, ""))
               for row in db.session.execute(select(EstateAlias.estate_id, EstateAlias.alias))
               if row.estate_id in names]
    # bigram → the estates whose name holds it, and the estates whose name or address starts with
    # it: each pass looks only at the estates the text can name.
    bigrams: dict[str, set[int]] = {}
    starts: dict[str, list] = {}
    for estate in estates:
        estate_id, name, address, _label = estate
        for i in range(len(name) - 1):
            bigrams.setdefault(name[i:i + 2], set()).add(estate_id)
        for text in {name[:2], address[:2]}:
            if len(text) == 2:
                starts.setdefault(text, []).append(estate)
    by_id = {estate_id: (name, label) for estate_id, name, _a, label in estates}
    # Made immutable as it is built (shared by the process's requests): freeze's walk over its 150,000
    # entries at 100× would double the rebuild after a change.
    return _Index(streets=MappingProxyType(streets), aliases=tuple(aliases), by_id=MappingProxyType(by_id),
                  bigrams=MappingProxyType({pair: frozenset(ids) for pair, ids in bigrams.items()}),
                  starts=MappingProxyType({pair: tuple(rows) for pair, rows in starts.items()}))


@dataclass(frozen=True)
class _Index:
    streets: Mapping[int, str]
    aliases: tuple
    by_id: Mapping[int, tuple[str, str]]
    bigrams: Mapping[str, frozenset[int]]
    starts: Mapping[str, tuple]


def _matcher_index() -> _Index:
    """``_index()`` kept per process by the ``complaint_matcher`` generation (live when it has none, or this
    transaction changed an estate)."""
    generation = generations.current(MATCHER_TOPIC)
    if generation is None:
        return _index()
    return generations.process_cache("complaint_matcher", 1).get((generation,), _checked_index)


def _checked_index() -> _Index:
    """``_index()``; with ``CHECK_CACHE_INPUTS`` (on in the tests) or debug, every table it read must be watched by
    ``complaint_matcher`` (generations.cached's rule; its ``freeze`` walk is what ``_index`` does without)."""
    if not (current_app.config.get("CHECK_CACHE_INPUTS") or current_app.debug):
        return _index()
    with generations.reads_recorded() as tables:
        index = _index()
    undeclared = sorted(tables - generations.watched_tables(MATCHER_TOPIC))
    if undeclared:
        raise generations.UndeclaredInput(f"complaint_matcher read {', '.join(undeclared)}, which it does not watch")
    return index


def _longest_shared(name: str, wanted: str) -> int:
    """The length of the longest run of ``name`` found in ``wanted`` (as difflib's longest match without
    junk, in a few ``in`` tests: names are short)."""
    for size in range(len(name), 0, -1):
        for start in range(len(name) - size + 1):
            if name[start:start + size] in wanted:
                return size
    return 0


class Matcher:
    """Matches texts against every active estate; ``match`` is pure Python (an import of 10,000 rows).

    The estates' index is kept per process until an estate's name, address, street or state, a street's
    name or an alias changes (generation ``complaint_matcher``): the clerk's queue and each hotline
    ticket no longer read and index the whole district.

    Names repeat across streets (two 阳光花园): when the text also names the street of one of the
    equally good candidates, that one wins (+4); otherwise a tie goes to the clerk."""

    def __init__(self):
        index = _matcher_index()
        self.streets, self.aliases, self.bigrams, self.starts, self.by_id = (
            index.streets, index.aliases, index.bigrams, index.starts, index.by_id)

    def candidates(self, text: str | None, limit: int = 3) -> list[Candidate]:
        wanted = normalise(text)
        if not wanted:
            return []
        best: dict[int, Candidate] = {}

        def offer(estate_id, name, confidence):
            street = self.streets.get(estate_id)
            if street and street in wanted:
                confidence = min(99, confidence + 4)
            if estate_id not in best or best[estate_id].confidence < confidence:
                best[estate_id] = Candidate(estate_id, name, confidence)

        pairs = {wanted[i:i + 2] for i in range(len(wanted) - 1)}
        seen = set()
        for pair in pairs:
            for estate in self.starts.get(pair, ()):
                seen.add(estate)
        for estate_id, name, address, label in seen:
            if len(name) >= 2 and name in wanted:
                offer(estate_id, label, 95 if len(name) >= 3 else 85)
            elif len(address) >= 4 and address in wanted:
                offer(estate_id, label, 85)
        for estate_id, alias, label in self.aliases:
            if len(alias) >= 2 and alias in wanted:
                offer(estate_id, label, 90)
        if not best:
            near = set()
            for pair in pairs:
                near |= self.bigrams.get(pair, set())
            for estate_id in near:
                name, label = self.by_id[estate_id]
                size = _longest_shared(name, wanted)
                if size >= 2:
                    offer(estate_id, label, min(70, int(70 * size / len(name))))
        return sorted(best.values(), key=lambda c: (-c.confidence, -len(c.name), c.estate_id))[:limit]

    def match(self, text: str | None) -> tuple[int | None, int | None]:
        """(estate id, confidence): the estate when sure enough, else (None, best confidence)."""
        return decide(self.candidates(text, limit=2))

    def match_with_suggestions(self, text: str | None) -> tuple[int | None, int | None, list[list[int]] | None]:
        """``match`` and, when it places nothing, the best three estates as stored in
        ``Complaint.match_suggestions`` ([[estate id, confidence], …])."""
        ranked = self.candidates(text, limit=SUGGESTIONS)
        estate_id, confidence = decide(ranked)
        return estate_id, confidence, (None if estate_id is not None else stored(ranked))


SUGGESTIONS = 3


def stored(ranked: list[Candidate]) -> list[list[int]]:
    """Candidates as ``Complaint.match_suggestions`` keeps them (the names are read when shown)."""
    return [[c.estate_id, c.confidence] for c in ranked[:SUGGESTIONS]]


def decide(ranked: list[Candidate]) -> tuple[int | None, int | None]:
    """The estate of the best candidate when sure enough and not tied, else (None, best confidence)."""
    if not ranked:
        return None, None
    top = ranked[0]
    tied = len(ranked) > 1 and ranked[1].confidence == top.confidence and len(ranked[1].name) == len(top.name)
    if top.confidence >= AUTO_MATCH and not tied:
        return top.estate_id, top.confidence
    return None, top.confidence


def suggestions_for(rows) -> dict[int, list[Candidate]]:
    """The clerk's queue's suggestions for a page of complaints (rows with ``id``, ``address``, ``description``
    and ``match_suggestions``): the estates stored when each was received, named as they are now (an estate
    archived since is left out) in one query. Rows from before the column (``None``) are matched live, which
    needs the whole district's index (kept per process). ``match_suggestions`` may be the column's JSON text."""
    kept = {row.id: json.loads(row.match_suggestions) if isinstance(row.match_suggestions, str)
            else row.match_suggestions for row in rows}
    stored_ids = {estate_id for pairs in kept.values() for estate_id, _c in (pairs or ())}
    names = dict(db.session.execute(select(Estate.id, Estate.name).where(
        Estate.id.in_(stored_ids), Estate.archived_at.is_(None))).all()) if stored_ids else {}
    matcher = Matcher() if any(pairs is None for pairs in kept.values()) else None
    result = {}
    for row in rows:
        pairs = kept[row.id]
        if pairs is None:
            result[row.id] = matcher.candidates(row.address or row.description)
        else:
            result[row.id] = [Candidate(estate_id, names[estate_id], confidence)
                              for estate_id, confidence in pairs if estate_id in names]
    return result


def add_alias(estate: Estate, alias: str) -> EstateAlias:
    alias = alias.strip()
    existing = db.session.scalar(select(EstateAlias).where(EstateAlias.alias == alias))
    if existing is not None:
        return existing
    row = EstateAlias(estate_id=estate.id, alias=alias)
    db.session.add(row)
    db.session.flush()
    return row
