"""Derived progress, as SQL.

An enrolment's stage comes from its records, in this order:

1. withdrawn / closed (销号) — its status;
2. 待摸底 — the campaign has a survey phase and no survey is recorded;
3. 待自查 — the campaign has a self-inspection phase, the estate has a company,
   and no self-inspection has been submitted (a returned one does not count);
4. 整改中 — some rectification item of the enrolment is not accepted;
5. 待验收 — everything is done but no passed acceptance has closed it.

Every count on the campaign page is built from the same clauses as the list
it links to, so a number and its list always agree. The functions take an
optional ``user``: with one, only what the user may see is counted.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from flask import current_app, has_app_context
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import joinedload

from ...auth.roles import DISTRICT_READERS
from ...companies.models import Company
from ...core import generations
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from ...regions.models import Street
from ..models import (
    Acceptance,
    AcceptanceVerdict,
    Campaign,
    CampaignPhase,
    Enrolment,
    EnrolmentStage,
    EnrolmentStatus,
    ItemState,
    PhaseKind,
    RectificationItem,
    SelfInspection,
    SelfInspectionStatus,
    SurveyRecord,
)

E = Enrolment
Item = RectificationItem
DONE_SELF_INSPECTION = (SelfInspectionStatus.SUBMITTED, SelfInspectionStatus.ACCEPTED)


# --- clauses correlated to Enrolment -------------------------------------------------

def has_phase(kind: PhaseKind):
    return select(CampaignPhase.id).where(CampaignPhase.campaign_id == E.campaign_id,
                                          CampaignPhase.kind == kind).correlate(E).exists()


# Each clause correlates to Enrolment only, so it also works in a query that
# joins the survey or self-inspection tables.
def surveyed():
    return select(SurveyRecord.id).where(SurveyRecord.enrolment_id == E.id).correlate(E).exists()


def self_inspected():
    return select(SelfInspection.id).where(SelfInspection.enrolment_id == E.id,
                                           SelfInspection.status.in_(DONE_SELF_INSPECTION)).correlate(E).exists()


def self_inspection_required():
    return and_(has_phase(PhaseKind.SELF_INSPECTION), E.company_id.is_not(None))


def has_unaccepted_items():
    return select(Item.id).where(Item.enrolment_id == E.id, Item.state != ItemState.ACCEPTED).correlate(E).exists()


def acceptance_passed():
    return select(Acceptance.id).where(Acceptance.enrolment_id == E.id,
                                       Acceptance.verdict == AcceptanceVerdict.PASSED,
                                       Acceptance.revoked_at.is_(None)).correlate(E).exists()


def not_withdrawn():
    return E.status != EnrolmentStatus.WITHDRAWN


def stage_expression():
    return case(
        (E.status == EnrolmentStatus.WITHDRAWN, literal(EnrolmentStage.WITHDRAWN.value)),
        (E.status == EnrolmentStatus.CLOSED, literal(EnrolmentStage.CLOSED.value)),
        (and_(has_phase(PhaseKind.SURVEY), ~surveyed()), literal(EnrolmentStage.SURVEY.value)),
        (and_(self_inspection_required(), ~self_inspected()), literal(EnrolmentStage.SELF_INSPECTION.value)),
        (has_unaccepted_items(), literal(EnrolmentStage.RECTIFICATION.value)),
        else_=literal(EnrolmentStage.ACCEPTANCE.value),
    )


def stage_of(enrolment: Enrolment) -> EnrolmentStage:
    return EnrolmentStage(db.session.scalar(select(stage_expression()).where(E.id == enrolment.id)))


# --- the enrolment list's filters (the campaign page links to them) ----------------------

@dataclass
class EnrolmentFilter:
    street_id: int | None = None
    company_id: int | None = None
    stage: EnrolmentStage | None = None
    surveyed: bool | None = None
    self_inspected: bool | None = None
    closed: bool | None = None
    q: str | None = None
    si_status: SelfInspectionStatus | None = None  # the state of the enrolment's self-inspection form


def apply_enrolment_filter(statement, f: EnrolmentFilter):
    if f.stage is not EnrolmentStage.WITHDRAWN:
        statement = statement.where(not_withdrawn())
    if f.street_id:
        statement = statement.where(E.street_id == f.street_id)
    if f.company_id:
        statement = statement.where(E.company_id == f.company_id)
    if f.stage is not None:
        statement = statement.where(stage_expression() == f.stage.value)
    if f.surveyed is not None:
        statement = statement.where(surveyed() if f.surveyed else ~surveyed())
    if f.self_inspected is not None:
        statement = statement.where(E.company_id.is_not(None),
                                    self_inspected() if f.self_inspected else ~self_inspected())
    if f.closed is not None:
        statement = statement.where(E.status == EnrolmentStatus.CLOSED if f.closed
                                    else E.status == EnrolmentStatus.ACTIVE)
    if f.si_status is not None:
        statement = statement.where(select(SelfInspection.id).where(
            SelfInspection.enrolment_id == E.id, SelfInspection.status == f.si_status).correlate(E).exists())
    if f.q:

        statement = statement.where(select(Estate.id).where(Estate.id == E.estate_id,
                                                             Estate.name.ilike(f"%{f.q.strip()}%"))
                                    .correlate(E).exists())
    return statement


def enrolment_rows_statement(campaign_id: int, f: EnrolmentFilter, user=None):
    """Enrolments with their stage and item counts, in one statement (no per-row queries)."""
    statement = _enrolment_rows().where(E.campaign_id == campaign_id)
    if user is not None:
        statement = statement.where(E.scope_clause(user))
    return apply_enrolment_filter(statement, f)


def enrolment_keys_statement(campaign_id: int, f: EnrolmentFilter, user=None):
    """The ids of ``enrolment_rows_statement``'s rows, without its computed columns (a list's page of ids)."""
    statement = select(E.id).where(E.campaign_id == campaign_id)
    if user is not None:
        statement = statement.where(E.scope_clause(user))
    return apply_enrolment_filter(statement, f)


LIST_COLUMNS = ("id", "estate", "street", "company", "company_id", "stage", "items_total", "items_open",
                "items_overdue", "surveyed_on", "si_status", "si_score", "last_verdict")


def enrolment_list_rows_for(ids) -> dict:
    """``{enrolment id: row}`` for the web list: ``LIST_COLUMNS`` as plain columns of one statement (the
    names joined, no ORM rows)."""
    statement = (_enrolment_rows(entity=False)
                 .join(Estate, Estate.id == E.estate_id).join(Street, Street.id == E.street_id)
                 .outerjoin(Company, Company.id == E.company_id).where(E.id.in_(list(ids))))
    return {row[0]: row for row in db.session.execute(statement)}


def _enrolment_rows(entity=True):
    today = local_today()

    def count_items(*conditions):
        return (select(func.count(Item.id)).where(Item.enrolment_id == E.id, *conditions)
                .correlate(E).scalar_subquery())

    last_verdict = (select(Acceptance.verdict).where(Acceptance.enrolment_id == E.id)
                    .order_by(Acceptance.id.desc()).limit(1).correlate(E).scalar_subquery())
    leading = (E,) if entity else (E.id, Estate.name.label("estate"), Street.name.label("street"),
                                   Company.name.label("company"), E.company_id)
    statement = (
        select(*leading, stage_expression().label("stage"),
               count_items().label("items_total"),
               count_items(Item.state != ItemState.ACCEPTED).label("items_open"),
               count_items(Item.overdue_clause(today)).label("items_overdue"),
               SurveyRecord.surveyed_on.label("surveyed_on"),
               SelfInspection.status.label("si_status"), SelfInspection.score.label("si_score"),
               last_verdict.label("last_verdict"))
        .outerjoin(SurveyRecord, SurveyRecord.enrolment_id == E.id)
        .outerjoin(SelfInspection, SelfInspection.enrolment_id == E.id)
    )
    if entity:  # the names of its relations read, not their every column
        statement = statement.options(joinedload(E.estate).load_only(Estate.name),
                                      joinedload(E.street).load_only(Street.name),
                                      joinedload(E.company).load_only(Company.name))
    return statement


# --- the campaign page ----------------------------------------------------------------------

STAGES_IN_ORDER = (EnrolmentStage.SURVEY, EnrolmentStage.SELF_INSPECTION, EnrolmentStage.RECTIFICATION,
                   EnrolmentStage.ACCEPTANCE, EnrolmentStage.CLOSED)


_COUNTS = ("enrolled", "not_surveyed", "not_self_inspected", "not_closed", "closed", "withdrawn", "items_total",
           "items_accepted", "items_open", "items_overdue", "items_due", "items_due_accepted")


@dataclass(frozen=True)
class StreetRow:
    """One street's progress (or the total, ``street_id`` None). Immutable: the table is cached per
    process and shared by every request (``core.generations.cached``)."""

    street_id: int | None
    street: str
    stages: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # stage value → count
    enrolled: int = 0
    not_surveyed: int = 0
    not_self_inspected: int = 0
    not_closed: int = 0
    closed: int = 0
    withdrawn: int = 0
    items_total: int = 0
    items_accepted: int = 0
    items_open: int = 0
    items_overdue: int = 0
    items_due: int = 0  # deadline on or before today
    items_due_accepted: int = 0

    @property
    def rectification_rate(self):
        """Items due that are accepted ÷ items due: the targets' 整改率 (targets/indicators.py)."""
        return self.items_due_accepted / self.items_due if self.items_due else None


