"""The ladder's rungs and the legal-basis list, from seeds/enforcement/ladder.json (idempotent)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..seeding import load_json
from .models import Approver, EnforcementRung, LegalArticle


def _decimal(value):
    return None if value is None else Decimal(str(value))


def load_reference() -> None:
    data = load_json("enforcement/ladder.json")
    existing = {r.code: r for r in db.session.scalars(select(EnforcementRung))}
    # Levels are unique: move the existing rows out of the way before renumbering.
    for rung in existing.values():
        rung.level = -rung.id
    db.session.flush()
    for entry in data["rungs"]:
        rung = existing.get(entry["code"]) or EnforcementRung(code=entry["code"])
        rung.level, rung.name, rung.credit_item_code = entry["level"], entry["name"], entry.get("credit_item")
        rung.document, rung.doc_word = entry["document"], entry["doc_word"]
        rung.approver, rung.public = Approver(entry["approver"]), bool(entry.get("public"))
        rung.description = entry.get("description")
        db.session.add(rung)
    articles = {a.code: a for a in db.session.scalars(select(LegalArticle))}
    for entry in data["articles"]:
        article = articles.get(entry["code"]) or LegalArticle(code=entry["code"])
        article.article, article.summary, article.penalty = entry["article"], entry["summary"], entry["penalty"]
        article.min_amount, article.max_amount = _decimal(entry.get("min_amount")), _decimal(entry.get("max_amount"))
        db.session.add(article)
    db.session.flush()
