"""The demo district: 8 streets with 5 communities each."""
from __future__ import annotations

from ..seeding import get_or_create, load_json
from .models import Community, District, Street


def seed_demo(rng) -> None:
    data = load_json("demo/district.json")
    spec = data["district"]
    district, _created = get_or_create(
        District, name=spec["name"], defaults={"code": spec["code"], "bureau_name": spec["bureau_name"]}
    )
    for street_spec in data["streets"]:
        street, _created = get_or_create(
            Street, district_id=district.id, name=street_spec["name"], defaults={"code": street_spec["code"]}
        )
        for index, community_name in enumerate(street_spec["communities"], start=1):
            get_or_create(Community, street_id=street.id, name=community_name,
                          defaults={"code": f"{street_spec['code']}{index:03d}"})
