"""The scheme editor: the bureau copies a scheme, renames its phases, changes their windows, and adds,
edits or retires the items of its self-inspection form, instead of editing seeds/.

Versioning: a scheme some campaign was created from, or a checklist some campaign or self-inspection
uses, is never changed. The first edit of such a row makes a new version (same code, version + 1) with
the change; the old version is kept for the campaigns that use it and is no longer offered to new
campaigns (``active`` false). So an edit never changes a running campaign's phases or form.

A retired checklist item stays in its row (answers and rectification items point at it) and is left
out of the forms of the versions in which it is retired (``ChecklistTemplate.offered_items``).

Every edited row gets ``edited_at``: ``flask seed reference`` then leaves it alone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from ...audit.services import record
from ...core.errors import ConcurrentEditError, DomainError
from ...core.timeutil import utcnow
from ...extensions import db
from ..models import (
    Campaign,
    CampaignScheme,
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    SchemePhase,
    SelfInspection,
)
from .common import require_bureau

MAX_DAY = 730
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
ITEM_FIELDS = ("code", "category", "requirement", "kind", "threshold", "comparator", "unit", "weight")


# --- looking up -------------------------------------------------------------------

def scheme_in_use(scheme: CampaignScheme) -> bool:
    return bool(db.session.scalar(select(exists().where(Campaign.scheme_id == scheme.id))))


def template_in_use(template: ChecklistTemplate) -> bool:
    return bool(db.session.scalar(select(or_(exists().where(Campaign.checklist_template_id == template.id),
                                             exists().where(SelfInspection.template_id == template.id)))))


def campaigns_using(scheme: CampaignScheme) -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).where(Campaign.scheme_id == scheme.id)
                                   .order_by(Campaign.id.desc())))


def latest_version(model, code: str) -> int:
    return db.session.scalar(select(func.max(model.version)).where(model.code == code)) or 0


def is_latest(scheme: CampaignScheme) -> bool:
    return scheme.version == latest_version(CampaignScheme, scheme.code)


def current_template(code: str | None) -> ChecklistTemplate | None:
    """The newest active version of a checklist (the newest version when none is active)."""
    if not code:
        return None
    rows = db.session.scalars(select(ChecklistTemplate).where(ChecklistTemplate.code == code)
                              .order_by(ChecklistTemplate.active.desc(), ChecklistTemplate.version.desc())
                              .limit(1)).all()
    return rows[0] if rows else None


def scheme_template(scheme: CampaignScheme) -> ChecklistTemplate | None:
    return current_template(scheme.checklist_code)


def scheme_templates(schemes: list[CampaignScheme]) -> dict[int, ChecklistTemplate]:
    """``scheme_template`` of each scheme (by scheme id) in one query, with items; schemes without one left out."""
    codes = {scheme.checklist_code for scheme in schemes if scheme.checklist_code}
    if not codes:
        return {}
    newest: dict[str, ChecklistTemplate] = {}
    for template in db.session.scalars(
            select(ChecklistTemplate).where(ChecklistTemplate.code.in_(codes))
            .order_by(ChecklistTemplate.active.desc(), ChecklistTemplate.version.desc())
            .options(selectinload(ChecklistTemplate.items))):
        newest.setdefault(template.code, template)
    return {scheme.id: newest[scheme.checklist_code] for scheme in schemes if scheme.checklist_code in newest}


def schemes_sharing(template_code: str | None) -> list[CampaignScheme]:
    if not template_code:
        return []
    return list(db.session.scalars(select(CampaignScheme).where(CampaignScheme.checklist_code == template_code,
                                                                CampaignScheme.active.is_(True))
                                   .order_by(CampaignScheme.id)))


def phase_days(scheme: CampaignScheme) -> list[tuple[SchemePhase, int, int]]:
    """Each phase with its first and last day counted from the campaign's start (day 1)."""
    rows, day = [], 1
    for phase in scheme.phases:
        start = phase.start_day or day
        end = start + max(1, phase.default_days) - 1
        rows.append((phase, start, end))
        day = end + 1
    return rows


def _check_row_version(obj, submitted) -> None:
    try:
        value = int(submitted)
    except (TypeError, ValueError):
        value = None
    if value != obj.row_version:
        raise ConcurrentEditError(_("该记录已被他人修改，请刷新页面后重新编辑。"))


def _scheme_state(scheme: CampaignScheme) -> dict:
    return {"code": scheme.code, "version": scheme.version, "name": scheme.name,
            "description": scheme.description, "checklist_code": scheme.checklist_code,
            "phases": [[p.name, start, end] for p, start, end in phase_days(scheme)]}


