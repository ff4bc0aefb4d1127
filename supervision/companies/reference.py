"""Certificate types and positions from seeds/reference/certificates.json."""
from __future__ import annotations

from ..extensions import db
from ..seeding import get_or_create, load_json
from .models import CertificateType, Position


def load_reference() -> None:
    data = load_json("reference/certificates.json")
    types = {}
    for row in data["certificate_types"]:
        cert_type, _created = get_or_create(CertificateType, code=row["code"], defaults={"name": row["name"]})
        cert_type.name = row["name"]
        cert_type.issuer = row.get("issuer")
        cert_type.validity_years = row.get("validity_years")
        types[row["code"]] = cert_type
    for order, row in enumerate(data["positions"]):
        position, _created = get_or_create(Position, code=row["code"], defaults={"name": row["name"]})
        position.name = row["name"]
        position.is_manager = bool(row.get("is_manager"))
        position.sort_order = order
        wanted = [types[code] for code in row.get("requires", [])]
        if {t.code for t in position.required_certificates} != {t.code for t in wanted}:
            position.required_certificates = wanted
    db.session.flush()
