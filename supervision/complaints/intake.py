"""12345 work orders into the register: the hotline platform's Excel export (any city's column
names, by alias) through the shared import pipeline, and one ticket at a time through the API.

Idempotent on the ticket number: a ticket already registered is skipped, so the same export may
be imported again after a day's new tickets were added. All or nothing otherwise: one bad row and
nothing is written. The free-text address is matched to an estate (``matching``); a row the matcher
cannot place is registered all the same and waits in the clerk's queue.
"""
from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from ..audit.services import record
from ..core.timeutil import LOCAL_TZ, utcnow
from ..documents.excel import CellError, Column, text
from ..documents.imports import SheetImport
from ..estates.models import Estate
from ..extensions import db
from ..jobs import imports as import_jobs
from ..jobs.services import JobFailure
from . import services
from .clock import clock_for, due
from .matching import Matcher
from .models import CATEGORIES, Channel, Complaint, ComplaintTransition, Kind, MatchStatus, State, Urgency
from .services import REPEAT_WINDOW, new_tracking_no

_LAST_ID = float("inf")  # sorts after every id: bisect finds the originals received at or before a time

# canonical key → (header shown in our template, aliases the platforms use, required)
HEADERS = {
    "ticket_no": ("工单编号", ("工单编号", "工单号", "工单编码", "编号"), True),
    "received_at": ("来电时间", ("来电时间", "受理时间", "登记时间", "创建时间"), True),
    "description": ("诉求内容", ("诉求内容", "反映内容", "来电内容", "问题描述"), True),
    "address": ("诉求地址", ("诉求地址", "事发地址", "地址", "反映地址"), False),
    "phone": ("联系电话", ("联系电话", "来电号码", "电话", "联系方式"), False),
    "name": ("联系人", ("联系人", "来电人", "姓名", "诉求人"), False),
    "due": ("办理时限", ("办理时限", "办结时限", "处理时限"), False),
    "category": ("诉求类别", ("诉求类别", "问题类别", "类别", "诉求类型"), False),
    "urgency": ("紧急程度", ("紧急程度", "缓急程度"), False),
}
KEYWORDS = (("报修", "维修"), ("维修", "维修"), ("漏水", "维修"), ("电梯", "电梯管理"), ("收费", "收费"),
            ("物业费", "收费"), ("态度", "服务态度"), ("垃圾", "环境卫生"), ("卫生", "环境卫生"),
            ("停车", "停车秩序"), ("绿化", "绿化养护"), ("消防", "消防安全"), ("安全", "安全防范"))


