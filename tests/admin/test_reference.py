"""基础数据: the administrator sees the reference data and sets which posts need which certificate."""
from __future__ import annotations

from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.companies.models import Position
from supervision.core.timeutil import local_today
from supervision.extensions import db
from supervision.targets.indicators import get_indicator, measure_total

from ..companies.factories import gen_certified, gen_reference
from ..factories import gen_staff


def test_overview_lists_schemes_checklists_and_posts(login_as, world, runner):
    runner.invoke(args=["seed", "reference"])
    html = login_as(world.admin).get("/admin/reference/").get_data(as_text=True)
    assert "项目经理（管理处主任）" in html and "物业管理企业经理岗位证书" in html
    assert "摸底排查" in html and "自查检查表" in html
    assert login_as(world.officer).get("/admin/reference/").status_code == 403


def test_changing_a_post_s_certificates_changes_the_rate(login_as, world):
    reference = gen_reference()
    gen_certified(world.company1, reference.electrician, reference.electrician_cert, world.estate1)
    gen_staff(world.company1, reference.cleaner, world.estate1)  # no certificate; cleaners need none
    db.session.commit()
    indicator = get_indicator("staff_cert")
    before = measure_total(indicator, local_today())
    assert (before.numerator, before.denominator) == (1, 1)
    client = login_as(world.admin)
    response = client.post(f"/admin/reference/positions/{reference.cleaner.id}",
                           data={"certificate_type_ids": [reference.electrician_cert.id]})
    assert response.status_code == 302
    after = measure_total(indicator, local_today())
    assert (after.numerator, after.denominator) == (1, 2)  # the cleaner now counts, uncertified
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "position.requirements"))
    assert row.before == {"requires": []} and row.after == {"requires": ["electrician_low"]}
    cleaner = db.session.get(Position, reference.cleaner.id)
    db.session.refresh(cleaner)
    assert [c.code for c in cleaner.required_certificates] == ["electrician_low"]


def test_reload_from_seeds_is_audited(login_as, world):
    client = login_as(world.admin)
    assert client.post("/admin/reference/reload").status_code == 302
    assert db.session.scalar(select(Position).where(Position.code == "project_manager")) is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "reference.reload"))
