"""``flask seed demo`` builds the demo district deterministically and idempotently."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.auth.models import User
from supervision.auth.roles import Role
from supervision.extensions import db
from supervision.regions.models import Community, Street


def test_seed_demo_is_idempotent(demo):
    assert demo.first.exit_code == 0, demo.first.output
    assert demo.second.exit_code == 0, demo.second.output
    assert "supervision-demo" in demo.first.output
    assert demo.counts_second == demo.counts_first
    assert demo.counts_first["streets"] == 8 and demo.counts_first["communities"] == 40
    # every feature put something in
    for table in ("estates", "companies", "staff", "campaigns", "rectification_items", "weekly_reports",
                  "credit_events", "target_snapshots"):
        assert demo.counts_first[table] > 0, table


def test_demo_users_one_per_role(demo):
    with demo.app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert users["admin"].role is Role.BUREAU_ADMIN
        assert users["officer"].role is Role.BUREAU_OFFICER
        assert users["leader"].role is Role.LEADER
        assert users["street"].role is Role.STREET_OFFICER and users["street"].street is not None
        assert users["company"].role is Role.COMPANY_USER and users["company"].company is not None
    client = demo.app.test_client()
    for name in ("admin", "officer", "leader", "street", "company"):
        response = client.post("/login", data={"username": name, "password": "supervision-demo"})
        assert response.status_code == 302, name
        assert client.get("/").status_code == 200, name
        client.post("/logout")


def test_reference_data_loads(runner):
    from supervision.companies.models import Position

    result = runner.invoke(args=["seed", "reference"])
    assert result.exit_code == 0, result.output
    manager = db.session.scalar(select(Position).where(Position.code == "project_manager"))
    assert manager.is_manager and {c.code for c in manager.required_certificates} == {"pm_manager", "pm_practice"}
    assert db.session.scalar(select(func.count(Street.id))) == 0  # reference only, no demo district
    assert db.session.scalar(select(func.count(Community.id))) == 0