def a_datetime(raw) -> datetime:
    """A cell as an aware Shanghai time (Excel datetimes, or text such as 2026-11-03 09:12)."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, datetime.min.time())
    else:
        textual = str(raw).strip().replace("/", "-").replace("T", " ")
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                value = datetime.strptime(textual, pattern)
                break
            except ValueError:
                continue
        else:
            raise CellError(_("应为日期时间，如 2026-11-03 09:12"))
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def category_of(raw: str | None, description: str) -> tuple[str, Kind]:
    label = (raw or "").strip()
    kind = Kind.REPAIR if "报修" in label else Kind.COMPLAINT
    if label in CATEGORIES:
        return label, kind
    words = label + description
    for word, category in KEYWORDS:
        if word in words:
            return category, kind
    return "其他", kind


def urgency_of(raw: str | None) -> Urgency:
    return Urgency.URGENT if raw and any(w in raw for w in ("紧急", "特急", "加急")) else Urgency.ORDINARY


PARSERS = {"ticket_no": text(64), "received_at": a_datetime, "description": text(4000), "address": text(255),
           "phone": text(32), "name": text(64), "due": a_datetime, "category": text(64), "urgency": text(16)}


def template_columns() -> list[Column]:
    return [Column(key, header, required=required, parse=PARSERS[key], aliases=tuple(a for a in aliases if a != header))
            for key, (header, aliases, required) in HEADERS.items()]


def _due_cached(cache: dict, received: datetime, hours, days) -> datetime:
    """``clock.due``, remembered per local day for deadlines in days (they depend on the day only)."""
    if hours is not None:
        return due(received, hours, days)
    key = (received.astimezone(LOCAL_TZ).date(), days)
    if key not in cache:
        cache[key] = due(received, hours, days)
    return cache[key]


@dataclass
class Ready:
    number: int
    values: dict
    estate_id: int | None = None
    confidence: int | None = None
    category: str = "其他"
    kind: Kind = Kind.COMPLAINT
    urgency: Urgency = Urgency.ORDINARY
    suggestions: list | None = None


@dataclass
class Outcome:
    created: int = 0
    skipped: int = 0
    queued: int = 0
    repeats: int = 0
    ids: list = field(default_factory=list)

    def __len__(self):
        return self.created


class HotlineImport(SheetImport):
    """The 12345 platform's work-order export, read like any ledger (title lines skipped, merged cells, headers
    by alias); the platform's many other columns are left out, not asked about."""

    ignore_unknown_columns = True

    def __init__(self, actor=None):
        self.actor = actor
        self.columns = template_columns()
        self.missing: list[str] = []

    def prepare(self, rows) -> None:
        tickets = {str(r.get("ticket_no")) for r in rows if r.get("ticket_no")}
        self.existing = set()
        listed = list(tickets)
        for start in range(0, len(listed), 900):
            self.existing.update(db.session.scalars(select(Complaint.ticket_no).where(
                Complaint.channel == Channel.HOTLINE, Complaint.ticket_no.in_(listed[start:start + 900]))))
        self.seen: dict[str, int] = {}
        self.matcher = Matcher()

    def check_row(self, row):
        ticket = row.get("ticket_no")
        if ticket is None:
            return None
        if ticket in self.seen:
            row.error("ticket_no", _("与第 %(n)s 行的工单编号重复", n=self.seen[ticket]))
            return None
        self.seen[ticket] = row.number
        if ticket in self.existing:
            return None  # already registered: skipped (the import is idempotent)
        received = row.get("received_at")
        if received is not None and received > utcnow() + timedelta(hours=1):
            row.error("received_at", _("来电时间不能晚于现在"))
        if row.get("due") is not None and received is not None and row.get("due") < received:
            row.error("due", _("办理时限不能早于来电时间"))
        description = row.get("description") or ""
        category, kind = category_of(row.get("category"), description)
        estate_id, confidence, suggestions = self.matcher.match_with_suggestions(row.get("address") or description)
        return Ready(row.number, row.values, estate_id, confidence, category, kind, urgency_of(row.get("urgency")),
                     suggestions)

    def write(self, ready: list) -> Outcome:
        outcome = Outcome()
        rows = [r for r in ready if r is not None]
        outcome.skipped = len(ready) - len(rows)
        if not rows:
            return outcome
        now = utcnow()
        estates = dict(db.session.execute(select(Estate.id, Estate.street_id)).all())
        companies = dict(db.session.execute(select(Estate.id, Estate.company_id)).all())
        clocks: dict = {}
        dues: dict = {}
        values = []
        rows.sort(key=lambda r: r.values["received_at"])
        for r in rows:
            v = r.values
            key = (r.kind, r.urgency, r.category)
            if key not in clocks:
                clocks[key] = clock_for(*key)
            rh, rd, sh, sd = clocks[key]
            received = v["received_at"]
            response_due = _due_cached(dues, received, rh, rd)
            resolution_due = _due_cached(dues, received, sh, sd)
            placed = r.estate_id is not None
            values.append(dict(
                kind=r.kind, channel=Channel.HOTLINE, ticket_no=v["ticket_no"], tracking_no=new_tracking_no(),
                received_at=received, complainant_name=v.get("name"), complainant_phone=v.get("phone"),
                address=v.get("address"), estate_id=r.estate_id, street_id=estates.get(r.estate_id),
                company_id=companies.get(r.estate_id),
                match_status=MatchStatus.MATCHED if placed else MatchStatus.PENDING, match_confidence=r.confidence,
                match_suggestions=None if placed else r.suggestions,
                category=r.category, description=v["description"], urgency=r.urgency,
                state=State.ASSIGNED if placed else State.RECEIVED, state_since=now,
                hotline_due_at=v.get("due"), response_due_at=response_due,
                resolution_due_at=resolution_due, assigned_at=now if placed else None, reopened_count=0,
                version=1, created_at=now, updated_at=now, created_by_id=getattr(self.actor, "id", None)))
        # Core inserts of the table: one executemany (the ORM's bulk path splits rows by their NULLs).
        db.session.execute(insert(Complaint.__table__), values)
        tickets = [v["ticket_no"] for v in values]
        ids = {}
        for start in range(0, len(tickets), 900):
            ids.update(db.session.execute(select(Complaint.ticket_no, Complaint.id).where(
                Complaint.channel == Channel.HOTLINE, Complaint.ticket_no.in_(tickets[start:start + 900]))).all())
        db.session.execute(insert(ComplaintTransition.__table__), [
            dict(complaint_id=ids[v["ticket_no"]], from_state=None, to_state=v["state"], verb="receive", at=now,
                 by_id=getattr(self.actor, "id", None), comment=_("12345工单导入")) for v in values])
        outcome.repeats = self._link_repeats(values, ids)
        outcome.created = len(values)
        outcome.queued = sum(1 for v in values if v["estate_id"] is None)
        outcome.ids = list(ids.values())
        record("complaint.import", None, object_type="Complaint", summary=_(
            "12345工单导入：新增 %(n)s 件，跳过已登记 %(s)s 件，待匹配 %(q)s 件", n=outcome.created,
            s=outcome.skipped, q=outcome.queued), after={"tickets": [v["ticket_no"] for v in values][:200]},
            actor=self.actor)
        return outcome

    @staticmethod
    def _link_repeats(values: list[dict], ids: dict) -> int:
        """Link each new complaint to the latest earlier one of its estate, category and kind within
        ``REPEAT_WINDOW`` (as ``services.repeat_of`` does for one): one query for the originals the
        file can reach, then a binary search per row in the originals of its key, kept in time order."""
        placed = [v for v in values if v["estate_id"] is not None and v["kind"] is Kind.COMPLAINT]
        if not placed:
            return 0
        table = Complaint.__table__.c
        keys = {(v["estate_id"], v["category"]) for v in placed}
        estate_ids = sorted({estate_id for estate_id, _category in keys})
        statement = (select(table.id, table.estate_id, table.category, table.received_at)
                     .where(table.repeat_of_id.is_(None), table.kind == Kind.COMPLAINT,
                            table.received_at >= placed[0]["received_at"] - REPEAT_WINDOW,
                            table.received_at <= placed[-1]["received_at"], table.estate_id.is_not(None),
                            table.id.not_in(list(ids.values())))
                     .order_by(table.received_at, table.id))
        if len(estate_ids) <= 900:  # else every estate is likely in the file anyway
            statement = statement.where(table.estate_id.in_(estate_ids))
        originals: dict[tuple, list[tuple[datetime, int]]] = {}
        for cid, estate_id, category, received in db.session.execute(statement):
            if (estate_id, category) in keys:
                originals.setdefault((estate_id, category), []).append((received, cid))
        links = []
        for v in placed:
            times = originals.setdefault((v["estate_id"], v["category"]), [])
            received, cid = v["received_at"], ids[v["ticket_no"]]
            latest = bisect_right(times, (received, _LAST_ID)) - 1
            if latest >= 0 and times[latest][0] >= received - REPEAT_WINDOW:
                links.append({"b_id": cid, "b_repeat": times[latest][1]})
            else:
                insort(times, (received, cid))
        if links:
            db.session.execute(update(Complaint.__table__).where(Complaint.__table__.c.id == bindparam("b_id"))
                               .values(repeat_of_id=bindparam("b_repeat")), links)
        return len(links)


