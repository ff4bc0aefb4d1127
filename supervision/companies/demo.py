"""Demo companies (about 30, valid credit codes) and, after the estates exist, their staff.

``seed_demo`` runs before the estates demo and creates the companies; the estates demo then
calls ``seed_staff`` so staff can be placed on the estates their company manages. Everything
is generated from the feature's random generator first and inserted only where missing, so a
second run changes nothing. Dates are relative to today so the demo always shows certificates
that expire soon and some that have expired.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from ..core.timeutil import local_today
from ..estates.models import Estate
from ..extensions import db
from ..seeding import load_json
from .credit_code import make_credit_code
from .models import Certificate, CertificateType, Company, Position, QualificationGrade, Staff


def settings() -> dict:
    """Name pools and proportions from seeds/demo/registries.json."""
    return load_json("demo/registries.json")


def person_name(rng: random.Random, people: dict) -> str:
    return rng.choice(people["surnames"]) + "".join(rng.choice(people["given"]) for _ in range(rng.choice((1, 2))))


def company_specs(rng: random.Random) -> list[dict]:
    config = settings()
    people, companies = config["people"], config["companies"]
    specs = []
    grades = [None, None, QualificationGrade.GRADE_1, QualificationGrade.GRADE_2, QualificationGrade.GRADE_2,
              QualificationGrade.GRADE_3, QualificationGrade.UNGRADED]
    for index, brand in enumerate(companies["brands"], start=2):
        kind = rng.choice(["物业服务有限公司", "物业服务有限公司", "物业管理有限公司"])
        legal = person_name(rng, people)
        specs.append({
            "name": f"示范{brand}{kind}",
            "credit_code": make_credit_code(f"{companies['credit_code_prefix']}{index:07d}"),
            "legal_representative": legal,
            "contact_person": person_name(rng, people),
            "phone": f"0000-{rng.randint(20000000, 89999999)}",
            "address": f"示范区{rng.choice(companies['roads'])}{rng.randint(1, 300)}号",
            "qualification_grade": rng.choice(grades),
        })
    return specs


def seed_demo(rng: random.Random) -> None:
    specs = company_specs(rng)
    existing = set(db.session.scalars(select(Company.credit_code)))
    names = set(db.session.scalars(select(Company.name)))
    for spec in specs:
        if spec["credit_code"] not in existing and spec["name"] not in names:
            db.session.add(Company(**spec))
    db.session.flush()


# --- staff ---------------------------------------------------------------------------

def _prefix(cert_type: CertificateType) -> str:
    return cert_type.code.replace("_", "")[:3].upper()


def _certificate_dates(rng: random.Random, today: date, cert_type: CertificateType):
    """(issued, expires) with a mix: mostly valid, some expiring within 60 days, some expired."""
    roll = rng.random()
    issued = today - timedelta(days=rng.randint(200, 2500))
    if cert_type.validity_years is None:
        return issued, None
    if roll < 0.15:
        expires = today + timedelta(days=rng.randint(0, 59))  # expiring soon
    elif roll < 0.28:
        expires = today - timedelta(days=rng.randint(1, 400))  # expired
    else:
        expires = today + timedelta(days=rng.randint(61, 365 * cert_type.validity_years))
    issued = min(issued, expires - timedelta(days=365))
    return issued, expires


def seed_staff(rng: random.Random) -> None:
    """About 600 staff on the demo companies' estates, with certificates."""

    today = local_today()
    config = settings()
    people = config["people"]
    estate_posts = [tuple(post) for post in config["staff"]["estate_posts"]]
    positions = {p.code: p for p in db.session.scalars(select(Position))}
    if not positions:
        return
    types = {t.id: t for t in db.session.scalars(select(CertificateType))}
    companies = list(db.session.scalars(
        select(Company).where(Company.name.like("示范%")).order_by(Company.credit_code)))
    estates_by_company: dict[int, list] = {}
    for estate in db.session.scalars(select(Estate).where(Estate.company_id.is_not(None)).order_by(Estate.id)):
        estates_by_company.setdefault(estate.company_id, []).append(estate)

    existing_staff = {(s.company_id, s.name, s.estate_id): s for s in db.session.scalars(select(Staff))}
    existing_certs = set(db.session.execute(select(Certificate.staff_id, Certificate.number)).all())
    planned = []  # (company, estate, position, name, phone, [certificates])
    for company in companies:
        used_names: set[str] = set()

        def new_name(used_names=used_names):
            while True:
                name = person_name(rng, people)
                if name not in used_names:
                    used_names.add(name)
                    return name

        places = [(None, [("enterprise_manager", 1.0)])] + [
            (estate, estate_posts) for estate in estates_by_company.get(company.id, [])]
        for estate, posts in places:
            for code, probability in posts:
                if rng.random() >= probability or code not in positions:
                    continue
                position = positions[code]
                name = new_name()
                phone = f"13{rng.randint(100000000, 999999999)}"
                certificates = []
                required = sorted(position.required_certificates, key=lambda t: t.id)
                if required and rng.random() < 0.93:
                    cert_type = required[0] if len(required) == 1 or rng.random() < 0.7 else required[1]
                    issued, expires = _certificate_dates(rng, today, types[cert_type.id])
                    number = f"{_prefix(cert_type)}{company.credit_code[-6:]}{len(planned):04d}"
                    certificates.append((cert_type, number, issued, expires))
                    if code == "project_manager" and len(required) > 1 and rng.random() < 0.4:
                        other = required[1] if cert_type is required[0] else required[0]
                        issued2, expires2 = _certificate_dates(rng, today, types[other.id])
                        certificates.append((other, f"{_prefix(other)}{company.credit_code[-6:]}"
                                                    f"{len(planned):04d}B", issued2, expires2))
                planned.append((company, estate, position, name, phone, certificates))

    created = []
    for company, estate, position, name, phone, certificates in planned:
        key = (company.id, name, estate.id if estate else None)
        staff = existing_staff.get(key)
        if staff is None:
            staff = Staff(company_id=company.id, estate_id=key[2], position_id=position.id, name=name, phone=phone)
            db.session.add(staff)
            existing_staff[key] = staff
        created.append((staff, certificates))
    db.session.flush()
    for staff, certificates in created:
        for cert_type, number, issued, expires in certificates:
            if (staff.id, number) in existing_certs:
                continue
            db.session.add(Certificate(staff_id=staff.id, certificate_type_id=cert_type.id, number=number,
                                       issuer=cert_type.issuer, issued_on=issued, expires_on=expires))
            existing_certs.add((staff.id, number))
    db.session.flush()
