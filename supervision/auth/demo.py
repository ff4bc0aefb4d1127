"""One demo user per role, all with the password ``supervision-demo`` (refused in production)."""
from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from ..companies.credit_code import make_credit_code
from ..companies.models import Company
from ..extensions import db
from ..regions.models import Street
from ..seeding import get_or_create, load_json
from .models import User
from .passwords import hash_password
from .roles import Role


def seed_demo(rng) -> None:
    if current_app.config.get("PRODUCTION"):
        raise click.ClickException("生产环境（SUPERVISION_ENV=production）不能建立演示账户。"
                                   " / Demo accounts are not created in production.")
    data = load_json("demo/users.json")
    spec = data["demo_company"]
    company, _created = get_or_create(
        Company, name=spec["name"],
        defaults={
            "credit_code": make_credit_code(spec["credit_code_body"]),
            "legal_representative": spec["legal_representative"],
            "contact_person": spec["contact_person"],
            "phone": spec["phone"],
            "address": spec["address"],
        },
    )
    for row in data["users"]:
        if db.session.scalar(select(User.id).where(User.username == row["username"])):
            continue
        street_id = None
        if row.get("street"):
            street_id = db.session.scalar(select(Street.id).where(Street.name == row["street"]))
        db.session.add(User(
            username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
            street_id=street_id, company_id=company.id if row.get("company") else None,
            password_hash=hash_password(data["password"]), locale="zh_CN",
        ))
    db.session.flush()
