"""The demo register: about 240 estates across the eight demo streets, their owners' committees,
and (through ``companies.demo.seed_staff``) about 600 staff with certificates.

Deterministic: everything is drawn from the feature's random generator before anything is
looked up, then inserted only where missing (estates by street and name), so a second run
changes nothing. Dates are relative to today so that the demo always has committees whose term
ends soon, committees past their due date and certificates about to expire.
"""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from ..companies.demo import seed_staff
from ..companies.models import Company
from ..core.timeutil import local_today
from ..extensions import db
from ..regions.models import District, Street
from ..seeding import load_json
from . import handover as management
from .management import EstateManagement, StartMethod
from .models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee, PropertyType
from .services import add_years, formation_due_date

DEMO_COMPANY = "示范安居物业服务有限公司"


def _modes(config: dict) -> list[ManagementMode]:
    return [ManagementMode(value) for value, weight in config["management_modes_per_100"].items()
            for _ in range(weight)]


def _estate_specs(rng: random.Random, streets, companies, demo_company, today):
    config = load_json("demo/registries.json")["estates"]
    per_community, roads, modes = config["per_community"], config["roads"], _modes(config)
    demo_street = config["demo_company_street"]
    pool = [p + s for p in config["name_prefixes"] for s in config["name_suffixes"]]
    specs = []
    for street in streets:
        names = rng.sample(pool, len(street.communities) * per_community)
        for c_index, community in enumerate(street.communities):
            for e_index in range(per_community):
                name = names[c_index * per_community + e_index]
                year = rng.randint(1982, 2022)
                households = rng.randint(8, 300) * 10
                mode = rng.choice(modes)
                if street.name == demo_street and e_index < 2:
                    mode = ManagementMode.PROFESSIONAL
                company = None
                if mode is ManagementMode.PROFESSIONAL:
                    company = demo_company if (street.name == demo_street and e_index < 2) or rng.random() < 0.03 \
                        else rng.choice(companies)
                elif mode is ManagementMode.STREET_CENTRE and rng.random() < 0.4:
                    company = rng.choice(companies)
                spec = {
                    "name": name, "address": f"示范区{rng.choice(roads)}{rng.randint(1, 400)}号",
                    "street_id": street.id, "community_id": community.id,
                    "company_id": company.id if company else None, "management_mode": mode,
                    "property_type": rng.choice([PropertyType.MULTI_STOREY] * 3 + [PropertyType.HIGH_RISE] * 3
                                                + [PropertyType.APARTMENT, PropertyType.MIXED, PropertyType.VILLA]),
                    "year_built": year, "households": households,
                    "buildings": max(1, households // rng.randint(40, 120)),
                    "floor_area": Decimal(households * rng.randint(70, 120)),
                    "is_old": year < 2000,
                    "committee_eligible": rng.random() < 0.85 or mode is ManagementMode.OWNERS_SELF,
                    "professional_vote_on": None, "professional_vote_households": None,
                }
                # Old estates without a company that asked their households (the 1/2 rule).
                if spec["is_old"] and mode is not ManagementMode.PROFESSIONAL and rng.random() < 0.5:
                    spec["professional_vote_on"] = today - timedelta(days=rng.randint(20, 200))
                    spec["professional_vote_households"] = int(households * rng.uniform(0.45, 0.8))
                    spec["committee_eligible"] = True
                specs.append((spec, _committee_spec(rng, spec, today)))
    return specs


def _committee_spec(rng: random.Random, estate: dict, today):
    """A little over half of the eligible estates have a formed committee; some are preparing."""
    if not estate["committee_eligible"]:
        return None
    roll = rng.random()
    if estate["professional_vote_on"] is not None:
        roll = rng.random() * 0.8 + 0.55  # these are the estates still forming their committee
    if roll < 0.64:
        kind = rng.random()
        if kind < 0.08:  # term ends within 90 days
            term_end = today + timedelta(days=rng.randint(1, 89))
        elif kind < 0.12:  # term over, not yet re-elected
            term_end = today - timedelta(days=rng.randint(1, 60))
        else:
            term_end = today + timedelta(days=rng.randint(90, 5 * 365 - 30))
        elected = add_years(term_end, -5)
        prep = elected - timedelta(days=rng.randint(60, 180))
        assembly = elected - timedelta(days=rng.randint(0, 20))
        filed = elected + timedelta(days=rng.randint(5, 30))
        status = CommitteeStatus.FORMED if kind >= 0.10 or kind < 0.08 else CommitteeStatus.EXPIRED
        return {"status": status, "prep_group_on": prep, "first_assembly_on": assembly, "elected_on": elected,
                "filed_on": filed if filed <= today else None,
                "filing_number": f"备{elected.year}{rng.randint(1000, 9999)}" if filed <= today else None,
                "members_count": rng.choice([5, 7, 7, 9, 11]), "term_years": 5, "term_end": term_end}
    if roll < 0.74:
        return {"status": CommitteeStatus.PREPARING, "prep_group_on": today - timedelta(days=rng.randint(10, 200)),
                "term_years": 5}
    if roll < 0.76:
        elected = today - timedelta(days=rng.randint(800, 1500))
        return {"status": CommitteeStatus.DISSOLVED, "prep_group_on": elected - timedelta(days=90),
                "elected_on": elected, "dissolved_on": today - timedelta(days=rng.randint(30, 400)),
                "members_count": 5, "term_years": 5, "notes": "业主大会决定解散，待重新筹备。"}
    return None


def seed_demo(rng: random.Random) -> None:

    district = db.session.scalar(select(District).where(District.name == "示范区"))
    if district is None:
        return
    today = local_today()
    streets = list(db.session.scalars(select(Street).where(Street.district_id == district.id).order_by(Street.code)))
    for street in streets:
        street.communities  # noqa: B018  (load in order)
    companies = list(db.session.scalars(select(Company).where(Company.name.like("示范%"), Company.name != DEMO_COMPANY)
                                        .order_by(Company.credit_code)))
    demo_company = db.session.scalar(select(Company).where(Company.name == DEMO_COMPANY))
    if not companies or demo_company is None:
        return
    specs = _estate_specs(rng, streets, companies, demo_company, today)

    existing = {(e.street_id, e.name): e for e in db.session.scalars(select(Estate))}
    added = []
    for spec, committee in specs:
        if (spec["street_id"], spec["name"]) in existing:
            continue
        estate = Estate(**spec)
        estate.committee_due_on = formation_due_date(estate)
        db.session.add(estate)
        added.append((estate, committee))
    db.session.flush()
    for estate, committee in added:
        if committee is not None:
            db.session.add(OwnersCommittee(estate_id=estate.id, **committee))
    db.session.flush()
    _seed_management(today)
    seed_staff(random.Random(f"{rng.random()}:staff"))


def _seed_management(today) -> None:
    """A first management period for every estate without one (from three years ago), and one handover:
    the first estate of 东城街道 with a company other than the demo company changed company 40 days ago."""
    with_history = set(db.session.scalars(select(EstateManagement.estate_id).distinct()))
    estates = list(db.session.scalars(select(Estate).order_by(Estate.id)))
    started = today - timedelta(days=3 * 365)
    for estate in estates:
        if estate.id in with_history:
            continue
        period = management.open_first_period(estate, started)
        if estate.company_id is not None:
            period.start_method = StartMethod.TENDER if estate.id % 3 else StartMethod.OWNERS_ASSEMBLY
            period.contract_start, period.contract_end = started, started + timedelta(days=5 * 365 - 1)
    if with_history:
        return  # the handover was seeded on the first run
    demo_company = db.session.scalar(select(Company).where(Company.name == DEMO_COMPANY))
    candidates = [e for e in estates if e.street.name == "东城街道" and e.company_id is not None
                  and e.company_id != demo_company.id and e.management_mode is ManagementMode.PROFESSIONAL]
    others = list(db.session.scalars(select(Company).where(Company.name.like("示范%"), Company.name != DEMO_COMPANY)
                                     .order_by(Company.credit_code)))
    if not candidates or len(others) < 2:
        return
    estate = candidates[0]
    successor = next(c for c in others if c.id != estate.company_id)
    handover_on = today - timedelta(days=40)
    management.handover(estate, {
        "handover_on": handover_on, "end_method": "handover", "management_mode": ManagementMode.PROFESSIONAL,
        "company_id": successor.id, "start_method": "owners_assembly", "contract_start": handover_on,
        "contract_end": handover_on + timedelta(days=3 * 365 - 1), "items_outcome": "keep",
        "notes": "原物业服务合同期满，业主大会选聘新物业服务企业（示范数据）。"})

