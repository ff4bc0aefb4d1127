"""自查检查表: a company fills the campaign's checklist for each of its enrolled
estates, online or through an Excel workbook, and submits it.

Scoring: score = Σ weight of passed items ÷ Σ weight of scored items × 100.
Yes/no items pass on “是”; percentage and count items pass when the value
meets the threshold (``>=`` or ``<=``); text items are not scored. Every
scored item must be answered before submission. On submission every failed
item becomes a rectification item (source: self-inspection) unless one for the
same checklist item of the same enrolment is still not accepted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ...attachments.services import EVIDENCE, PDF, attachments_of, store, store_bytes, validate
from ...audit.services import record, snapshot
from ...core.errors import DomainError
from ...core.timeutil import local_today, utcnow
from ...documents.excel import CellError, Column, RowError, boolean, text, write_workbook
from ...documents.imports import SheetImport
from ...extensions import db
from ...notifications.services import company_users, notify
from ..models import (
    ChecklistItem,
    ChecklistKind,
    Enrolment,
    ItemSource,
    ItemState,
    RectificationItem,
    ResponsibleParty,
    SelfInspection,
    SelfInspectionAnswer,
    SelfInspectionStatus,
    Severity,
)
from .common import is_bureau, may_fill_self_inspection, require_active_campaign, require_open_enrolment
from .items import create_item

K = ChecklistKind
EDITABLE = (SelfInspectionStatus.DRAFT, SelfInspectionStatus.RETURNED)
SCORED = (K.YES_NO, K.PERCENT, K.COUNT)


# --- answers ----------------------------------------------------------------------

def parse_answer(item: ChecklistItem, raw) -> dict:
    """The raw answer (a form string or an Excel cell) as column values; raises CellError."""
    values = {"value_bool": None, "value_number": None, "value_text": None}
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return values
    if item.kind is K.YES_NO:
        values["value_bool"] = boolean(raw)
    elif item.kind in (K.PERCENT, K.COUNT):
        if isinstance(raw, bool):
            raise CellError(_("应为数字"))
        cleaned = str(raw).strip().rstrip("%％").replace(",", "")
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(_("应为数字")) from None
        if not number.is_finite():
            raise CellError(_("应为数字"))
        if item.kind is K.PERCENT:
            if isinstance(raw, float) and 0 < raw <= 1 and not str(raw).strip().endswith("%"):
                number = number * 100  # Excel stores a cell formatted as 95% as 0.95
            if not Decimal(0) <= number <= Decimal(100):
                raise CellError(_("百分比应在0至100之间"))
        else:
            if number < 0:
                raise CellError(_("数量不能为负数"))
            if number != number.to_integral_value():
                raise CellError(_("数量应为整数"))
            if number > 1_000_000:
                raise CellError(_("数值过大"))
        values["value_number"] = number.quantize(Decimal("0.01"))
    else:
        value = str(raw).strip()
        if len(value) > 2000:
            raise CellError(_("长度不能超过 %(n)s 个字符", n=2000))
        values["value_text"] = value
    return values


def is_answered(item: ChecklistItem, answer: SelfInspectionAnswer | None) -> bool:
    if answer is None:
        return False
    if item.kind is K.YES_NO:
        return answer.value_bool is not None
    if item.kind in (K.PERCENT, K.COUNT):
        return answer.value_number is not None
    return bool((answer.value_text or "").strip())


def evaluate(item: ChecklistItem, answer: SelfInspectionAnswer | None) -> bool | None:
    """True/False for a scored item that is answered; None when not scored."""
    if item.kind not in SCORED or not is_answered(item, answer):
        return None
    if item.kind is K.YES_NO:
        return bool(answer.value_bool)
    if item.threshold is None:
        return None
    if item.comparator == "<=":
        return answer.value_number <= item.threshold
    return answer.value_number >= item.threshold


def compute_score(pairs) -> Decimal | None:
    """``pairs``: (checklist item, passed or None). None when nothing is scored."""
    scored = [(item, passed) for item, passed in pairs if passed is not None and item.weight]
    total = sum((Decimal(item.weight) for item, _p in scored), Decimal(0))
    if not total:
        return None
    won = sum((Decimal(item.weight) for item, passed in scored if passed), Decimal(0))
    return (won / total * 100).quantize(Decimal("0.01"))


def _number(value: Decimal) -> str:
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def standard_text(item: ChecklistItem) -> str:
    if item.kind is K.YES_NO:
        return _("是")
    if item.kind is K.TEXT or item.threshold is None:
        return ""
    unit = "%" if item.kind is K.PERCENT else (item.unit or "")
    return f"{'≥' if item.comparator != '<=' else '≤'}{_number(item.threshold)}{unit}"


def answer_text(item: ChecklistItem, answer: SelfInspectionAnswer | None) -> str:
    if answer is None:
        return ""
    if item.kind is K.YES_NO:
        return "" if answer.value_bool is None else (_("是") if answer.value_bool else _("否"))
    if item.kind in (K.PERCENT, K.COUNT):
        if answer.value_number is None:
            return ""
        return _number(answer.value_number) + ("%" if item.kind is K.PERCENT else (item.unit or ""))
    return answer.value_text or ""


# --- the form's life --------------------------------------------------------------

def start(enrolment: Enrolment, *, actor) -> SelfInspection:
    """The enrolment's form, created as a draft on first use."""
    if enrolment.self_inspection is not None:
        return enrolment.self_inspection
    if not may_fill_self_inspection(actor, enrolment):
        raise DomainError(_("只有该小区的物业服务企业可以填报自查表。"))
    campaign = enrolment.campaign
    require_active_campaign(campaign)
    require_open_enrolment(enrolment)
    if campaign.checklist_template_id is None:
        raise DomainError(_("本次专项行动没有设置自查检查表。"))
    si = SelfInspection(enrolment_id=enrolment.id, template_id=campaign.checklist_template_id,
                        status=SelfInspectionStatus.DRAFT)
    db.session.add(si)
    db.session.flush()
    enrolment.self_inspection = si
    record("self_inspection.start", si, after={"enrolment_id": enrolment.id, "template_id": si.template_id},
           actor=actor)
    return si


