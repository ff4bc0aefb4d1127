"""待办事项: what each role has to do now, at the top of its home page.

A small registry of providers per role. A provider is a function of a ``TodoContext`` that returns
``Entry``s: a label, how many rows wait, the nearest deadline (or None), the link to a list page
filtered to exactly those rows, and a severity. Later features add their own with ``provider``::

    @todo.provider(STREET, order=35)
    def complaints_to_answer(ctx):
        return [todo.Entry(...)]

Every provider makes a fixed number of aggregate queries, scoped to the user (a street officer's
street, a company user's company), whatever the amount of data, and counts its rows with the same
filter the linked list applies, so the number and the list always agree.

"The nearest deadline" is the earliest deadline among an entry's rows: for rows still ahead the one
coming first, for overdue rows the one missed longest ago.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from types import SimpleNamespace

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, null, select

from ..auth import scope
from ..auth.roles import BUREAU, COMPANY, DISTRICT_READERS, STREET, Role
from ..campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignStatus,
    Enrolment,
    EnrolmentStage,
    ItemState,
    PhaseKind,
    RectificationItem,
    RectificationNotice,
    SelfInspection,
    SelfInspectionStatus,
)
from ..campaigns.services import items as item_service
from ..campaigns.services import notices as notice_service
from ..campaigns.services import progress, rhythm
from ..companies import services as company_services
from ..companies.models import Certificate, Staff
from ..core import figures, generations
from ..core.timeutil import local_today, to_local, utcnow
from ..credit import services as credit_services
from ..credit.company_file import objectable_clause
from ..credit.models import CreditEvent, EventStatus
from ..estates import services as estate_services
from ..estates.models import Estate, OwnersCommittee
from ..estates.sections import PerScope
from ..extensions import db
from ..regions.models import Street
from ..reports import services as report_services
from ..reports.models import WeeklyReport
from ..reports.services.grid import CellStatus
from ..reports.weeks import Week
from ..targets import services as target_services
from .services import DASHBOARD_TOPIC

DANGER, WARNING, INFO, SUCCESS = "danger", "warning", "info", "success"


@dataclass(frozen=True)
class Entry:
    label: str
    count: int
    deadline: date | datetime | None
    url: str
    severity: str = INFO  # danger | warning | info | success
    note: str = ""  # e.g. "其中退回 1 份" or how far behind target
    deadline_label: str = ""  # what the deadline is, e.g. "最后异议日"; "" → "最近期限"
    always: bool = False  # shown even with nothing to do (this week's report once sent)


@dataclass
class TodoContext:
    user: object
    today: date = field(default_factory=local_today)
    now: datetime = field(default_factory=utcnow)
    # The scorecard the page has already computed (the leader's entries reuse it).
    given_scorecard: object = None

    @cached_property
    def scorecard(self):
        if self.given_scorecard is not None:
            return self.given_scorecard
        return target_services.scorecard(self.today)

    @cached_property
    def company_counts(self) -> dict[str, tuple[int, object]]:
        """A company user's counted entries, made in one query for the providers that show them."""
        return _company_counts(self)

    @property
    def week_end(self) -> date:
        return item_service.week_end(self.today)


Provider = Callable[[TodoContext], Iterable[Entry]]
_PROVIDERS: dict[Role, list[tuple[int, str, Provider]]] = {}


def provider(roles, *, order: int = 100):
    """Register a to-do provider for ``roles`` (a role or a set of them); lower ``order`` shows first."""
    roles = {roles} if isinstance(roles, Role) else set(roles)

    def register(function: Provider) -> Provider:
        for role in roles:
            entries = _PROVIDERS.setdefault(role, [])
            entries[:] = [e for e in entries if e[1] != function.__qualname__ or e[2].__module__ != function.__module__]
            entries.append((order, function.__qualname__, function))
            entries.sort(key=lambda e: (e[0], e[1]))
        return function

    return register


def providers_for(role: Role) -> list[Provider]:
    return [function for _order, _name, function in _PROVIDERS.get(role, [])]


