"""Rectification items: the scoped list with filters and an Excel export, one
item's page, and its moves (each through ``services.items.transition``)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...attachments.services import attachments_of
from ...audit.services import history_for
from ...auth import scope
from ...auth.roles import ALL_ROLES
from ...companies.models import Company
from ...core.errors import DomainError, TransitionError, check_version
from ...core.pagination import paginate_keys
from ...core.timeutil import local_today, to_local, utcnow
from ...core.workdays import year_is_provisional
from ...documents.excel import Column
from ...estates.models import Estate
from ...extensions import db
from ...i18n import in_chinese
from ...jobs import exports
from ...offline import services as offline
from ...regions.choices import street_choices
from ...regions.models import Street
from ...templating import provisional_text
from ..forms import AnswerForm, EvidenceForm, ItemFilterForm, ReasonTransitionForm, SimpleTransitionForm
from ..models import (
    ItemSource,
    ItemState,
    ItemTransition,
    RectificationItem,
    RectificationNotice,
    ResponsibleParty,
    Severity,
)
from ..services import items as item_service
from . import bp
from ._helpers import Labels, arg_int, drop_scoped_filters, enum_or_none, recent_campaign_choices, value_of

Item = RectificationItem

SORTS = {
    "deadline": (Item.deadline.asc(), Item.id.asc()), "-deadline": (Item.deadline.desc(), Item.id.desc()),
    "opened": (Item.opened_at.asc(), Item.id.asc()), "-opened": (Item.opened_at.desc(), Item.id.desc()),
    "since": (Item.state_since.asc(), Item.id.asc()), "-since": (Item.state_since.desc(), Item.id.desc()),
    "id": (Item.id.asc(),), "-id": (Item.id.desc(),),
}


def _filters():
    filters = ItemFilterForm(request.args)
    # Bounded: a district keeps every past campaign (hundreds); older ones are reached from their own page.
    filters.campaign.choices = recent_campaign_choices(blank=_("全部"), selected=filters.campaign.data)
    filters.street.choices = street_choices(blank=_("全部"))
    drop_scoped_filters(filters)
    return filters


def _statement(filters, today):
    return item_service.filter_items(scope.visible(Item), item_service.ItemFilter(
        q=filters.q.data, campaign_id=filters.campaign.data, street_id=value_of(filters, "street"),
        company_id=value_of(filters, "company"), state=enum_or_none(ItemState, filters.state.data),
        open={"1": True, "0": False}.get(filters.open.data or ""), overdue=filters.overdue.data == "1",
        due=filters.due.data if filters.due.data == "week" else None,
        source=enum_or_none(ItemSource, filters.source.data), severity=enum_or_none(Severity, filters.severity.data),
        responsible_party=enum_or_none(ResponsibleParty, filters.responsible.data), estate_id=arg_int("estate"),
        notice_id=arg_int("notice"), enrolment_id=arg_int("enrolment")), today)


@bp.get("/items")
@scope.role_required(ALL_ROLES)
def items():
    today = local_today()
    filters = _filters()
    sort = request.args.get("sort", "deadline")
    # Pages first: the page's ids sorted on the items alone, then those 50 items with their names.
    keys = (_statement(filters, today).with_only_columns(Item.id, maintain_column_froms=True)
            .order_by(*SORTS.get(sort, SORTS["deadline"])))
    page = paginate_keys(keys, _items_by_id, count_with_keys=bool(filters.q.data and filters.q.data.strip()))
    narrowed = {}
    if arg_int("estate"):
        narrowed["estate"] = db.session.scalar(scope.visible(Estate, statement=select(Estate.name))
                                               .where(Estate.id == arg_int("estate")))
    if arg_int("notice"):
        narrowed["notice"] = db.session.scalar(scope.visible(RectificationNotice,
                                                             statement=select(RectificationNotice.number))
                                               .where(RectificationNotice.id == arg_int("notice")))
    return render_template("campaigns/items.html", page=page, filters=filters, today=today, sort=sort,
                           now=utcnow(), narrowed=narrowed)


class ItemRow:
    """One row of the item list, ready to show: plain columns of one joined select (no ORM rows, no
    relations loaded), with the per-row figures the template would otherwise compute cell by cell."""

    __slots__ = ("category", "company", "days_in_state", "deadline", "deadline_text", "description", "due_soon",
                 "estate", "id", "labels", "notice", "overdue_days", "provisional", "responsible_party", "severity",
                 "source", "state", "street", "times")

    def __init__(self, row, today, now, provisional, labels):
        self.id, self.estate, self.street, self.company, self.notice = row[:5]
        (self.source, self.category, self.description, self.severity, self.responsible_party, self.deadline,
         self.state) = row[5:12]
        self.labels = labels  # enum member → its translated label, translated once a request
        state_since = row[12]
        is_open = self.state is not ItemState.ACCEPTED
        self.deadline_text = self.deadline.strftime("%Y-%m-%d")
        self.provisional = provisional(self.deadline.year) if is_open else ""
        self.overdue_days = (today - self.deadline).days if is_open and self.deadline < today else 0
        self.due_soon = is_open and not self.overdue_days and (self.deadline - today).days <= 3
        self.days_in_state = (now - state_since).days if state_since else ""
        # (opened, started, submitted, rejected, accepted): the local time, shown as its month-day.
        self.times = [to_local(at).strftime("%Y-%m-%d %H:%M") if at else "" for at in row[13:18]]


LIST_COLUMNS = (Item.id, Estate.name, Street.name, Company.name, RectificationNotice.number, Item.source,
                Item.category, Item.description, Item.severity, Item.responsible_party, Item.deadline, Item.state,
                Item.state_since, Item.opened_at, Item.started_at, Item.submitted_at, Item.rejected_at,
                Item.accepted_at)


def _items_by_id(ids) -> dict:
    today, now = local_today(), utcnow()
    rows = db.session.execute(
        select(*LIST_COLUMNS).join(Estate, Estate.id == Item.estate_id).join(Street, Street.id == Item.street_id)
        .outerjoin(Company, Company.id == Item.company_id)
        .outerjoin(RectificationNotice, RectificationNotice.id == Item.notice_id).where(Item.id.in_(ids)))
    notes = {}  # the provisional-deadline note by year: the holiday calendar asked once a year shown
    labels = Labels()

    def provisional(year):
        if year not in notes:
            notes[year] = provisional_text(date(year, 1, 1)) if year_is_provisional(year) else ""
        return notes[year]

    # Asked up front, whether or not the page shows an open item: the register's generation is read on every
    # page, not only on those with an open item (a 100× district's first page by deadline is all accepted
    # items, and the count of statements went down as the district grew).
    provisional(today.year)
    return {row[0]: ItemRow(row, today, now, provisional, labels) for row in rows}


def _local(value):
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else None


def export_columns(today, now):
    def days(item):
        return item_service.time_in_state_days(item, now)

    def total_days(item):
        end = item.accepted_at if item.state is ItemState.ACCEPTED and item.accepted_at else now
        return max(0, (end - item.opened_at).days)

    return [
        Column("id", "编号", number_format="0"),
        Column("campaign", "专项行动", export=lambda i: i.campaign.name if i.campaign else "", width=24),
        Column("street", "街道", export=lambda i: i.street.name),
        Column("estate", "小区", export=lambda i: i.estate.name, width=20),
        Column("company", "物业企业", export=lambda i: i.company.name if i.company else "", width=24),
        Column("source", "来源"),
        Column("category", "类别"),
        Column("description", "问题描述", width=50),
        Column("severity", "严重程度"),
        Column("responsible_party", "责任单位"),
        Column("deadline_workdays", "期限（工作日）"),
        Column("deadline", "整改期限", export=lambda i: i.deadline.isoformat()),
        Column("state", "状态"),
        Column("overdue", "是否逾期", export=lambda i: i.is_overdue(today)),
        Column("notice", "整改通知书", export=lambda i: i.notice.number if i.notice else ""),
        Column("opened_at", "下达时间", export=lambda i: _local(i.opened_at), width=18),
        Column("started_at", "开始整改时间", export=lambda i: _local(i.started_at), width=18),
        Column("submitted_at", "最近提交时间", export=lambda i: _local(i.submitted_at), width=18),
        Column("rejected_at", "最近驳回时间", export=lambda i: _local(i.rejected_at), width=18),
        Column("accepted_at", "销项时间", export=lambda i: _local(i.accepted_at), width=18),
        Column("state_since", "进入当前状态时间", export=lambda i: _local(i.state_since), width=18),
        Column("days_in_state", "当前状态停留（天）", export=days),
        Column("total_days", "整改用时（天）", export=total_days),
        Column("reopened_count", "重新打开次数"),
        Column("response", "整改情况说明", export=lambda i: i.response or "", width=40),
        Column("reject_reason", "驳回原因", export=lambda i: i.reject_reason or "", width=30),
    ]


@bp.get("/items/export.xlsx")
@scope.role_required(ALL_ROLES)
@in_chinese
def items_export():
    return exports.export_response("items")


exports.register(exports.Exporter(
    "items", "整改事项", lambda: export_columns(local_today(), utcnow()),
    lambda: _statement(_filters(), local_today()).order_by(Item.id),
    options=lambda: (joinedload(Item.estate), joinedload(Item.street), joinedload(Item.company),
                     joinedload(Item.notice), joinedload(Item.campaign)),
    limit=50_000))


def _load(item_id, roles=None):
    return scope.load(Item, item_id, roles=roles, options=(
        joinedload(Item.estate), joinedload(Item.street), joinedload(Item.company), joinedload(Item.notice),
        joinedload(Item.campaign), joinedload(Item.enrolment)))


@bp.get("/items/<int:item_id>")
@scope.role_required(ALL_ROLES)
def item_detail(item_id: int):
    item = _load(item_id)
    transitions = db.session.scalars(select(ItemTransition).where(ItemTransition.item_id == item.id)
                                     .options(joinedload(ItemTransition.by)).order_by(ItemTransition.at,
                                                                                     ItemTransition.id)).all()
    moves = item_service.available_moves(item, current_user)
    answer_form = AnswerForm(obj=item) if any(m.verb in ("submit", "start", "resume") for _t, m in moves) else None
    evidence_form = EvidenceForm(obj=item)
    return render_template(
        "campaigns/item.html", item=item, transitions=transitions, moves=moves, today=local_today(), now=utcnow(),
        evidence=attachments_of(item, "evidence"), photos=attachments_of(item, "photo"),
        answer_form=answer_form, evidence_form=evidence_form, simple_form=SimpleTransitionForm(obj=item),
        reason_form=ReasonTransitionForm(formdata=None), may_answer=item_service.may_answer(current_user, item),
        history=history_for(item, limit=30) if current_user.sees_district else [], S=ItemState)


def _back(item):
    return redirect(url_for(".item_detail", item_id=item.id))


@bp.post("/items/<int:item_id>/answer")
@scope.role_required(ALL_ROLES)
def item_answer(item_id: int):
    """The responsible party's answer: description + evidence, then submitted for acceptance."""
    item = _load(item_id)
    form = AnswerForm()
    key, earlier = offline.once()
    if earlier is not None:
        return offline.repeated(earlier, url_for(".item_detail", item_id=item.id))
    if form.validate_on_submit():
        if (earlier := offline.claim_current(key)) is not None:
            return offline.repeated(earlier, url_for(".item_detail", item_id=item.id))
        try:
            check_version(item, form.version.data)
            item_service.submit_answer(item, actor=current_user, response=form.response.data,
                                       files=form.evidence.data or [], fact_date=form.fact_date.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            offline.settle(current_user, key, url_for(".item_detail", item_id=item.id))
            db.session.commit()
            flash(_("已提交整改结果，等待住建局验收。"), "success")
            return _back(item)
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                flash(str(message), "danger")
    # Show the page again with what was typed (files must be chosen again).
    item = _load(item_id)
    transitions = db.session.scalars(select(ItemTransition).where(ItemTransition.item_id == item.id)
                                     .options(joinedload(ItemTransition.by)).order_by(ItemTransition.at)).all()
    evidence_form = EvidenceForm(obj=item)
    return render_template(
        "campaigns/item.html", item=item, transitions=transitions,
        moves=item_service.available_moves(item, current_user), today=local_today(), now=utcnow(),
        evidence=attachments_of(item, "evidence"), photos=attachments_of(item, "photo"), answer_form=form,
        evidence_form=evidence_form, simple_form=SimpleTransitionForm(obj=item),
        reason_form=ReasonTransitionForm(formdata=None), may_answer=item_service.may_answer(current_user, item),
        history=history_for(item, limit=30) if current_user.sees_district else [], S=ItemState), 422


@bp.post("/items/<int:item_id>/evidence")
@scope.role_required(ALL_ROLES)
def item_evidence(item_id: int):
    item = _load(item_id)
    form = EvidenceForm()
    key, earlier = offline.once()
    if earlier is not None:
        return offline.repeated(earlier, url_for(".item_detail", item_id=item.id))
    if form.validate_on_submit():
        if (earlier := offline.claim_current(key)) is not None:
            return offline.repeated(earlier, url_for(".item_detail", item_id=item.id))
        files = [f for f in (form.evidence.data or []) if f and f.filename]
        try:
            if not files:
                raise DomainError(_("请选择要上传的文件。"))
            item_service.add_evidence(item, files, actor=current_user, fact_date=form.fact_date.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            offline.settle(current_user, key, url_for(".item_detail", item_id=item.id))
            db.session.commit()
            flash(_("已上传 %(n)s 份佐证材料。", n=len(files)), "success")
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                flash(str(message), "danger")
    return _back(item)


VERBS = {"start": ItemState.IN_PROGRESS, "resume": ItemState.IN_PROGRESS, "accept": ItemState.ACCEPTED,
         "reject": ItemState.REJECTED, "reopen": ItemState.REJECTED}


@bp.post("/items/<int:item_id>/<verb>")
@scope.role_required(ALL_ROLES)
def item_move(item_id: int, verb: str):
    """start, resume, accept (a comment), reject and reopen (a reason, optionally a new deadline)."""
    if verb not in VERBS:
        abort(404)
    item = _load(item_id)
    needs_reason = verb in ("reject", "reopen")
    form = ReasonTransitionForm() if needs_reason else SimpleTransitionForm()
    if not form.validate_on_submit():
        for field_errors in form.errors.values():
            for message in field_errors:
                flash(str(message), "danger")
        return _back(item)
    try:
        check_version(item, form.version.data)
        item_service.transition(
            item, VERBS[verb], actor=current_user,
            comment=form.reason.data if needs_reason else form.comment.data,
            deadline_workdays=form.deadline_workdays.data if needs_reason else None)
    except (TransitionError, DomainError) as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("事项 #%(id)s 现为“%(state)s”。", id=item.id, state=item.state.label), "success")
    return _back(item)

