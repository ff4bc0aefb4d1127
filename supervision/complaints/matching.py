"""Free-text addresses (诉求地址) matched to estates, with a confidence (0–100).

The rules, strongest first: the estate's name inside the text (95, the longest name wins), one of
its aliases (90: names a clerk confirmed earlier, kept in ``EstateAlias``), its registered address
(85); otherwise the longest run of characters shared with a name (at most 70). At ``AUTO_MATCH``
or above the complaint is placed; below, it waits in the clerk's queue.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ..estates.models import Estate
from ..extensions import db

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


class Matcher:
    """Loads every active estate once; ``match`` is then pure Python (an import of 10,000 rows)."""

    def __init__(self):
        self.estates = [(row.id, normalise(row.name), normalise(row.address), row.name) for row in db.session.execute(
            select(Estate.id, Estate.name, Estate.address).where(Estate.archived_at.is_(None)))]
        names = {estate_id: name for estate_id, _n, _a, name in self.estates}
        self.aliases = [(row.estate_id, normalise(row.alias), names.get(row.estate_id, ""))
                        for row in db.session.execute(select(EstateAlias.estate_id, EstateAlias.alias))
                        if row.estate_id in names]

    def candidates(self, text: str | None, limit: int = 3) -> list[Candidate]:
        wanted = normalise(text)
        if not wanted:
            return []
        best: dict[int, Candidate] = {}

        def offer(estate_id, name, confidence):
            if estate_id not in best or best[estate_id].confidence < confidence:
                best[estate_id] = Candidate(estate_id, name, confidence)

        for estate_id, name, address, label in self.estates:
            if len(name) >= 2 and name in wanted:
                offer(estate_id, label, 95 if len(name) >= 3 else 85)
            elif len(address) >= 4 and address in wanted:
                offer(estate_id, label, 85)
        for estate_id, alias, label in self.aliases:
            if len(alias) >= 2 and alias in wanted:
                offer(estate_id, label, 90)
        if not best:
            for estate_id, name, _address, label in self.estates:
                if not name:
                    continue
                block = SequenceMatcher(None, name, wanted, autojunk=False).find_longest_match(
                    0, len(name), 0, len(wanted))
                if block.size >= 2:
                    offer(estate_id, label, int(70 * block.size / len(name)))
        ranked = sorted(best.values(), key=lambda c: (-c.confidence, -len(c.name), c.estate_id))
        # Two estates equally sure: nobody can tell which; the clerk decides.
        return ranked[:limit]

    def match(self, text: str | None) -> tuple[int | None, int | None]:
        """(estate id, confidence): the estate when sure enough, else (None, best confidence)."""
        ranked = self.candidates(text, limit=2)
        if not ranked:
            return None, None
        top = ranked[0]
        tied = len(ranked) > 1 and ranked[1].confidence == top.confidence and len(ranked[1].name) == len(top.name)
        if top.confidence >= AUTO_MATCH and not tied:
            return top.estate_id, top.confidence
        return None, top.confidence


def add_alias(estate: Estate, alias: str) -> EstateAlias:
    alias = alias.strip()
    existing = db.session.scalar(select(EstateAlias).where(EstateAlias.alias == alias))
    if existing is not None:
        return existing
    row = EstateAlias(estate_id=estate.id, alias=alias)
    db.session.add(row)
    db.session.flush()
    return row
