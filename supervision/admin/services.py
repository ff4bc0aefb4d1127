"""Reference data the administrator maintains: which posts require which certificate,
and reloading the reference files in seeds/ (schemes, checklists, credit rules, targets)."""
from __future__ import annotations

from sqlalchemy import select

from ..audit.services import record
from ..companies.models import CertificateType, Position
from ..extensions import db
from ..seeding import load_reference


def set_position_requirements(position: Position, certificate_type_ids: list[int], *, actor) -> Position:
    before = sorted(t.code for t in position.required_certificates)
    chosen = list(db.session.scalars(select(CertificateType).where(CertificateType.id.in_(certificate_type_ids))))
    position.required_certificates = chosen
    after = sorted(t.code for t in chosen)
    if before != after:
        record("position.requirements", position, before={"requires": before}, after={"requires": after},
               actor=actor)
    return position


def reload_reference(*, actor) -> list[str]:
    """Load seeds/ again; rows are matched by code and updated in place (idempotent)."""
    loaded = load_reference()
    record("reference.reload", object_type="Reference", summary="seeds/", after={"modules": loaded}, actor=actor)
    return loaded