def entries_for(user, *, today: date | None = None, now: datetime | None = None, scorecard=None) -> list[Entry]:
    """The user's to-do entries, in the providers' order, without those with nothing to do."""
    ctx = TodoContext(user=user, today=today or local_today(), now=now or utcnow(), given_scorecard=scorecard)
    result = []
    for function in providers_for(user.role):
        result.extend(entry for entry in function(ctx) if entry.count > 0 or entry.always)
    return result


# --- shared pieces -----------------------------------------------------------------------------

def _count_columns(statement, deadline_column) -> list:
    """The rows of a filtered ``select`` counted, and their earliest deadline: two scalar subqueries."""
    rows = statement.order_by(None).subquery()
    count = select(func.count()).select_from(rows).scalar_subquery()
    if not deadline_column:
        # No deadline: a plain NULL. ``SELECT NULL FROM rows`` as a scalar subquery gives one row per row, which
        # PostgreSQL refuses as soon as there are two.
        return [count, null()]
    return [count, select(func.min(rows.c[deadline_column])).select_from(rows).scalar_subquery()]


def _items_for(user, today: date, **filters):
    return item_service.filter_items(scope.visible(RectificationItem, user), item_service.ItemFilter(**filters), today)


# The providers' statements are built once per process for each shape of user and day (``PerScope``: the user's
# street and company are bound parameters), not on every request: building them cost more than running them.
_OVERDUE_ITEMS = PerScope(lambda user, today: select(*_count_columns(_items_for(user, today, overdue=True),
                                                                     "deadline")))


def _execute_per_scope(statement: PerScope, ctx):
    return db.session.execute(statement(ctx.user, ctx.today), PerScope.params(ctx.user))


def _overdue_items(ctx) -> list[Entry]:
    if ctx.user.is_street:  # its street's row of the district's stored figure (the same rows: its street's items)
        row = next((row for row in _district_todo(ctx)["overdue"] if row[0] == ctx.user.street_id), None)
        return [_overdue_entry(row[2], row[3]) if row is not None else _overdue_entry(0, None)]
    count, nearest = _execute_per_scope(_OVERDUE_ITEMS, ctx).one()
    return [_overdue_entry(count or 0, nearest)]


def _overdue_entry(count, nearest) -> Entry:
    return Entry(_("逾期未销项的整改事项"), count, nearest, url_for("campaigns.items", overdue=1), DANGER,
                 deadline_label=_("最早期限"))


def _enrolments_by_campaign(ctx, f: progress.EnrolmentFilter, phase: PhaseKind | None):
    """Per running campaign: (campaign id, name, enrolments matching ``f``, end of ``phase``, returned forms)."""
    rows = db.session.execute(_enrolments_statement(f, phase, Enrolment.scope_clause(ctx.user))).all()
    return [(cid, name, count, end, returned or 0) for cid, name, count, end, returned in rows]


def _enrolments_statement(f: progress.EnrolmentFilter, phase: PhaseKind | None, where, *group_by):
    """``_enrolments_by_campaign``'s statement: its rows restricted by ``where``, grouped by ``group_by`` (columns
    put first) and the campaign."""
    E = Enrolment
    # the phase's end per campaign, in the same query (correlated to the grouped campaign)
    phase_end = (select(func.max(CampaignPhase.ends_on)).where(CampaignPhase.campaign_id == Campaign.id,
                                                              CampaignPhase.kind == phase)
                 .correlate(Campaign).scalar_subquery() if phase is not None else literal(None))
    returned = func.sum(case((SelfInspection.status == SelfInspectionStatus.RETURNED, 1), else_=0))
    statement = (select(*group_by, Campaign.id, Campaign.name, func.count(E.id), phase_end, returned)
                 .select_from(E).join(Campaign, Campaign.id == E.campaign_id)
                 .outerjoin(SelfInspection, SelfInspection.enrolment_id == E.id)
                 .where(Campaign.status == CampaignStatus.ACTIVE, where))
    statement = progress.apply_enrolment_filter(statement, f).group_by(*group_by, Campaign.id, Campaign.name)
    return statement.order_by(*group_by, Campaign.id)