# --- the companies' own repair logs (企业报修台账) -----------------------------------------

REPAIR_COLUMNS = [
    Column("ticket_no", "报修单号", required=True, parse=text(48), example="BX20261103001"),
    Column("estate", "小区", required=True, parse=text(128), example="阳光小区"),
    Column("received_at", "报修时间", required=True, parse=a_datetime, example="2026-11-03 09:12"),
    Column("description", "报修内容", required=True, parse=text(2000), example="3栋2单元楼道灯不亮"),
    Column("urgency", "紧急程度", parse=text(16), example="一般", note="紧急 / 一般（默认一般）"),
    Column("completed_at", "修复时间", parse=a_datetime, example="2026-11-04 15:00", note="未修复的留空"),
    Column("phone", "联系电话", parse=text(32), example="13800000000"),
]


def record_repair(*, company, estate, ticket_no: str, received_at: datetime, description: str,
                  urgency: Urgency, completed_at: datetime | None, phone: str | None, actor) -> tuple[Complaint, bool]:
    """One repair of a company's log: registered once per (company, number); returns (repair, created).
    A later push of the same number may add the completion time, nothing else."""
    key = f"{company.id}-{ticket_no}"
    existing = db.session.scalar(select(Complaint).where(Complaint.channel == Channel.COMPANY_LOG,
                                                         Complaint.ticket_no == key))
    if existing is not None:
        if completed_at is not None and existing.resolved_at is None and existing.state in (State.ASSIGNED,
                                                                                            State.RESPONDED):
            services.transition(existing, State.RESOLVED, actor=actor, text=_("企业报修台账：已修复"))
            existing.resolved_at = completed_at
            existing.responded_at = min(existing.responded_at, completed_at)
        return existing, False
    repair = services.receive(channel=Channel.COMPANY_LOG, kind=Kind.REPAIR, category="维修",
                              description=description, estate=estate, urgency=urgency, received_at=received_at,
                              ticket_no=key, phone=phone, actor=actor)
    if completed_at is not None:
        services.transition(repair, State.RESOLVED, actor=actor, text=_("企业报修台账：已修复"))
        repair.resolved_at = repair.responded_at = completed_at
    return repair, True