@dataclass
class _Tally:
    """A ``StreetRow`` while it is being added up."""

    street_id: int | None
    street: str
    stages: dict = field(default_factory=dict)
    counts: dict = field(default_factory=lambda: dict.fromkeys(_COUNTS, 0))

    def row(self) -> StreetRow:
        return StreetRow(street_id=self.street_id, street=self.street, stages=MappingProxyType(dict(self.stages)),
                         **self.counts)


@dataclass(frozen=True)
class CampaignProgress:
    rows: tuple[StreetRow, ...]
    total: StreetRow
    stages: tuple
    has_survey: bool
    has_self_inspection: bool


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def stage_from_flags(status: EnrolmentStatus, *, has_survey: bool, has_self_inspection: bool, has_company: bool,
                     is_surveyed: bool, is_self_inspected: bool, has_open_items: bool) -> EnrolmentStage:
    """``stage_expression`` in Python, for an enrolment whose facts are already known."""
    if status is EnrolmentStatus.WITHDRAWN:
        return EnrolmentStage.WITHDRAWN
    if status is EnrolmentStatus.CLOSED:
        return EnrolmentStage.CLOSED
    if has_survey and not is_surveyed:
        return EnrolmentStage.SURVEY
    if has_self_inspection and has_company and not is_self_inspected:
        return EnrolmentStage.SELF_INSPECTION
    if has_open_items:
        return EnrolmentStage.RECTIFICATION
    return EnrolmentStage.ACCEPTANCE