# The enrolment entries of the street officers (摸底 to enter, per street) and of the bureau (自查表 to review, the
# district's) are stored by the transaction that changed the campaigns' progress (``core.figures``, the
# "campaign_progress" topic, which watches every table they read): the page reads one row instead of
# evaluating every enrolment's stage. Counted with the same statement, grouped by street, as the live one.
TODO_ENROLMENTS = "dashboard_todo_enrolments"
SURVEYS = (progress.EnrolmentFilter(stage=EnrolmentStage.SURVEY), PhaseKind.SURVEY)
SELF_INSPECTIONS = (progress.EnrolmentFilter(si_status=SelfInspectionStatus.SUBMITTED), None)


def _todo_enrolments_keys() -> list[str]:
    streets = db.session.scalars(select(Street.id).where(Street.active.is_(True)).order_by(Street.id))
    return ["district", *(str(street_id) for street_id in streets)]


def _payload(rows) -> list:
    return [[cid, name, count, end.isoformat() if end else None, returned or 0]
            for cid, name, count, end, returned in rows]


def _precompute_todo_enrolments(keys: list[str]) -> dict[str, figures.Entry]:
    surveys = _enrolments_statement(*SURVEYS, literal(True), Enrolment.street_id)
    by_street: dict[str, list] = {}
    for street_id, *row in db.session.execute(surveys):
        by_street.setdefault(str(street_id), []).append(row)
    district = _enrolments_statement(*SELF_INSPECTIONS, literal(True))
    inputs = figures.statement_tables(surveys) | figures.statement_tables(district) | {Street.__tablename__}
    payloads = {"district": _payload(db.session.execute(district))}
    return {key: figures.Entry(payloads.get(key, _payload(by_street.get(key, []))), inputs) for key in keys}


figures.register(figures.Precomputed(progress.PROGRESS_TOPIC, TODO_ENROLMENTS, _todo_enrolments_keys,
                                     _precompute_todo_enrolments))


def _kept(topic: str, name: str, key: str, compute, decode):
    """``compute()`` of a to-do figure stored under ``name`` (``core.figures``), kept per process under the topic's
    generation like the landing page's figures (``DASHBOARD_CACHE_SIZE``; 0: read from the store or computed on
    every request): it changes exactly when the data does."""
    def stored():
        payload = figures.load(name, generations.current(topic), [key]).get(key)
        return None if payload is None else generations.freeze(decode(payload))

    size = current_app.config.get("DASHBOARD_CACHE_SIZE", 16)
    if size <= 0:
        value = stored()
        return compute() if value is None else value
    return generations.cached(topic, name, size, (key,), compute, stored=stored)


def _stored_enrolments(ctx, key: str, f: progress.EnrolmentFilter, phase: PhaseKind | None):
    """``_enrolments_by_campaign`` of the scope ``key`` (a street's id, "district"), as stored, else live."""
    def decode(stored):
        return [(cid, name, count, date.fromisoformat(end) if end else None, returned)
                for cid, name, count, end, returned in stored]

    return _kept(progress.PROGRESS_TOPIC, TODO_ENROLMENTS, key, lambda: _enrolments_by_campaign(ctx, f, phase), decode)


# --- company users ---------------------------------------------------------------------------

COMPANY_COUNTS = ("overdue", "week", "notices", "objections", "certificates")


def _company_counts_statement(user, today: date):
    """``_company_counts``' query (``user``: a company user or its ``PerScope`` stand-in)."""
    company_id = user.company_id
    lists = {
        "overdue": (_items_for(user, today, overdue=True), "deadline"),
        "week": (_items_for(user, today, due="week"), "deadline"),
        "notices": (scope.visible(RectificationNotice, user).where(notice_service.awaiting_reply_clause()),
                    "deadline"),
        "objections": (scope.visible(CreditEvent, user).where(objectable_clause(today)), "objection_deadline"),
    }
    columns = [column for statement, deadline in lists.values() for column in _count_columns(statement, deadline)]
    staff = company_services.filter_staff(scope.visible(Staff, user), cert="expiring", today=today).where(
        Staff.company_id == company_id)
    expiring = company_services.expiring_certificates(company_id=company_id, today=today)
    columns += [select(func.count()).select_from(staff.order_by(None).subquery()).scalar_subquery(),
                expiring.order_by(None).with_only_columns(func.min(Certificate.expires_on)).scalar_subquery()]
    return select(*columns)


_COMPANY_COUNTS = PerScope(_company_counts_statement)