def _item_state(item: ChecklistItem) -> dict:
    return {"code": item.code, "category": item.category, "requirement": item.requirement,
            "kind": item.kind.value, "threshold": str(item.threshold) if item.threshold is not None else None,
            "comparator": item.comparator, "unit": item.unit, "weight": str(item.weight),
            "retired": item.retired_at is not None}


# --- new versions -----------------------------------------------------------------

def _new_scheme_version(scheme: CampaignScheme, *, actor) -> CampaignScheme:
    now = utcnow()
    fresh = CampaignScheme(code=scheme.code, version=latest_version(CampaignScheme, scheme.code) + 1,
                           name=scheme.name, description=scheme.description, source=scheme.source,
                           report_figures=list(scheme.report_figures or []), active=True,
                           checklist_code=scheme.checklist_code, edited_at=now)
    for phase in scheme.phases:
        fresh.phases.append(SchemePhase(position=phase.position, kind=phase.kind, name=phase.name,
                                        default_days=phase.default_days, start_day=phase.start_day,
                                        description=phase.description))
    db.session.add(fresh)
    scheme.active = False
    scheme.edited_at = now
    db.session.flush()
    record("scheme.new_version", fresh, before={"id": scheme.id, "version": scheme.version},
           after={"id": fresh.id, "version": fresh.version}, actor=actor)
    return fresh


def _editable_scheme(scheme: CampaignScheme, *, actor) -> CampaignScheme:
    if not is_latest(scheme):
        raise DomainError(_("该方案已有更新的版本，请在最新版本上修改。"))
    return _new_scheme_version(scheme, actor=actor) if scheme_in_use(scheme) else scheme


def _new_template_version(template: ChecklistTemplate, *, actor) -> ChecklistTemplate:
    now = utcnow()
    fresh = ChecklistTemplate(code=template.code, version=latest_version(ChecklistTemplate, template.code) + 1,
                              name=template.name, description=template.description, active=True, edited_at=now)
    for item in template.items:
        fresh.items.append(ChecklistItem(
            code=item.code, position=item.position, category=item.category, requirement=item.requirement,
            kind=item.kind, threshold=item.threshold, comparator=item.comparator, unit=item.unit,
            weight=item.weight, source=item.source, retired_at=item.retired_at))
    db.session.add(fresh)
    template.active = False
    template.edited_at = now
    db.session.flush()
    record("checklist.new_version", fresh, before={"id": template.id, "version": template.version},
           after={"id": fresh.id, "version": fresh.version}, actor=actor)
    return fresh


def _editable_template(scheme: CampaignScheme, row_version, *, actor) -> ChecklistTemplate:
    template = scheme_template(scheme)
    if template is None:
        raise DomainError(_("该方案没有自查检查表。"))
    _check_row_version(template, row_version)
    return _new_template_version(template, actor=actor) if template_in_use(template) else template


# --- the scheme: copy, name and phases --------------------------------------------

def _check_name(name: str | None, *, code: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写方案名称。"), field="name")
    if len(name) > 128:
        raise DomainError(_("方案名称不能超过128个字符。"), field="name")
    clash = db.session.scalar(select(CampaignScheme.id).where(CampaignScheme.name == name,
                                                               CampaignScheme.active.is_(True),
                                                               CampaignScheme.code != (code or "")).limit(1))
    if clash is not None:
        raise DomainError(_("已有同名的阶段方案“%(name)s”，请换一个名称。", name=name), field="name")
    return name


def _copy_code(base: str) -> str:
    base = base[:48]
    n = 1
    while db.session.scalar(select(CampaignScheme.id).where(CampaignScheme.code == f"{base}_c{n}").limit(1)) \
            or db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == f"{base}_c{n}")
                                 .limit(1)):
        n += 1
    return f"{base}_c{n}"


def copy_scheme(scheme: CampaignScheme, *, name: str, actor) -> CampaignScheme:
    """A new scheme (its own code, version 1) with the phases and a copy of the checklist of ``scheme``."""
    require_bureau(actor, _("复制阶段方案"))
    name = _check_name(name, code=None)
    code = _copy_code(scheme.code)
    now = utcnow()
    template = scheme_template(scheme)
    copy = CampaignScheme(code=code, version=1, name=name, description=scheme.description, source=scheme.source,
                          report_figures=list(scheme.report_figures or []), active=True,
                          checklist_code=code if template is not None else None, edited_at=now)
    for phase in scheme.phases:
        copy.phases.append(SchemePhase(position=phase.position, kind=phase.kind, name=phase.name,
                                       default_days=phase.default_days, start_day=phase.start_day,
                                       description=phase.description))
    db.session.add(copy)
    if template is not None:
        checklist = ChecklistTemplate(code=code, version=1, name=_("%(name)s检查表", name=name)[:128],
                                      description=template.description, active=True, edited_at=now)
        for item in template.items:
            if item.retired_at is None:
                checklist.items.append(ChecklistItem(
                    code=item.code, position=item.position, category=item.category, requirement=item.requirement,
                    kind=item.kind, threshold=item.threshold, comparator=item.comparator, unit=item.unit,
                    weight=item.weight, source=item.source))
        db.session.add(checklist)
    db.session.flush()
    record("scheme.copy", copy, before={"from": scheme.id, "code": scheme.code, "version": scheme.version},
           after=_scheme_state(copy), actor=actor)
    return copy