# What the campaign page's progress is made of (``_campaign_progress``): changing any of it changes
# this data generation, which keys the per-process cache of progress tables.
PROGRESS_TOPIC = "campaign_progress"


def _watch_progress_inputs() -> None:

    generations.watch(PROGRESS_TOPIC, Campaign, CampaignPhase, Enrolment, SurveyRecord, SelfInspection,
                      RectificationItem)
    generations.watch(PROGRESS_TOPIC, Street, attributes={"name"})


_watch_progress_inputs()


def scope_key(user):
    """Users who see the same part of a campaign share its cached progress."""
    if user is None or user.role in DISTRICT_READERS:
        return "district"
    return (user.role.value, user.street_id, user.company_id)


def campaign_progress(campaign, user=None, today: date | None = None) -> CampaignProgress:
    """The campaign page's table (see ``_campaign_progress``), reused until the campaign data changes.

    Kept per process under (campaign, day, the user's scope, the "campaign_progress" data
    generation): a campaign of thousands of enrolments is added up once per change, not per view.
    """


    today = today or local_today()
    if not has_app_context():
        return _campaign_progress(campaign, user, today)
    size = current_app.config.get("CAMPAIGN_PROGRESS_CACHE_SIZE", 16)
    return generations.cached(PROGRESS_TOPIC, "campaign_progress", size, (campaign.id, today, scope_key(user)),
                              lambda: _campaign_progress(campaign, user, today))