def _company_counts(ctx) -> dict[str, tuple[int, object]]:
    """The company's counted entries (its items, notices, objections, expiring certificates) in ONE query: each
    provider reads its own (``TodoContext.company_counts``), with the filter its linked list applies."""
    values = _execute_per_scope(_COMPANY_COUNTS, ctx).one()
    counts = {name: (values[2 * n] or 0, values[2 * n + 1]) for n, name in enumerate(COMPANY_COUNTS)}
    count, nearest = counts["certificates"]
    counts["certificates"] = (count, nearest if count else None)
    return counts


@provider(COMPANY, order=10)
def company_items(ctx: TodoContext) -> list[Entry]:
    (overdue, overdue_nearest), (count, nearest) = ctx.company_counts["overdue"], ctx.company_counts["week"]
    return [_overdue_entry(overdue, overdue_nearest),
            Entry(_("本周到期的整改事项"), count, nearest, url_for("campaigns.items", due="week"), WARNING)]


_COMPANY_SELF_INSPECTIONS = PerScope(lambda user: _enrolments_statement(
    progress.EnrolmentFilter(stage=EnrolmentStage.SELF_INSPECTION), PhaseKind.SELF_INSPECTION,
    Enrolment.scope_clause(user)))


@provider(COMPANY, order=20)
def company_self_inspections(ctx: TodoContext) -> list[Entry]:
    rows = db.session.execute(_COMPANY_SELF_INSPECTIONS(ctx.user), PerScope.params(ctx.user)).all()
    return [Entry(_("待填报或被退回的自查表 · %(campaign)s", campaign=name), count, end,
                  url_for("campaigns.enrolments", campaign_id=cid, stage=EnrolmentStage.SELF_INSPECTION.value),
                  DANGER if returned else WARNING,
                  note=_("其中退回 %(n)s 份", n=returned) if returned else "", deadline_label=_("自查截止"))
            for cid, name, count, end, returned in rows]


@provider(COMPANY, order=30)
def company_notices(ctx: TodoContext) -> list[Entry]:
    count, nearest = ctx.company_counts["notices"]
    return [Entry(_("待答复的整改通知书"), count, nearest, url_for("campaigns.notices", awaiting=1), WARNING,
                  deadline_label=_("整改期限"))]


@provider(COMPANY, order=40)
def company_objections(ctx: TodoContext) -> list[Entry]:
    count, nearest = ctx.company_counts["objections"]
    return [Entry(_("异议期内的扣分记录"), count, nearest,
                  url_for("credit.company", company_id=ctx.user.company_id, objectable=1), WARNING,
                  deadline_label=_("最后异议日"))]


@provider(COMPANY, order=50)
def company_certificates(ctx: TodoContext) -> list[Entry]:
    count, nearest = ctx.company_counts["certificates"]
    return [Entry(_("证书60天内到期的人员"), count, nearest, url_for("companies.staff_index", cert="expiring"),
                  INFO, deadline_label=_("最早到期"))]


# --- street officers ---------------------------------------------------------------------------

@provider(STREET, order=10)
def street_reports(ctx: TodoContext) -> list[Entry]:
    entries = []
    for duty in report_services.street_duties(ctx.user.street_id, now=ctx.now):
        done = duty.status in (CellStatus.ON_TIME, CellStatus.LATE)
        url = (url_for("reports.detail", report_id=duty.report.id) if duty.report is not None
               else url_for("reports.index", campaign=duty.campaign.id, week=_week_arg(duty.week)))
        severity = {CellStatus.MISSING: DANGER, CellStatus.RETURNED: DANGER}.get(duty.status, SUCCESS if done
                                                                                   else WARNING)
        entries.append(Entry(_("本周周报 · %(campaign)s", campaign=duty.campaign.name), 0 if done else 1,
                             to_local(duty.due_at), url, severity, note=str(duty.status.label),
                             deadline_label=_("报送截止"), always=True))
    return entries


def _week_arg(week: Week) -> str:
    return f"{week.iso_year}-W{week.iso_week:02d}"


@provider(STREET, order=20)
def street_items(ctx: TodoContext) -> list[Entry]:
    return _overdue_items(ctx)