@dataclass
class PhaseEdit:
    position: int
    name: str
    start_day: int | None
    end_day: int | None


def update_scheme(scheme: CampaignScheme, *, actor, row_version, name: str, description: str | None,
                  phases: list[PhaseEdit]) -> CampaignScheme:
    """Rename the scheme and its phases and set their windows (days from the campaign's start).

    Returns the scheme that now holds the edit: a new version when ``scheme`` is in use."""
    require_bureau(actor, _("修改阶段方案"))
    _check_row_version(scheme, row_version)
    name = _check_name(name, code=scheme.code)
    description = (description or "").strip() or None
    by_position = {p.position: p for p in scheme.phases}
    if sorted(row.position for row in phases) != sorted(by_position):
        raise DomainError(_("阶段数据有误，请刷新页面。"))
    wanted = {}
    for row in phases:
        label = (row.name or "").strip()
        if not label:
            raise DomainError(_("第%(n)s个阶段的名称不能为空。", n=row.position))
        if len(label) > 128:
            raise DomainError(_("“%(name)s”的名称不能超过128个字符。", name=label))
        if row.start_day is None or row.end_day is None:
            raise DomainError(_("请填写“%(name)s”的开始日和结束日。", name=label))
        if row.start_day < 1:
            raise DomainError(_("“%(name)s”的开始日应为第1天或之后。", name=label))
        if row.end_day < row.start_day:
            raise DomainError(_("“%(name)s”的结束日（第%(end)s天）早于开始日（第%(start)s天）。",
                                name=label, end=row.end_day, start=row.start_day))
        if row.end_day > MAX_DAY:
            raise DomainError(_("“%(name)s”的结束日不能晚于第%(max)s天。", name=label, max=MAX_DAY))
        wanted[row.position] = (label, row.start_day, row.end_day - row.start_day + 1)
    current = {p.position: (p.name, start, p.default_days) for p, start, _end in phase_days(scheme)}
    if name == scheme.name and description == scheme.description and wanted == current:
        return scheme
    before = _scheme_state(scheme)
    target = _editable_scheme(scheme, actor=actor)
    target.name, target.description = name, description
    for phase in target.phases:
        phase.name, phase.start_day, phase.default_days = wanted[phase.position]
    target.edited_at = utcnow()
    db.session.flush()
    record("scheme.update", target, before=before, after=_scheme_state(target), actor=actor)
    return target


# --- checklist items --------------------------------------------------------------

@dataclass
class ItemInput:
    code: str | None
    category: str | None
    requirement: str | None
    kind: str | None
    threshold: object = None
    comparator: str | None = ">="
    unit: str | None = None
    weight: object = 1


