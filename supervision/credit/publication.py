"""Publication: every company's result on a day frozen under the rule set in force then, with its red
and black lists."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..extensions import db
from ..regions.services import bureau_name
from . import scoring, services
from .models import CreditEvent, CreditPublication, CreditPublicationRow, CreditRuleItem, CreditRulePart, CreditRuleSet


def latest(limit: int = 5) -> list[CreditPublication]:
    return list(db.session.scalars(select(CreditPublication).order_by(CreditPublication.published_at.desc())
                                   .limit(limit)))


def rows_of(statement, publication: CreditPublication) -> list[CreditPublicationRow]:
    """The publication's rows among ``statement`` (the user's visible rows), by position."""
    return list(db.session.scalars(
        statement.where(CreditPublicationRow.publication_id == publication.id)
        .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name)))


def listed_rows(publication: CreditPublication) -> list[CreditPublicationRow]:
    """The publication's red- and black-listed rows (published lists are public), by position."""
    return list(db.session.scalars(select(CreditPublicationRow).where(
        CreditPublicationRow.publication_id == publication.id,
        or_(CreditPublicationRow.red.is_(True), CreditPublicationRow.black.is_(True)))
        .order_by(CreditPublicationRow.position)))


def parts_of(publication: CreditPublication) -> list[CreditRulePart]:
    return list(db.session.scalars(select(CreditRulePart).where(CreditRulePart.rule_set_id == publication.rule_set_id)
                                   .order_by(CreditRulePart.sort_order)))


def competition_positions(totals: list[Decimal]) -> list[int]:
    """1, 2, 2, 4 …: equal scores share a position."""
    positions, previous = [], None
    for index, total in enumerate(totals, start=1):
        positions.append(positions[-1] if previous is not None and total == previous else index)
        previous = total
    return positions


def preview_publication(as_of: date) -> tuple[CreditRuleSet, list[scoring.ScoreRow]]:
    rule_set = services.rule_set_for(as_of)
    return rule_set, scoring.scores(rule_set, as_of)


def publish(*, name: str, as_of: date, notes: str | None = None, actor=None,
            on: date | None = None) -> CreditPublication:
    """Freeze every company's result on ``as_of`` under the rule set in force then."""
    on = on or local_today()
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写发布名称。"), field="name")
    if as_of > on:
        raise DomainError(_("评价截止日不能晚于今天。"), field="as_of")
    if db.session.scalar(select(CreditPublication.id).where(CreditPublication.name == name)):
        raise DomainError(_("已有名为“%(name)s”的发布，请换一个名称。", name=name), field="name")
    rule_set, rows = preview_publication(as_of)
    if not rows:
        raise DomainError(_("没有可评价的企业。"))
    black_notes = _black_list_notes(rule_set, as_of, [r.company_id for r in rows if r.black])
    publication = CreditPublication(
        name=name, as_of=as_of, rule_set_id=rule_set.id, rule_set_name=str(rule_set),
        bureau_name=bureau_name(),
        notes=(notes or "").strip() or None, published_by_id=getattr(actor, "id", None),
        company_count=len(rows), red_count=sum(r.red for r in rows), black_count=sum(r.black for r in rows))
    db.session.add(publication)
    db.session.flush()
    for row, position in zip(rows, competition_positions([r.total for r in rows])):
        note = black_notes.get(row.company_id)
        if row.override and not note:
            note = scoring.override_note(rule_set, row.override)
        db.session.add(CreditPublicationRow(
            publication_id=publication.id, company_id=row.company_id, company_name=row.name,
            credit_code=row.credit_code, position=position, base=row.base,
            parts={code: str(value) for code, value in row.parts.items()}, total=row.total,
            grade_code=row.grade.code, grade_label=row.grade.label, grade_rank=row.grade.rank,
            override=row.override, red=row.red, black=row.black, note=note))
    db.session.flush()
    record("credit.publish", publication, after={
        "name": name, "as_of": as_of, "rule_set": f"{rule_set.code} v{rule_set.version}",
        "companies": len(rows), "red": publication.red_count, "black": publication.black_count}, actor=actor)
    return publication


def _black_list_notes(rule_set: CreditRuleSet, as_of: date, company_ids: list[int]) -> dict[int, str]:
    """For black-listed companies: the serious records behind the listing (one query)."""
    if not company_ids:
        return {}
    recorded = aliased(CreditRuleItem)
    item = aliased(CreditRuleItem)
    rows = db.session.execute(
        select(CreditEvent.company_id, item.code, item.description, CreditEvent.occurred_on)
        .join(recorded, recorded.id == CreditEvent.item_id)
        .join(item, (item.code == recorded.code) & (item.rule_set_id == rule_set.id))
        .where(CreditEvent.company_id.in_(company_ids), item.blacklist.is_(True),
               scoring.counting_clause(as_of))
        .order_by(CreditEvent.company_id, CreditEvent.occurred_on)).all()
    notes: dict[int, list[str]] = {}
    for company_id, code, description, occurred_on in rows:
        notes.setdefault(company_id, []).append(f"{occurred_on.isoformat()} {code} {description}")
    return {k: "；".join(v) for k, v in notes.items()}
