"""Campaign schemes and self-inspection checklists from seeds/campaigns/ (idempotent).

Schemes are matched by (code, version) and synced in place: campaigns copy a
scheme's phases when they are created, so editing a scheme never changes a
running campaign. A checklist template is synced in place only while no
self-inspection uses it; once used, only its wording may change, and a change
of items, kinds, thresholds or weights must come as a new version.

A scheme or checklist the bureau has edited in the app (``edited_at`` set, see
services/schemes.py) is left alone: the app's edits win over the seed files.
The ``source`` of schemes and items is kept for traceability and never shown.
"""
from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from ..seeding import load_json
from .models import (
    CampaignScheme,
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    PhaseKind,
    SchemePhase,
    SelfInspection,
)

log = logging.getLogger(__name__)

SCHEMES_FILE = "campaigns/schemes.json"
CHECKLISTS_FILE = "campaigns/checklists.json"


def load_reference() -> None:
    load_schemes()
    load_checklists()


def load_schemes(data: dict | None = None) -> list[CampaignScheme]:
    data = data or load_json(SCHEMES_FILE)
    schemes = []
    for spec in data["schemes"]:
        scheme = db.session.scalar(select(CampaignScheme).where(
            CampaignScheme.code == spec["code"], CampaignScheme.version == spec.get("version", 1)))
        if scheme is None:
            scheme = CampaignScheme(code=spec["code"], version=spec.get("version", 1), name=spec["name"])
            db.session.add(scheme)
        elif scheme.edited_at is not None:
            log.info("scheme %s v%s was edited in the app: not synced", scheme.code, scheme.version)
            schemes.append(scheme)
            continue
        scheme.name = spec["name"]
        scheme.checklist_code = spec.get("checklist")
        scheme.description = spec.get("description")
        scheme.source = spec.get("source")
        scheme.report_figures = list(spec.get("report_figures", []))
        scheme.active = spec.get("active", True)
        wanted = [(i, PhaseKind(p["kind"]), p["name"], int(p.get("default_days", 30)), p.get("start_day"),
                   p.get("description")) for i, p in enumerate(spec["phases"], start=1)]
        current = [(p.position, p.kind, p.name, p.default_days, p.start_day, p.description) for p in scheme.phases]
        if current != wanted:
            scheme.phases.clear()
            db.session.flush()
            for position, kind, name, days, start_day, description in wanted:
                scheme.phases.append(SchemePhase(position=position, kind=kind, name=name, default_days=days,
                                                 start_day=start_day, description=description))
        schemes.append(scheme)
    db.session.flush()
    return schemes


def _item_values(spec: dict, position: int) -> dict:
    threshold = spec.get("threshold")
    return {
        "position": position,
        "category": spec["category"],
        "requirement": spec["requirement"],
        "kind": ChecklistKind(spec["kind"]),
        "threshold": Decimal(str(threshold)).quantize(Decimal("0.01")) if threshold is not None else None,
        "comparator": spec.get("comparator", ">="),
        "unit": spec.get("unit"),
        "weight": Decimal(str(spec.get("weight", 1))).quantize(Decimal("0.01")),
        "source": spec.get("source"),
    }


STRUCTURAL = ("kind", "threshold", "comparator", "weight", "category", "position")


def load_checklists(data: dict | None = None) -> list[ChecklistTemplate]:
    data = data or load_json(CHECKLISTS_FILE)
    templates = []
    for spec in data["templates"]:
        version = spec.get("version", 1)
        template = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.code == spec["code"], ChecklistTemplate.version == version))
        if template is None:
            template = ChecklistTemplate(code=spec["code"], version=version, name=spec["name"])
            db.session.add(template)
            db.session.flush()
        elif template.edited_at is not None:
            log.info("checklist %s v%s was edited in the app: not synced", template.code, version)
            templates.append(template)
            continue
        template.name = spec["name"]
        template.description = spec.get("description")
        template.active = spec.get("active", True)
        in_use = db.session.scalar(select(SelfInspection.id).where(SelfInspection.template_id == template.id)
                                   .limit(1)) is not None
        existing = {item.code: item for item in template.items}
        wanted_codes = []
        for position, item_spec in enumerate(spec["items"], start=1):
            values = _item_values(item_spec, position)
            code = item_spec["code"]
            wanted_codes.append(code)
            item = existing.get(code)
            if item is None:
                if in_use:
                    log.warning("checklist %s v%s is in use: item %s not added (add a new version)",
                                template.code, version, code)
                    continue
                template.items.append(ChecklistItem(code=code, **values))
                continue
            for key, value in values.items():
                if in_use and key in STRUCTURAL and getattr(item, key) != value:
                    log.warning("checklist %s v%s is in use: %s of %s not changed", template.code, version, key, code)
                    continue
                if getattr(item, key) != value:
                    setattr(item, key, value)
        if not in_use:
            for code, item in existing.items():
                if code not in wanted_codes:
                    template.items.remove(item)
        templates.append(template)
    db.session.flush()
    return templates
