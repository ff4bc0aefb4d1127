"""Enrolling estates in a campaign, by filter or from an Excel list, and withdrawing them."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ...audit.services import record, record_change, snapshot
from ...core.errors import DomainError
from ...core.search import contains
from ...core.timeutil import utcnow
from ...documents import normalise
from ...documents.excel import Column, text, write_workbook
from ...documents.imports import ImportResult, SheetImport
from ...estates.models import Estate, ManagementMode
from ...extensions import db
from ...jobs import imports as import_jobs
from ...regions.models import Street
from ..models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus
from .common import require_bureau


@dataclass
class EstateFilter:
    street_id: int | None = None
    management_mode: ManagementMode | None = None
    is_old: bool | None = None
    company_id: int | None = None
    q: str | None = None

    def is_empty(self) -> bool:
        return all(v in (None, "") for v in (self.street_id, self.management_mode, self.is_old, self.company_id,
                                               self.q))


def estates_statement(f: EstateFilter, statement=None):
    """Live (not archived) estates matching the filter."""
    statement = statement if statement is not None else select(Estate)
    statement = statement.where(Estate.archived_at.is_(None))
    if f.street_id:
        statement = statement.where(Estate.street_id == f.street_id)
    if f.management_mode:
        statement = statement.where(Estate.management_mode == f.management_mode)
    if f.is_old is not None:
        statement = statement.where(Estate.is_old.is_(f.is_old))
    if f.company_id:
        statement = statement.where(Estate.company_id == f.company_id)
    if f.q:
        like = f"%{f.q.strip()}%"
        statement = statement.where(or_(contains(Estate.name, like), contains(Estate.address, like)))
    return statement


@dataclass
class EnrolResult:
    added: list = field(default_factory=list)
    reactivated: list = field(default_factory=list)
    skipped: int = 0


def enrol(campaign: Campaign, estates, *, actor) -> EnrolResult:
    """Enrol estates; already enrolled ones are skipped, withdrawn ones re-enrolled."""
    require_bureau(actor, _("纳入小区"))
    if campaign.status is CampaignStatus.CLOSED:
        raise DomainError(_("专项行动已结束，不能再纳入小区。"))
    estates = list(estates)
    existing = {e.estate_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.campaign_id == campaign.id, Enrolment.estate_id.in_([e.id for e in estates])))} if estates else {}
    result = EnrolResult()
    now = utcnow()
    for estate in estates:
        if estate.archived_at is not None:
            raise DomainError(_("小区“%(name)s”已归档，不能纳入。", name=estate.name))
        enrolment = existing.get(estate.id)
        if enrolment is None:
            enrolment = Enrolment(campaign_id=campaign.id, estate_id=estate.id, street_id=estate.street_id,
                                  company_id=estate.company_id, status=EnrolmentStatus.ACTIVE, enrolled_at=now,
                                  enrolled_by_id=getattr(actor, "id", None))
            db.session.add(enrolment)
            result.added.append(enrolment)
        elif enrolment.status is EnrolmentStatus.WITHDRAWN:
            before = snapshot(enrolment, ["status", "withdrawn_at", "withdrawn_reason", "company_id"])
            enrolment.status = EnrolmentStatus.ACTIVE
            enrolment.withdrawn_at = None
            enrolment.withdrawn_reason = None
            enrolment.street_id, enrolment.company_id = estate.street_id, estate.company_id
            record_change("enrolment.reenrol", enrolment, before, actor=actor)
            result.reactivated.append(enrolment)
        else:
            result.skipped += 1
    db.session.flush()
    for enrolment in result.added:
        record("enrolment.create", enrolment, after=snapshot(enrolment, ["campaign_id", "estate_id", "street_id",
                                                                         "company_id"]), actor=actor)
    return result


def withdraw(enrolment: Enrolment, *, reason: str, actor) -> None:
    require_bureau(actor, _("退出小区"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写退出原因。"), field="reason")
    if enrolment.status is EnrolmentStatus.CLOSED:
        raise DomainError(_("已销号的小区不能退出。"))
    if enrolment.status is EnrolmentStatus.WITHDRAWN:
        raise DomainError(_("该小区已退出。"))
    before = snapshot(enrolment, ["status", "withdrawn_at", "withdrawn_reason"])
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = utcnow()
    enrolment.withdrawn_reason = reason
    record_change("enrolment.withdraw", enrolment, before, actor=actor)


# --- Excel list -------------------------------------------------------------------

IMPORT_COLUMNS = [
    Column("street", "所属街道", required=True, parse=text(64), example="东城街道", width=16,
           aliases=("街道", "街道办事处", "所在街道", "街镇")),
    Column("estate", "小区名称", required=True, parse=text(128), example="阳光小区", width=28,
           aliases=("项目名称", "小区（项目）名称", "小区/项目名称", "物业项目名称", "小区")),
    Column("note", "备注", parse=text(255), example="", width=30, aliases=("说明",)),
]


def import_template() -> bytes:
    help_rows = [["填写说明"], ["每行一个小区，填写系统中登记的所属街道和小区名称（与小区台账一致）。"],
                 ["已纳入的小区自动跳过；已退出的小区重新纳入。"], ["任何一行有错误时，整个文件不导入。"]]
    return write_workbook(IMPORT_COLUMNS, [], title="纳入小区", example=True, extra_sheets={"说明": help_rows})


class EnrolmentImport(SheetImport):
    """Enrols the listed estates of ``campaign``."""

    columns = IMPORT_COLUMNS
    max_rows = 5000
    kind = "enrolments"

    def __init__(self, campaign: Campaign, actor):
        self.campaign, self.actor = campaign, actor

    def prepare(self, rows) -> None:
        self.streets = {name: sid for sid, name in db.session.execute(select(Street.id, Street.name))}
        for row in rows:  # 东城 or 东城街道: the registered name
            matches = normalise.match_name(row.get("street") or "", self.streets, normalise.STREET_SUFFIXES)
            if len(matches) == 1:
                row.values["street"] = matches[0]
        wanted = {row.get("street") for row in rows}
        street_ids = {self.streets[name] for name in wanted if name in self.streets}
        self.estates = {}
        if street_ids:
            for estate in db.session.scalars(select(Estate).where(Estate.street_id.in_(street_ids))):
                self.estates[(estate.street_id, estate.name)] = estate
        self.seen: dict[int, int] = {}
        self.enrolled = enrolled_estate_ids(self.campaign)

    def check_row(self, row):
        street_name, estate_name = row.get("street"), row.get("estate")
        if not street_name or not estate_name:
            return None  # a required-cell error was already recorded
        street_id = self.streets.get(street_name)
        if street_id is None:
            row.error("street", _("找不到街道“%(name)s”", name=street_name))
            return None
        estate = self.estates.get((street_id, estate_name))
        if estate is None:
            row.error("estate", _("%(street)s没有名为“%(name)s”的小区", street=street_name, name=estate_name))
        elif estate.archived_at is not None:
            row.error("estate", _("小区已归档"))
        elif estate.id in self.seen:
            row.error("estate", _("与第 %(row)s 行重复", row=self.seen[estate.id]))
        else:
            self.seen[estate.id] = row.number
            if estate.id in self.enrolled:
                row.skip(_("%(name)s（已纳入）", name=estate.name))
        return estate

    def write(self, ready) -> EnrolResult:
        return enrol(self.campaign, ready, actor=self.actor)


def import_enrolments(campaign: Campaign, data: bytes, filename: str | None = None, *, actor, mapping=None,
                      dry_run: bool = False) -> ImportResult:
    """All or nothing: every row is checked; nothing is enrolled if any row fails.
    ``created`` is the ``EnrolResult``."""
    require_bureau(actor, _("纳入小区"))
    return EnrolmentImport(campaign, actor).run(data, filename, mapping=mapping, dry_run=dry_run)


def enrolled_estate_ids(campaign: Campaign, among: list[int] | None = None) -> set[int]:
    """Ids of the estates enrolled (not withdrawn); ``among`` limits the look-up to those estates (one page)."""
    statement = select(Enrolment.estate_id).where(Enrolment.campaign_id == campaign.id,
                                                  Enrolment.status != EnrolmentStatus.WITHDRAWN)
    if among is not None:
        statement = statement.where(Enrolment.estate_id.in_(among))
    return set(db.session.scalars(statement))


def count_matching(f: EstateFilter, campaign: Campaign, *, total: int | None = None) -> tuple[int, int]:
    """(estates matching, of which already enrolled); ``total`` when the caller has counted them already."""
    base = estates_statement(f, select(func.count(Estate.id)))
    if total is None:
        total = db.session.scalar(base) or 0
    already = db.session.scalar(base.join(Enrolment, (Enrolment.estate_id == Estate.id)
                                          & (Enrolment.campaign_id == campaign.id)
                                          & (Enrolment.status != EnrolmentStatus.WITHDRAWN))) or 0
    return total, already


JOB_IMPORTER = import_jobs.register(import_jobs.Importer(
    name="enrolments", title=_l("导入纳入小区名单"), noun=_l("小区"),
    build=lambda filename, actor, options: EnrolmentImport(
        import_jobs.option_record(Campaign, options, "campaign_id", _("活动已不存在。")), actor),
    summary=lambda result: _("新纳入 %(added)s 个小区，重新纳入 %(back)s 个，已在册跳过 %(skipped)s 个。",
                             added=len(result.created.added), back=len(result.created.reactivated),
                             skipped=result.created.skipped)))