def _decimal(value, *, field: str, message: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(message, field=field) from None
    if not number.is_finite():
        raise DomainError(message, field=field)
    return number.quantize(Decimal("0.01"))


def _clean_item(data: ItemInput) -> dict:
    category = (data.category or "").strip()
    if not category:
        raise DomainError(_("请填写类别。"), field="category")
    if len(category) > 32:
        raise DomainError(_("类别不能超过32个字符。"), field="category")
    requirement = (data.requirement or "").strip()
    if not requirement:
        raise DomainError(_("请填写检查要求。"), field="requirement")
    if len(requirement) > 2000:
        raise DomainError(_("检查要求不能超过2000个字符。"), field="requirement")
    try:
        kind = ChecklistKind.coerce(data.kind)
    except ValueError:
        kind = None
    if kind is None:
        raise DomainError(_("请选择检查项类型。"), field="kind")
    comparator = data.comparator or ">="
    if comparator not in (">=", "<="):
        raise DomainError(_("合格条件应为“不低于”或“不高于”。"), field="comparator")
    threshold = _decimal(data.threshold, field="threshold", message=_("合格标准应为数字。"))
    if kind in (ChecklistKind.PERCENT, ChecklistKind.COUNT):
        if threshold is None:
            raise DomainError(_("百分比和数量类检查项须填写合格标准。"), field="threshold")
        if kind is ChecklistKind.PERCENT and not Decimal(0) <= threshold <= Decimal(100):
            raise DomainError(_("百分比的合格标准应在0至100之间。"), field="threshold")
        if threshold < 0 or threshold > Decimal("99999999"):
            raise DomainError(_("合格标准应在0至99999999之间。"), field="threshold")
    else:
        threshold, comparator = None, ">="
    unit = (data.unit or "").strip() or None
    if kind is ChecklistKind.PERCENT:
        unit = "%"
    if unit and len(unit) > 16:
        raise DomainError(_("单位不能超过16个字符。"), field="unit")
    weight = _decimal(data.weight, field="weight", message=_("权重应为数字。"))
    if weight is None:
        weight = Decimal("0.00") if kind is ChecklistKind.TEXT else Decimal("1.00")
    if not Decimal(0) <= weight <= Decimal(100):
        raise DomainError(_("权重应在0至100之间。"), field="weight")
    return {"category": category, "requirement": requirement, "kind": kind, "threshold": threshold,
            "comparator": comparator, "unit": unit, "weight": weight}


def add_item(scheme: CampaignScheme, data: ItemInput, *, actor, row_version) -> ChecklistItem:
    require_bureau(actor, _("修改自查检查表"))
    code = (data.code or "").strip()
    if not code:
        raise DomainError(_("请填写检查项编号。"), field="code")
    if not CODE_RE.match(code):
        raise DomainError(_("编号只能由字母、数字、“-”和“_”组成，不超过32个字符。"), field="code")
    values = _clean_item(data)
    template = scheme_template(scheme)
    if template is not None and any(item.code.lower() == code.lower() for item in template.items):
        raise DomainError(_("检查项编号“%(code)s”已存在（含已停用的检查项），请换一个编号。", code=code), field="code")
    template = _editable_template(scheme, row_version, actor=actor)
    position = max((item.position for item in template.items), default=0) + 1
    item = ChecklistItem(code=code, position=position, **values)
    template.items.append(item)
    template.edited_at = utcnow()
    db.session.flush()
    record("checklist.item_add", template, after=_item_state(item), actor=actor)
    return item


def _in_new_version(template: ChecklistTemplate, item: ChecklistItem) -> ChecklistItem:
    return item if item.template_id == template.id else next(i for i in template.items if i.code == item.code)


def _require_current(scheme: CampaignScheme, item: ChecklistItem) -> None:
    template = scheme_template(scheme)
    if template is None or item.template_id != template.id:
        raise DomainError(_("该检查项不属于本方案当前的检查表，请刷新页面。"))


def update_item(scheme: CampaignScheme, item: ChecklistItem, data: ItemInput, *, actor,
                row_version) -> ChecklistItem:
    """Edit an item's wording, kind, standard or weight (its code stays)."""
    require_bureau(actor, _("修改自查检查表"))
    _require_current(scheme, item)
    values = _clean_item(data)
    if all(getattr(item, key) == value for key, value in values.items()):
        _check_row_version(item.template, row_version)
        return item
    before = _item_state(item)
    template = _editable_template(scheme, row_version, actor=actor)
    target = _in_new_version(template, item)
    for key, value in values.items():
        setattr(target, key, value)
    template.edited_at = utcnow()
    db.session.flush()
    record("checklist.item_update", template, before=before, after=_item_state(target), actor=actor)
    return target


def retire_item(scheme: CampaignScheme, item: ChecklistItem, *, actor, row_version) -> ChecklistItem:
    """停用: new forms no longer ask it; forms and items that used it keep it."""
    require_bureau(actor, _("停用检查项"))
    _require_current(scheme, item)
    if item.retired_at is not None:
        raise DomainError(_("检查项“%(code)s”已停用。", code=item.code))
    if len(item.template.offered_items) <= 1:
        raise DomainError(_("检查表至少要保留一个检查项。"))
    template = _editable_template(scheme, row_version, actor=actor)
    target = _in_new_version(template, item)
    target.retired_at = utcnow()
    template.edited_at = utcnow()
    db.session.flush()
    record("checklist.item_retire", template, before={"code": target.code, "retired": False},
           after={"code": target.code, "retired": True}, actor=actor)
    return target


def restore_item(scheme: CampaignScheme, item: ChecklistItem, *, actor, row_version) -> ChecklistItem:
    """恢复 a retired item: new forms ask it again."""
    require_bureau(actor, _("恢复检查项"))
    _require_current(scheme, item)
    if item.retired_at is None:
        raise DomainError(_("检查项“%(code)s”未停用。", code=item.code))
    template = _editable_template(scheme, row_version, actor=actor)
    target = _in_new_version(template, item)
    target.retired_at = None
    template.edited_at = utcnow()
    db.session.flush()
    record("checklist.item_restore", template, before={"code": target.code, "retired": True},
           after={"code": target.code, "retired": False}, actor=actor)
    return target
