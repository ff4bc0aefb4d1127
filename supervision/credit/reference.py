"""Rule sets from seeds/credit/rule-sets/*.json (idempotent).

A rule set is matched by (code, version). Loading the same file again changes
nothing; a changed file updates its rule set in place as long as no published
period used it — after that a change must be a new version, so that what was
published can always be explained by the rules it was computed with.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..seeding import SEEDS_DIR
from .models import CreditGrade, CreditPublication, CreditRuleItem, CreditRulePart, CreditRuleSet, ListKind, PartKind

RULE_SETS_DIR = SEEDS_DIR / "credit" / "rule-sets"
OVERRIDE_KINDS = {"blacklist", "missing_record", "veto", "no_bad_record_floor"}


class RuleSetError(ValueError):
    """A rule-set file that cannot be loaded; the message says why."""


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def content_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def validate(data: dict) -> None:
    where = f"{data.get('code')} v{data.get('version')}"
    for key in ("code", "version", "name", "short_name", "parts", "grades", "items"):
        if key not in data:
            raise RuleSetError(f"{where}: missing '{key}'")
    parts = {p["code"]: PartKind(p["kind"]) for p in data["parts"]}
    grades = {g["code"]: g for g in data["grades"]}
    banded = [g for g in data["grades"] if g.get("banded", True)]
    if sum(1 for g in banded if g.get("min") is None) != 1:
        raise RuleSetError(f"{where}: exactly one banded grade must have no lower bound (the lowest band)")
    seen = set()
    for item in data["items"]:
        code = item["code"]
        if code in seen:
            raise RuleSetError(f"{where}: item {code} appears twice")
        seen.add(code)
        if item["part"] not in parts:
            raise RuleSetError(f"{where}: item {code} names an unknown part '{item['part']}'")
        points = Decimal(str(item["points"]))
        if (parts[item["part"]] is PartKind.BAD) != (points < 0):
            raise RuleSetError(f"{where}: item {code} must have negative points exactly when its part is a deduction")
    for override in data.get("overrides", []):
        if override.get("kind") not in OVERRIDE_KINDS:
            raise RuleSetError(f"{where}: unknown override kind '{override.get('kind')}'")
        if override["grade"] not in grades:
            raise RuleSetError(f"{where}: override {override['kind']} names an unknown grade '{override['grade']}'")
        if override["kind"] == "missing_record" and override.get("part") not in parts:
            raise RuleSetError(f"{where}: missing_record override needs a known 'part'")
        if override["kind"] == "no_bad_record_floor" and "below" not in override:
            raise RuleSetError(f"{where}: no_bad_record_floor override needs 'below'")
    if data.get("project_manager_weighting", "full") not in {"full", "area"}:
        raise RuleSetError(f"{where}: project_manager_weighting is 'full' or 'area'")


def _strip_comments(value):
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if not k.startswith("_comment")}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def load_rule_set(data: dict) -> CreditRuleSet:
    validate(data)
    digest = content_hash(data)
    rule_set = db.session.scalar(select(CreditRuleSet).where(
        CreditRuleSet.code == data["code"], CreditRuleSet.version == data["version"]))
    if rule_set is not None and rule_set.content_hash == digest:
        return rule_set
    if rule_set is not None and db.session.scalar(
            select(CreditPublication.id).where(CreditPublication.rule_set_id == rule_set.id).limit(1)):
        raise RuleSetError(f"{data['code']} v{data['version']} has been used by a published period and "
                           "cannot change; add a new version instead")
    if rule_set is None:
        rule_set = CreditRuleSet(code=data["code"], version=data["version"])
        db.session.add(rule_set)
    rule_set.name = data["name"]
    rule_set.short_name = data["short_name"]
    rule_set.jurisdiction = data.get("jurisdiction")
    rule_set.source = data.get("source")
    rule_set.description = data.get("description")
    rule_set.base_score = _decimal(data.get("base", 0))
    rule_set.min_total = _decimal(data.get("min_total"))
    rule_set.max_total = _decimal(data.get("max_total"))
    rule_set.pm_weighting = data.get("project_manager_weighting", "full")
    rule_set.objection_workdays = int(data.get("objection_workdays", 15))
    rule_set.rectify_workdays = int(data.get("rectify_workdays", 10))
    rule_set.overrides = _strip_comments(data.get("overrides", []))
    rule_set.is_default = bool(data.get("default"))
    rule_set.content_hash = digest
    db.session.flush()

    parts = {p.code: p for p in db.session.scalars(
        select(CreditRulePart).where(CreditRulePart.rule_set_id == rule_set.id))}
    for order, row in enumerate(data["parts"]):
        part = parts.get(row["code"])
        if part is None:
            part = parts[row["code"]] = CreditRulePart(rule_set_id=rule_set.id, code=row["code"])
            db.session.add(part)
        part.name = row["name"]
        part.kind = PartKind(row["kind"])
        part.cap = _decimal(row.get("cap"))
        part.sort_order = order

    grades = {g.code: g for g in db.session.scalars(
        select(CreditGrade).where(CreditGrade.rule_set_id == rule_set.id))}
    wanted = set()
    for rank, row in enumerate(data["grades"], start=1):
        grade = grades.get(row["code"])
        if grade is None:
            grade = CreditGrade(rule_set_id=rule_set.id, code=row["code"])
            db.session.add(grade)
        wanted.add(row["code"])
        grade.label = row.get("label", row["code"])
        grade.banded = row.get("banded", True)
        grade.min_score = _decimal(row.get("min")) if grade.banded else None
        grade.rank = rank
        grade.list_kind = ListKind(row["list"]) if row.get("list") else None
        grade.badge = row.get("badge", "secondary")
        grade.description = row.get("description")
    for code, grade in grades.items():
        if code not in wanted:
            db.session.delete(grade)
    db.session.flush()

    items = {i.code: i for i in db.session.scalars(
        select(CreditRuleItem).where(CreditRuleItem.rule_set_id == rule_set.id))}
    listed = set()
    for order, row in enumerate(data["items"]):
        item = items.get(row["code"])
        if item is None:
            item = CreditRuleItem(rule_set_id=rule_set.id, code=row["code"])
            db.session.add(item)
        listed.add(row["code"])
        item.part_id = parts[row["part"]].id
        item.category = row.get("category")
        item.description = row["description"]
        item.points = _decimal(row["points"])
        item.validity_months = int(row.get("validity_months", 12))
        item.evidence_required = row.get("evidence")
        item.blacklist = bool(row.get("blacklist"))
        item.veto = bool(row.get("veto"))
        item.automatic = bool(row.get("automatic"))
        item.applies_to_manager = bool(row.get("manager"))
        item.rectify_workdays = row.get("rectify_workdays")
        item.params = row.get("params")
        item.sort_order = order
        item.active = True
    for code, item in items.items():
        if code not in listed:
            item.active = False  # events may still point at it
    db.session.flush()
    return rule_set


def load_reference() -> None:
    loaded = []
    for path in sorted(RULE_SETS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            loaded.append(load_rule_set(data))
        except RuleSetError as error:
            raise RuleSetError(f"{path.name}: {error}") from None
    # One default: the highest version among those marked default.
    defaults = sorted((r for r in loaded if r.is_default), key=lambda r: (r.code, r.version))
    for rule_set in db.session.scalars(select(CreditRuleSet)):
        rule_set.is_default = bool(defaults) and rule_set is defaults[-1]
    db.session.flush()