class RepairLogImport(SheetImport):
    """A company's repair log: its own estates only; idempotent on the company's repair number."""

    columns = REPAIR_COLUMNS

    def __init__(self, company, actor):
        self.company = company
        self.actor = actor

    def prepare(self, rows) -> None:
        self.estates = {e.name: e for e in db.session.scalars(select(Estate).where(
            Estate.company_id == self.company.id, Estate.archived_at.is_(None)))}
        self.seen: dict[str, int] = {}

    def check_row(self, row):
        estate = self.estates.get(row.get("estate") or "")
        if row.get("estate") and estate is None:
            row.error("estate", _("不是本企业在管的小区"))
        ticket = row.get("ticket_no")
        if ticket in self.seen:
            row.error("ticket_no", _("与第 %(n)s 行的报修单号重复", n=self.seen[ticket]))
        elif ticket:
            self.seen[ticket] = row.number
        received, completed = row.get("received_at"), row.get("completed_at")
        if received and completed and completed < received:
            row.error("completed_at", _("修复时间不能早于报修时间"))
        if received and received > utcnow() + timedelta(hours=1):
            row.error("received_at", _("报修时间不能晚于现在"))
        return dict(row.values, estate=estate)

    def write(self, ready: list) -> list:
        created = []
        for values in ready:
            repair, new = record_repair(
                company=self.company, estate=values["estate"], ticket_no=values["ticket_no"],
                received_at=values["received_at"], description=values["description"],
                urgency=urgency_of(values.get("urgency")), completed_at=values.get("completed_at"),
                phone=values.get("phone"), actor=self.actor)
            if new:
                created.append(repair)
        return created


def _hotline_summary(result) -> str:
    outcome = result.created
    return _("已导入 %(n)s 件12345工单（%(s)s 件此前已登记，跳过；%(q)s 件待人工匹配小区；%(r)s 件为重复诉求）。",
             n=outcome.created, s=outcome.skipped, q=outcome.queued, r=outcome.repeats)


def _job_company(actor):
    if actor is None or actor.company is None:
        raise JobFailure(_("只有物业企业账号可以导入报修台账。"))
    return actor.company


HOTLINE_JOB = import_jobs.register(import_jobs.Importer(
    name="hotline", title=_l("导入12345工单"), noun=_l("工单"),
    build=lambda filename, actor, options: HotlineImport(actor=actor), summary=_hotline_summary))
REPAIRS_JOB = import_jobs.register(import_jobs.Importer(
    name="repairs", title=_l("导入报修台账"), noun=_l("报修记录"),
    build=lambda filename, actor, options: RepairLogImport(_job_company(actor), actor),
    summary=lambda result: _("已导入 %(n)s 条报修记录（已登记的报修单号只补记修复时间）。", n=len(result.created))))
