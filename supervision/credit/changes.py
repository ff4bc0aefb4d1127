"""Which companies' credit records the session's transaction changed, for the figures stored at commit.

Today's score table and the latest publication's rescoring (``standings``, ``corrections``) are computed by every
transaction that changes the credit data (``core.figures``). When all it changed are credit events and objections
written through the ORM, only their companies' scores can differ from those stored for the generation before: the
figures then rescore those companies and keep the other rows (~10 ms instead of scoring the district twice, ~200
ms at 100×). Any other change to what scores read (a rule set, a company's name, an estate's floor area, a
management period), a write past the ORM's flush, or too many companies: ``traced_companies`` answers None and
everything is recomputed, as before.
"""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..core import figures, generations
from ..extensions import db
from .models import SCORES_TOPIC, CreditEvent, CreditObjection

_COMPANIES = "credit_changed_companies"  # session.info key: company ids of the credit records flushed
_UNTRACED = "credit_changed_untraced"  # session.info key: a statement wrote the credit records (rows unknown)
TRACED_TABLES = frozenset({CreditEvent.__tablename__, CreditObjection.__tablename__})
MAX_TRACED = 50  # more companies than this: the district's table is cheaper than one statement a company


@event.listens_for(Session, "after_flush")
def _after_flush(session, _flush_context):
    companies = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, CreditEvent | CreditObjection):
            if companies is None:
                companies = session.info.setdefault(_COMPANIES, set())
            companies.add(obj.company_id)
            companies.update(value for value in inspect(obj).attrs.company_id.history.deleted if value is not None)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state):
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if (state.is_insert or state.is_update or state.is_delete) and table in TRACED_TABLES:
        state.session.info[_UNTRACED] = True


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is None:
        session.info.pop(_COMPANIES, None)
        session.info.pop(_UNTRACED, None)


def traced_companies(session: Session) -> frozenset[int] | None:
    """The companies whose credit records the session's transaction changed, when those records are all it changed
    of the credit data's inputs and each was written through the ORM; else None (recompute everything)."""
    if session.info.get(_UNTRACED):
        return None
    written = generations.written_tables(session) & generations.watched_tables(SCORES_TOPIC)
    if not written or not written <= TRACED_TABLES or written & generations.written_past_orm(session):
        return None
    companies = frozenset(company_id for company_id in session.info.get(_COMPANIES, ()) if company_id is not None)
    if not companies or len(companies) > MAX_TRACED:
        return None
    return companies


def traced_change(name: str, key: str) -> tuple[frozenset[int], object] | None:
    """The companies the transaction changed (``traced_companies``) and the figure ``name`` stored under ``key`` for
    the generation before, to be patched for those companies alone; None when either is missing (recompute)."""
    companies = traced_companies(db.session)
    if companies is None:
        return None
    previous = figures.previous(db.session, name, SCORES_TOPIC, key)
    return None if previous is None else (companies, previous)