@provider(STREET, order=30)
def street_surveys(ctx: TodoContext) -> list[Entry]:
    rows = _stored_enrolments(ctx, str(ctx.user.street_id), *SURVEYS)
    return [Entry(_("待录入的摸底 · %(campaign)s", campaign=name), count, end,
                  url_for("campaigns.enrolments", campaign_id=cid, stage=EnrolmentStage.SURVEY.value), WARNING,
                  deadline_label=_("摸底截止"))
            for cid, name, count, end, _returned in rows]


COMMITTEE_ALERTS = (
    # (filter value, label, deadline column, severity, the clause the estate list's filter applies for it)
    ("overdue", _l("逾期未成立业委会的小区"), Estate.committee_due_on, DANGER,
     estate_services.formation_overdue_clause),
    ("term_over", _l("业委会届满未换届的小区"), OwnersCommittee.term_end, DANGER, estate_services.term_over_clause),
    ("term_soon", _l("业委会90天内届满的小区"), OwnersCommittee.term_end, WARNING,
     estate_services.term_ending_soon_clause),
)


def _committee_columns(today: date) -> list:
    columns = []
    for _alert, _label, column, _severity, alert_clause in COMMITTEE_ALERTS:
        clause = alert_clause(today)
        # an estate has one committee at most (uq_owners_committees_estate_id): a plain count counts estates
        columns += [func.count(case((clause, Estate.id))), func.min(case((clause, column)))]
    return columns


def _register_estates():
    """The estates in the register (not archived), joined to their committee: the estate list's rows."""
    return select(Estate.id).where(Estate.archived_at.is_(None)).outerjoin(
        OwnersCommittee, OwnersCommittee.estate_id == Estate.id)


# The committee alerts of each street, today's, stored by the transaction that changed the estates or the
# committees (``core.figures``, the "dashboard" topic): the page reads one row instead of passing over the
# street's estates. A commit that wrote neither carries them over.
TODO_COMMITTEES = "dashboard_todo_committees"


def committees_key(street_id, day: date) -> str:
    return f"{street_id}|{day.isoformat()}"


def _todo_committees_keys() -> list[str]:
    day = local_today()
    streets = db.session.scalars(select(Street.id).where(Street.active.is_(True)).order_by(Street.id))
    return [committees_key(street_id, day) for street_id in streets]


def _precompute_todo_committees(keys: list[str]) -> dict[str, figures.Entry]:
    day = local_today()
    statement = _register_estates().with_only_columns(Estate.street_id, *_committee_columns(day)).group_by(
        Estate.street_id)
    inputs = figures.statement_tables(statement) | {Street.__tablename__}
    by_key = {committees_key(street_id, day): [v.isoformat() if isinstance(v, date) else v for v in values]
              for street_id, *values in db.session.execute(statement)}
    empty = [0, None] * len(COMMITTEE_ALERTS)
    return {key: figures.Entry(by_key.get(key, empty), inputs) for key in keys}


figures.register(figures.Precomputed(DASHBOARD_TOPIC, TODO_COMMITTEES, _todo_committees_keys,
                                     _precompute_todo_committees))


