"""The audit log: one row per change of state, browsable by the administrator."""
from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.audit.services import record, record_change, snapshot
from supervision.extensions import db


def test_record_writes_actor_action_object_and_diff(world):
    before = snapshot(world.estate1, ["name", "households"])
    world.estate1.households = 777
    entry = record_change("estate.update", world.estate1, before, actor=world.officer)
    db.session.commit()
    row = db.session.get(AuditLog, entry.id)
    assert row.actor_id == world.officer.id and row.action == "estate.update"
    assert row.object_type == "Estate" and row.object_id == world.estate1.id
    assert row.before == {"households": 500} and row.after == {"households": 777}
    assert row.channel == "cli" and row.at.tzinfo is not None


def test_record_flushes_a_new_object_to_get_its_id(world):
    from tests.factories import gen_community

    community = gen_community(world.street1)
    entry = record("community.create", community, after=snapshot(community))
    assert entry.object_id == community.id


def test_audit_page_filters_by_actor_object_and_date(login_as, world):
    with time_machine.travel(datetime(2026, 5, 1, 3, tzinfo=UTC), tick=False):
        record("estate.update", world.estate1, actor=world.officer, after={"x": 1})
    with time_machine.travel(datetime(2026, 6, 1, 3, tzinfo=UTC), tick=False):
        record("company.update", world.company1, actor=world.admin, after={"y": 2})
    db.session.commit()
    client = login_as(world.admin)

    def rows(query):
        html = client.get("/admin/audit/" + query).get_data(as_text=True)
        return html.split("<tbody>")[1].split("</tbody>")[0]

    assert "estate.update" in rows("?actor=officer") and "company.update" not in rows("?actor=officer")
    assert "company.update" in rows("?object_type=Company") and "estate.update" not in rows("?object_type=Company")
    body = rows("?date_from=2026-05-01&date_to=2026-05-31")
    assert "estate.update" in body and "company.update" not in body
    assert "company.update" in rows(f"?object_type=Company&object_id={world.company1.id}")


def test_every_admin_state_change_is_audited(login_as, world):
    client = login_as(world.admin)
    client.post(f"/admin/users/{world.leader.id}/disable")
    client.post(f"/admin/users/{world.leader.id}/enable")
    client.post(f"/admin/regions/streets/{world.street1.id}/communities/new", data={"name": "新社区", "active": "y"})
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"user.disable", "user.enable", "community.create"} <= actions


def test_the_audit_log_speaks_chinese(world, login_as, count_queries):
    """Actions, fields and values in the reader's words: names for ids, labels for codes, local times."""
    from supervision.audit.services import record

    record("estate.update", world.estate1, actor=world.officer,
           before={"company_id": world.company1.id, "management_mode": "professional", "closed_at": None},
           after={"company_id": world.company2.id, "management_mode": "owners_self",
                  "closed_at": "2026-12-06T16:30:00+00:00"})
    record("self_inspection.approve", object_type="SelfInspection", object_id=41, summary="<SelfInspection 41>",
           actor=world.officer)
    db.session.commit()
    client = login_as(world.admin)
    html = client.get("/admin/audit/").get_data(as_text=True)
    assert "修改小区" in html and "通过自查表" in html
    assert f"{world.company1.name}（#{world.company1.id}）" in html and f"{world.company2.name}（#" in html
    assert "管理模式</span>：物业企业 → 业委会自管" in html
    assert "2026-12-07 00:30" in html and "2026-12-06T16:30" not in html
    assert "SelfInspection" not in html.split("<tbody>")[1] and "自查表 #41" in html
    detail = client.get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert "修改小区" in detail and "业委会自管" in detail and "company_id</span>" not in detail
    # The names of a page's objects are loaded per class, not per row.
    for _n in range(5):
        record("estate.update", world.estate2, actor=world.officer, before={"company_id": world.company1.id},
               after={"company_id": world.company2.id})
    db.session.commit()
    client.get("/admin/audit/")
    with count_queries() as few:
        client.get("/admin/audit/")
    for _n in range(10):
        record("estate.update", world.estate2, actor=world.officer, before={"company_id": world.company2.id},
               after={"company_id": world.company1.id})
    db.session.commit()
    with count_queries() as more:
        client.get("/admin/audit/")
    assert len(more) == len(few)


def test_object_names_read_their_parents_without_a_query_per_row(world, login_as, count_queries):
    """An enrolment a change names is named by its campaign and estate: loaded with the enrolments."""
    from tests.factories import gen_estate
    from tests.reports.factories import gen_campaign, gen_enrolment

    campaign = gen_campaign(name="清零行动")
    db.session.commit()

    def enrol(n):
        for _ in range(n):
            enrolment = gen_enrolment(campaign, gen_estate(community=world.community1))
            db.session.flush()
            record("item.update", object_type="RectificationItem", object_id=enrolment.id, summary="整改事项",
                   actor=world.officer, before={"enrolment_id": None}, after={"enrolment_id": enrolment.id})
        db.session.commit()
        db.session.expire_all()  # as in another request: nothing read from the session

    client = login_as(world.admin)
    enrol(2)
    client.get("/admin/audit/?object_type=RectificationItem")
    db.session.expire_all()
    with count_queries() as few:
        client.get("/admin/audit/?object_type=RectificationItem")
    enrol(8)
    client.get("/admin/audit/?object_type=RectificationItem")
    db.session.expire_all()
    with count_queries() as more:
        html = client.get("/admin/audit/?object_type=RectificationItem").get_data(as_text=True)
    assert len(more) == len(few) <= 15
    assert html.count("清零行动 · ") >= 10


def test_the_object_type_choices_are_the_log_s_distinct_types(world, login_as, count_queries):
    """The filter's types come from a seek a type (a loose index scan), not a DISTINCT over the log: the same list,
    in order, in one statement."""
    from supervision.audit.views import object_types

    for object_type in ("Estate", "Company", "Estate", "Acceptance", "Company"):
        db.session.add(AuditLog(action="x.y", object_type=object_type, object_id=1))
    db.session.commit()
    expected = db.session.scalars(select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)).all()
    with count_queries() as statements:
        assert object_types() == expected
    assert len(statements) == 1 and "DISTINCT" not in statements[0].upper()
    html = login_as(world.admin).get("/admin/audit/").get_data(as_text=True)
    assert '<option value="Acceptance">' in html