def _campaign_progress(campaign, user, today: date) -> CampaignProgress:
    """Per street: enrolments by stage, steps not done, items and overdue items.

    Three queries whatever the number of enrolments: the street names, then one pass over each
    kind of the campaign's rows: the enrolments grouped by street and by the facts their stage
    is made of (status, company, surveyed, self-inspected, open items — a few dozen groups
    at most), and the items grouped by street and state. Stages and milestones are then added
    up from those groups, with the same rules as ``stage_expression``.
    """
    kinds = {p.kind for p in campaign.phases}
    has_survey, has_self_inspection = PhaseKind.SURVEY in kinds, PhaseKind.SELF_INSPECTION in kinds
    stages = tuple(s for s in STAGES_IN_ORDER if not (
        (s is EnrolmentStage.SURVEY and not has_survey)
        or (s is EnrolmentStage.SELF_INSPECTION and not has_self_inspection)))
    scope = [E.scope_clause(user)] if user is not None else []
    rows: dict[int, _Tally] = {}
    names = dict(db.session.execute(select(Street.id, Street.name)).all())

    def row(street_id):
        if street_id not in rows:
            rows[street_id] = _Tally(street_id=street_id, street=names.get(street_id, ""))
        return rows[street_id]

    # The open-items probe matters only for an active enrolment (a closed or withdrawn one has its stage).
    open_items = case((E.status == EnrolmentStatus.ACTIVE, has_unaccepted_items()), else_=literal(False))
    inner = select(E.street_id.label("street_id"), E.status.label("status"),
                   E.company_id.is_not(None).label("has_company"), surveyed().label("surveyed"),
                   self_inspected().label("self_inspected"), open_items.label("open_items")
                   ).where(E.campaign_id == campaign.id, *scope).subquery()
    columns = (inner.c.street_id, inner.c.status, inner.c.has_company, inner.c.surveyed, inner.c.self_inspected,
               inner.c.open_items)
    facts = db.session.execute(select(*columns, func.count()).group_by(*columns))
    for street_id, status, has_company, is_surveyed, is_self_inspected, has_open, count in facts:
        status = status if isinstance(status, EnrolmentStatus) else EnrolmentStatus(status)
        r = row(street_id)
        stage = stage_from_flags(status, has_survey=has_survey, has_self_inspection=has_self_inspection,
                                 has_company=bool(has_company), is_surveyed=bool(is_surveyed),
                                 is_self_inspected=bool(is_self_inspected), has_open_items=bool(has_open))
        if stage is EnrolmentStage.WITHDRAWN:
            r.counts["withdrawn"] += count
            continue
        r.stages[stage.value] = r.stages.get(stage.value, 0) + count
        r.counts["enrolled"] += count
        if not is_surveyed:
            r.counts["not_surveyed"] += count
        if has_company and not is_self_inspected:
            r.counts["not_self_inspected"] += count
        if status is EnrolmentStatus.ACTIVE:
            r.counts["not_closed"] += count
        elif status is EnrolmentStatus.CLOSED:
            r.counts["closed"] += count

    item_scope = [Item.scope_clause(user)] if user is not None else []
    items = db.session.execute(
        select(Item.street_id, Item.state, func.count(Item.id), _sum(Item.deadline <= today),
               _sum(Item.deadline < today))
        .where(Item.campaign_id == campaign.id, *item_scope).group_by(Item.street_id, Item.state))
    for street_id, state, total, due, past_deadline in items:
        accepted = (state if isinstance(state, ItemState) else ItemState(state)) is ItemState.ACCEPTED
        r = row(street_id)
        r.counts["items_total"] += total
        r.counts["items_due"] += due
        if accepted:
            r.counts["items_accepted"] += total
            r.counts["items_due_accepted"] += due
        else:
            r.counts["items_open"] += total
            r.counts["items_overdue"] += past_deadline

    for r in rows.values():  # a step the campaign does not have is never "not done"
        if PhaseKind.SURVEY not in kinds:
            r.counts["not_surveyed"] = 0
        if PhaseKind.SELF_INSPECTION not in kinds:
            r.counts["not_self_inspected"] = 0
    ordered = sorted(rows.values(), key=lambda r: r.street)
    total = _Tally(street_id=None, street="")
    for r in ordered:
        for stage, count in r.stages.items():
            total.stages[stage] = total.stages.get(stage, 0) + count
        for name in _COUNTS:
            total.counts[name] += r.counts[name]
    return CampaignProgress(rows=tuple(r.row() for r in ordered), total=total.row(), stages=stages,
                            has_survey=PhaseKind.SURVEY in kinds,
                            has_self_inspection=PhaseKind.SELF_INSPECTION in kinds)