def _committee_values(ctx) -> list:
    """[count, earliest deadline] of every alert, flat: as stored for the user's street today, else counted."""
    def compute():
        estates = scope.visible(Estate, ctx.user).where(Estate.archived_at.is_(None)).outerjoin(
            OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
        return list(db.session.execute(estates.with_only_columns(*_committee_columns(ctx.today))).one())

    def decode(stored):
        return [date.fromisoformat(v) if n % 2 and v else v for n, v in enumerate(stored)]

    if ctx.today != local_today():
        return compute()
    return _kept(DASHBOARD_TOPIC, TODO_COMMITTEES, committees_key(ctx.user.street_id, ctx.today), compute, decode)


@provider(STREET, order=40)
def street_committees(ctx: TodoContext) -> list[Entry]:
    """Every alert's count and earliest deadline in ONE pass over the user's estates: the linked list's own
    filter (``estate_services.filter_estates`` with ``alert`` and no eligibility: the estates in the register,
    joined to their committee, and the alert's clause) as a CASE per alert, not a scan of the estates per alert.
    Today's are stored per street (``TODO_COMMITTEES``)."""
    values = _committee_values(ctx)
    return [Entry(str(label), values[2 * n] or 0, values[2 * n + 1],
                  url_for("estates.committees", alert=alert, eligible=""), severity, deadline_label=_("最早期限"))
            for n, (alert, label, _column, severity, _clause) in enumerate(COMMITTEE_ALERTS)]


# --- the bureau ----------------------------------------------------------------------------------

_SUBMITTED_ITEMS = PerScope(lambda user, today: select(*_count_columns(
    _items_for(user, today, state=ItemState.SUBMITTED), None)))


@provider(BUREAU, order=10)
def bureau_answers(ctx: TodoContext) -> list[Entry]:
    count = _district_todo(ctx)["answers"]
    return [Entry(_("待验收的整改答复"), count, None,
                  url_for("campaigns.items", state=ItemState.SUBMITTED.value), WARNING)]


@provider(BUREAU, order=20)
def bureau_self_inspections(ctx: TodoContext) -> list[Entry]:
    rows = _stored_enrolments(ctx, "district", *SELF_INSPECTIONS)
    return [Entry(_("待审核的自查表 · %(campaign)s", campaign=name), count, None,
                  url_for("campaigns.enrolments", campaign_id=cid, si=SelfInspectionStatus.SUBMITTED.value), WARNING)
            for cid, name, count, _end, _returned in rows]


_OBJECTIONS = PerScope(lambda user: select(func.count()).select_from(credit_services.event_list(
    scope.visible(CreditEvent, user), status=EventStatus.OBJECTED.value).order_by(None).subquery()))


@provider(BUREAU, order=30)
def bureau_objections(ctx: TodoContext) -> list[Entry]:
    count = db.session.execute(_OBJECTIONS(ctx.user), PerScope.params(ctx.user)).scalar() or 0
    return [Entry(_("待决定的信用异议"), count, None,
                  url_for("credit.events", status=EventStatus.OBJECTED.value), WARNING)]


_REPORT_KINDS = (("submitted", True), ("resubmitted", False))  # (status, this week only)


def _reports_statement(user, today: date):
    week = Week.of(today)
    lists = ((scope.visible(WeeklyReport, user, statement=report_services.reports_statement(
        status=status, week=week if this_week else None)), None) for status, this_week in _REPORT_KINDS)
    return select(*(column for statement, deadline in lists for column in _count_columns(statement, deadline)))


_REPORTS = PerScope(_reports_statement)


@provider(BUREAU, order=40)
def bureau_reports(ctx: TodoContext) -> list[Entry]:
    week = Week.of(ctx.today)
    kinds = (("submitted", _("本周已报送待审阅的周报"), True), ("resubmitted", _("退回后重新报送的周报"), False))
    counts = _district_todo(ctx)["reports"]
    entries = []
    for (status, label, this_week), count in zip(kinds, counts, strict=True):
        args = {"status": status, "week": _week_arg(week)} if this_week else {"status": status}
        entries.append(Entry(label, count, None, url_for("reports.index", **args), INFO))
    return entries


def _overdue_by_street_statement(user, today: date):
    items = _items_for(user, today, overdue=True).order_by(None).subquery()
    return (select(Street.id, Street.name, func.count(items.c.id), func.min(items.c.deadline))
            .join(items, items.c.street_id == Street.id).group_by(Street.id, Street.name, Street.name_sort)
            .order_by(func.count(items.c.id).desc(), Street.name_sort))


_OVERDUE_BY_STREET = PerScope(_overdue_by_street_statement)


@provider(BUREAU, order=50)
def bureau_overdue_by_street(ctx: TodoContext) -> list[Entry]:
    rows = _district_todo(ctx)["overdue"]
    return [Entry(_("逾期未销项的整改事项 · %(street)s", street=name), count, nearest,
                  url_for("campaigns.items", overdue=1, street=street_id), DANGER, deadline_label=_("最早期限"))
            for street_id, name, count, nearest in rows]


@provider(BUREAU, order=60)
def bureau_spot_check_week(ctx: TodoContext) -> list[Entry]:
    """From Thursday of a working week on: the week still has no spot check (the district's, or the
    officer's own when colleagues have checked)."""
    warning = rhythm.week_warning(ctx.today, ctx.user)
    if warning is None:
        return []
    if warning.district_missing:
        label, severity = _("本周全区尚未开展现场抽查"), DANGER
    else:
        label, severity = _("本周您尚未开展现场抽查"), WARNING
    return [Entry(label, 1, warning.last_workday, url_for("campaigns.spot_check_new"), severity,
                  note=_("每周至少安排一个工作日开展现场抽查"), deadline_label=_("本周最后工作日"))]


# The district's to-do counts of the day — overdue items by street (the bureau's entries, and each street office's
# own: its street's row), the answers awaiting acceptance and the reports to review — stored by the transaction that
# changed the items, the reports or the streets (``core.figures``, the "dashboard" topic, which watches them) and
# kept per process under its generation: the landing page reads them with its other figures instead of counting the
# district's overdue items on every view. The same statements as the live counts, run for the district.
TODO_DISTRICT = "dashboard_todo_district"
_DISTRICT_READER = SimpleNamespace(sees_district=True, is_street=False, is_company=False, street_id=None,
                                   company_id=None)


def district_todo_key(day: date) -> str:
    return day.isoformat()


def _district_todo_statements(day: date) -> dict:
    return {"overdue": _OVERDUE_BY_STREET(_DISTRICT_READER, day), "answers": _SUBMITTED_ITEMS(_DISTRICT_READER, day),
            "reports": _REPORTS(_DISTRICT_READER, day)}


def _district_todo_counts(day: date) -> dict:
    statements = _district_todo_statements(day)
    params = PerScope.params(_DISTRICT_READER)
    answers, _nearest = db.session.execute(statements["answers"], params).one()
    reports = db.session.execute(statements["reports"], params).one()
    return {"overdue": [[street_id, name, count, nearest] for street_id, name, count, nearest
                        in db.session.execute(statements["overdue"], params)],
            "answers": answers or 0, "reports": [reports[i] or 0 for i in range(0, len(reports), 2)]}


def _district_todo_payload(counts: dict) -> dict:
    return dict(counts, overdue=[[street_id, name, count, nearest.isoformat() if nearest else None]
                                 for street_id, name, count, nearest in counts["overdue"]])


def _precompute_district_todo(keys: list[str]) -> dict[str, figures.Entry]:
    day = local_today()
    if district_todo_key(day) not in keys:
        return {}
    inputs = frozenset().union(*(figures.statement_tables(statement)
                                 for statement in _district_todo_statements(day).values()))
    payload = _district_todo_payload(_district_todo_counts(day))
    return {district_todo_key(day): figures.Entry(payload, inputs | {Street.__tablename__})}


figures.register(figures.Precomputed(DASHBOARD_TOPIC, TODO_DISTRICT, lambda: [district_todo_key(local_today())],
                                     _precompute_district_todo))


def _district_todo(ctx) -> dict:
    """The district's to-do counts of ``ctx.today`` (``_district_todo_counts``): as stored today, else counted."""
    def decode(stored):
        return dict(stored, overdue=[(street_id, name, count, date.fromisoformat(nearest) if nearest else None)
                                     for street_id, name, count, nearest in stored["overdue"]])

    def compute():
        return _district_todo_counts(ctx.today)

    if ctx.today != local_today():
        return compute()
    return _kept(DASHBOARD_TOPIC, TODO_DISTRICT, district_todo_key(ctx.today), compute, decode)


# --- leaders -----------------------------------------------------------------------------------

@provider(DISTRICT_READERS - BUREAU, order=10)
def leader_targets(ctx: TodoContext) -> list[Entry]:
    row = ctx.scorecard.district
    if row is None:
        return []
    entries = []
    for cell in row.cells.values():
        if cell.status is not target_services.Status.BEHIND:
            continue
        entries.append(Entry(
            _("%(indicator)s 滞后于目标", indicator=cell.indicator.name), cell.gap, None,
            url_for("targets.gap", code=cell.indicator.code), DANGER,
            note=_("现为 %(value)s，按进度应达 %(expected)s，年度目标 %(threshold)s；差额 %(gap)s",
                   value=cell.percent, expected=cell.expected_percent, threshold=cell.threshold_percent,
                   gap=cell.gap), always=True))
    return entries