def _check_editable(si: SelfInspection, actor) -> None:
    if not may_fill_self_inspection(actor, si.enrolment):
        raise DomainError(_("只有该小区的物业服务企业可以填报自查表。"))
    require_active_campaign(si.enrolment.campaign)
    require_open_enrolment(si.enrolment)
    if si.status not in EDITABLE:
        raise DomainError(_("自查表“%(status)s”，不能修改。", status=si.status.label))


def answers_by_item(si: SelfInspection) -> dict[int, SelfInspectionAnswer]:
    return {a.item_id: a for a in si.answers}


@dataclass
class SaveOutcome:
    errors: dict[int, str] = field(default_factory=dict)
    changed: int = 0


def save_answers(si: SelfInspection, raw: dict[int, object], remarks: dict[int, str | None], *, actor,
                 files: dict[int, list] | None = None, fact_date: date | None = None) -> SaveOutcome:
    """Save a draft. All or nothing: with any error (bad value, bad file), nothing is saved.

    ``raw`` and ``remarks`` are keyed by checklist item id; items not in ``raw``
    keep their answer.
    """
    _check_editable(si, actor)
    items = {item.id: item for item in si.template.offered_items}
    outcome = SaveOutcome()
    parsed = {}
    for item_id, value in raw.items():
        item = items.get(item_id)
        if item is None:
            continue
        try:
            parsed[item_id] = parse_answer(item, value)
        except CellError as error:
            outcome.errors[item_id] = str(error)
    for item_id, remark in remarks.items():
        if remark and len(remark) > 1000:
            outcome.errors[item_id] = _("备注不能超过1000字")
    files = {k: [f for f in v if f is not None and getattr(f, "filename", None)] for k, v in (files or {}).items()}
    checked_files = {}
    for item_id, uploads in files.items():
        for upload in uploads:
            data = upload.read()
            try:
                validate(data, upload.filename, EVIDENCE)
            except DomainError as error:
                outcome.errors[item_id] = error.message
            checked_files.setdefault(item_id, []).append((upload.filename, data))
    if outcome.errors:
        return outcome
    existing = answers_by_item(si)
    for item_id, values in parsed.items():
        answer = existing.get(item_id)
        remark = (remarks.get(item_id) or "").strip() or None
        if answer is None:
            if all(v is None for v in values.values()) and remark is None and item_id not in checked_files:
                continue
            answer = SelfInspectionAnswer(self_inspection_id=si.id, item_id=item_id)
            si.answers.append(answer)
            existing[item_id] = answer
        new = dict(values, remark=remark)
        if any(getattr(answer, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(answer, k, v)
            outcome.changed += 1
    for item_id, uploads in checked_files.items():
        answer = existing.get(item_id)
        if answer is None:
            answer = SelfInspectionAnswer(self_inspection_id=si.id, item_id=item_id)
            si.answers.append(answer)
            existing[item_id] = answer
        db.session.flush()

        for filename, data in uploads:
            store_bytes(data, filename, kinds=EVIDENCE, owner=answer, purpose="photo",
                        fact_date=fact_date, fact_date_default=local_today(), user=actor)
            outcome.changed += 1
    if outcome.changed:
        si.updated_at = utcnow()
        record("self_inspection.save", si, after={"changed": outcome.changed}, actor=actor)
    db.session.flush()
    return outcome


def missing_items(si: SelfInspection) -> list[ChecklistItem]:
    answers = answers_by_item(si)
    return [item for item in si.template.offered_items
            if item.kind in SCORED and not is_answered(item, answers.get(item.id))]


def upload_signed_scan(si: SelfInspection, file_storage, *, actor):
    _check_editable(si, actor)
    return store(file_storage, kinds=(PDF,), owner=si, purpose="signed_scan", fact_date=local_today(), user=actor)


def submit(si: SelfInspection, *, actor) -> list[RectificationItem]:
    """Score the form, mark it submitted, and open an item for each failed check."""
    _check_editable(si, actor)
    missing = missing_items(si)
    if missing:
        codes = "、".join(item.code for item in missing[:10])
        more = _("等") if len(missing) > 10 else ""
        raise DomainError(_("还有 %(n)s 项未填写：%(codes)s%(more)s。", n=len(missing), codes=codes, more=more))
    campaign = si.enrolment.campaign
    if campaign.requires_signed_scan and not attachments_of(si, "signed_scan"):
        raise DomainError(_("本次专项行动要求上传盖章扫描件（PDF），请先上传。"))
    answers = answers_by_item(si)
    pairs = []
    for item in si.template.offered_items:
        answer = answers.get(item.id)
        passed = evaluate(item, answer)
        if answer is not None:
            answer.passed = passed
        pairs.append((item, passed))
    before = snapshot(si, ["status", "score", "submission_count"])
    now = utcnow()
    si.score = compute_score(pairs)
    si.status = SelfInspectionStatus.SUBMITTED
    si.submitted_at = now
    si.first_submitted_at = si.first_submitted_at or now
    si.submitted_by_id = actor.id
    si.submission_count = (si.submission_count or 0) + 1
    created = _open_items_for_failures(si, pairs, answers, actor=actor)
    after = snapshot(si, ["status", "score", "submission_count"])
    after["items_opened"] = [i.id for i in created]
    record("self_inspection.submit", si, before=before, after=after, actor=actor)
    return created


def _open_items_for_failures(si, pairs, answers, *, actor) -> list[RectificationItem]:
    enrolment = si.enrolment
    failed = [(item, answers.get(item.id)) for item, passed in pairs if passed is False]
    if not failed:
        return []
    still_open = set(db.session.scalars(select(RectificationItem.checklist_item_id).where(
        RectificationItem.enrolment_id == enrolment.id, RectificationItem.checklist_item_id.is_not(None),
        RectificationItem.state != ItemState.ACCEPTED)))
    created = []
    for item, answer in failed:
        if item.id in still_open:
            continue
        found = answer_text(item, answer)
        standard = standard_text(item)
        description = _("%(code)s %(requirement)s（自查结果：%(found)s；标准：%(standard)s）", code=item.code,
                        requirement=item.requirement, found=found, standard=standard)
        if answer is not None and answer.remark:
            description += _("。企业说明：%(remark)s", remark=answer.remark)
        severity = Severity.SERIOUS if Decimal(item.weight or 0) >= 3 else Severity.GENERAL
        created.append(create_item(estate=enrolment.estate, enrolment=enrolment, source=ItemSource.SELF_INSPECTION,
                                   source_id=si.id, checklist_item_id=item.id, category=item.category,
                                   description=description, severity=severity,
                                   responsible_party=ResponsibleParty.COMPANY, actor=actor))
    return created


def return_for_revision(si: SelfInspection, *, comment: str, actor) -> None:
    if not is_bureau(actor):
        raise DomainError(_("只有住建局可以退回自查表。"))
    if si.status is not SelfInspectionStatus.SUBMITTED:
        raise DomainError(_("只有已提交的自查表可以退回。"))
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("请填写退回意见。"), field="comment")
    before = snapshot(si, ["status", "review_comment"])
    si.status = SelfInspectionStatus.RETURNED
    si.reviewed_at = utcnow()
    si.reviewed_by_id = actor.id
    si.review_comment = comment
    record("self_inspection.return", si, before=before, after=snapshot(si, ["status", "review_comment"]),
           actor=actor)
    enrolment = si.enrolment
    if enrolment.company_id:

        link = url_for("campaigns.self_inspection", enrolment_id=enrolment.id) if has_request_context() else None
        notify(company_users(enrolment.company_id), kind="self_inspection_returned",
               title=_("自查表被退回：%(estate)s", estate=enrolment.estate.name), body=comment,
               dedup_key=f"si-returned:{si.id}:{si.submission_count}", link=link)


def approve(si: SelfInspection, *, actor, comment: str | None = None) -> None:
    if not is_bureau(actor):
        raise DomainError(_("只有住建局可以审核自查表。"))
    if si.status is not SelfInspectionStatus.SUBMITTED:
        raise DomainError(_("只有已提交的自查表可以审核通过。"))
    before = snapshot(si, ["status", "review_comment"])
    si.status = SelfInspectionStatus.ACCEPTED
    si.reviewed_at = utcnow()
    si.reviewed_by_id = actor.id
    si.review_comment = (comment or "").strip() or None
    record("self_inspection.approve", si, before=before, after=snapshot(si, ["status", "review_comment"]),
           actor=actor)


# --- the offline workbook -----------------------------------------------------------

KIND_LABELS = {K.YES_NO: "是/否", K.PERCENT: "百分比", K.COUNT: "数量", K.TEXT: "文字"}

WORKBOOK_COLUMNS = [
    Column("code", "编号", required=True, parse=text(32), width=10),
    Column("category", "类别", parse=text(32), width=12),
    Column("requirement", "检查内容", parse=text(500), width=60),
    Column("kind", "类型", parse=text(16), width=10),
    Column("standard", "达标标准", parse=text(32), width=12),
    Column("answer", "填报结果", parse=lambda raw: raw, width=14),
    Column("remark", "备注", parse=text(1000), width=40),
]


@dataclass
class _Row:
    code: str
    category: str
    requirement: str
    kind: str
    standard: str
    answer: object
    remark: str | None


def workbook(si: SelfInspection) -> bytes:
    """One row per checklist item, with the answers saved so far."""
    answers = answers_by_item(si)
    rows = []
    for item in si.template.offered_items:
        answer = answers.get(item.id)
        value = answer_text(item, answer)
        if item.kind in (K.PERCENT, K.COUNT) and answer is not None and answer.value_number is not None:
            value = float(answer.value_number)
        rows.append(_Row(item.code, item.category, item.requirement, KIND_LABELS[item.kind], standard_text(item),
                         value if value != "" else None, answer.remark if answer else None))
    enrolment = si.enrolment
    help_rows = [
        ["填写说明"],
        [f"专项行动：{enrolment.campaign.name}"],
        [f"小区：{enrolment.estate.name}"],
        [f"检查表：{si.template}"],
        ["只填写“填报结果”和“备注”两列，不要修改编号，不要增删列。"],
        ["是/否类填“是”或“否”（“是”表示达标）；百分比类填0–100的数字（如 96）；数量类填非负整数；文字类可不填。"],
        ["上传后系统逐行校验，任何一行有错误时整份文件不导入，并列出出错的行。导入只保存草稿，提交仍需在网页上操作。"],
    ]
    return write_workbook(WORKBOOK_COLUMNS, rows, title="自查检查表", extra_sheets={"填写说明": help_rows})


class WorkbookImport(SheetImport):
    """The filled checklist workbook of one self-inspection, saved as a draft."""

    columns = WORKBOOK_COLUMNS
    max_rows = 1000

    def __init__(self, si: SelfInspection, actor):
        self.si, self.actor = si, actor
        self.items = {item.code: item for item in si.template.offered_items}
        self.seen: dict[str, int] = {}

    def check_row(self, row):
        code = row.get("code")
        if not code:
            return None  # the required-cell error is already recorded
        item = self.items.get(code)
        if item is None:
            row.error("code", _("检查表中没有编号“%(code)s”", code=code))
            return None
        if code in self.seen:
            row.error("code", _("与第 %(row)s 行重复", row=self.seen[code]))
            return None
        self.seen[code] = row.number
        kind = row.get("kind")
        if kind and kind not in (KIND_LABELS[item.kind], item.kind.value):
            row.error("kind", _("应为“%(kind)s”，请勿修改", kind=KIND_LABELS[item.kind]))
            return None
        try:
            parse_answer(item, row.get("answer"))
        except CellError as error:
            row.error("answer", f"{code}：{error}")
            return None
        return item.id, row.get("answer"), row.get("remark")

    def write(self, ready) -> list[RowError]:
        ready = [entry for entry in ready if entry is not None]
        raw = {item_id: answer for item_id, answer, _remark in ready}
        remarks = {item_id: remark for item_id, _answer, remark in ready}
        outcome = save_answers(self.si, raw, remarks, actor=self.actor)
        if outcome.errors:  # cannot happen after the checks above, but never save half
            return [RowError(0, "-", message) for message in outcome.errors.values()]
        record("self_inspection.import", self.si, after={"rows": len(raw)}, actor=self.actor)
        return []


def import_workbook(si: SelfInspection, data: bytes, *, actor) -> list[RowError]:
    """Read the filled workbook back: every row checked, all or nothing; saves a draft."""
    _check_editable(si, actor)
    result = WorkbookImport(si, actor).run(data, "upload.xlsx")
    return result.errors if result.errors else result.created


def input_value(item: ChecklistItem, answer: SelfInspectionAnswer | None) -> str:
    """The value an online form field shows for a saved answer."""
    if answer is None:
        return ""
    if item.kind is K.YES_NO:
        return "" if answer.value_bool is None else ("yes" if answer.value_bool else "no")
    if item.kind in (K.PERCENT, K.COUNT):
        return "" if answer.value_number is None else _number(answer.value_number)
    return answer.value_text or ""
