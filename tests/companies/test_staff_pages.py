"""A company user maintains its staff and certificates; the list filters and the rates."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.companies.models import Certificate, Staff
from supervision.core.timeutil import local_today
from supervision.extensions import db

from .factories import gen_certified, gen_reference, gen_staff


def test_company_user_registers_staff_and_a_certificate(login_as, world):
    ref = gen_reference()
    db.session.commit()
    client = login_as(world.company_user)
    response = client.post("/companies/staff/new", data={
        "name": "周电工", "position_id": ref.electrician.id, "estate_id": world.estate1.id, "phone": ""})
    assert response.status_code == 302
    staff = db.session.scalar(select(Staff).where(Staff.name == "周电工"))
    assert staff.company_id == world.company1.id and staff.estate_id == world.estate1.id
    response = client.post(f"/companies/staff/{staff.id}/certificates/new", data={
        "certificate_type_id": ref.electrician_cert.id, "number": "T1234", "issuer": "应急管理局",
        "issued_on": "2024-01-01", "expires_on": "2030-01-01"})
    assert response.status_code == 302
    html = client.get(f"/companies/staff/{staff.id}").get_data(as_text=True)
    assert "T1234" in html and "已持证" in html
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"staff.create", "certificate.create"} <= actions


def test_staff_only_on_the_companys_own_estates(login_as, world):
    ref = gen_reference()
    db.session.commit()
    html = login_as(world.company_user).post("/companies/staff/new", data={
        "name": "越界", "position_id": ref.cleaner.id, "estate_id": world.estate2.id}).get_data(as_text=True)
    assert "不是有效的选择" in html  # the estate is not among the choices (its own estates only)
    assert db.session.scalar(select(Staff).where(Staff.name == "越界")) is None


def test_certificate_dates_are_checked(login_as, world):
    ref = gen_reference()
    staff = gen_staff(world.company1, ref.electrician, world.estate1)
    db.session.commit()
    html = login_as(world.company_user).post(f"/companies/staff/{staff.id}/certificates/new", data={
        "certificate_type_id": ref.electrician_cert.id, "number": "X", "issued_on": "2024-05-01",
        "expires_on": "2024-01-01"}).get_data(as_text=True)
    assert "有效期至不能早于发证日期" in html
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_marking_as_left_removes_from_the_rate(login_as, world):
    ref = gen_reference()
    staff = gen_staff(world.company1, ref.electrician, world.estate1, name="要离职")
    db.session.commit()
    client = login_as(world.company_user)
    assert "0.0%" in client.get("/companies/mine").get_data(as_text=True)
    page = client.get(f"/companies/staff/{staff.id}/leave").get_data(as_text=True)
    assert "登记“要离职”（电工）离职后" in page
    client.post(f"/companies/staff/{staff.id}/leave", data={"left_on": local_today().isoformat(),
                                                            "version": staff.version})
    db.session.refresh(staff)
    assert staff.left_on is not None
    assert "要离职" not in names(client.get("/companies/staff").get_data(as_text=True))
    assert names(client.get("/companies/staff?status=left").get_data(as_text=True)) == ["要离职"]


def test_delete_a_mistaken_certificate_after_confirmation(login_as, world):
    ref = gen_reference()
    staff = gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1)
    cert_id = staff.certificates[0].id
    db.session.commit()
    client = login_as(world.company_user)
    assert "确定删除证书" in client.get(f"/companies/certificates/{cert_id}/delete").get_data(as_text=True)
    client.post(f"/companies/certificates/{cert_id}/delete")
    assert db.session.get(Certificate, cert_id) is None
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "certificate.delete"))
    assert entry.before["number"].startswith("NO")


def names(html):
    return re.findall(r'href="/companies/staff/\d+">([^<]+)</a>', html)


def test_staff_list_filters(login_as, world):
    ref = gen_reference()
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="有证",
                  expires_on=date(2099, 1, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="过期",
                  expires_on=date(2020, 1, 1))
    gen_staff(world.company1, ref.cleaner, None, name="保洁")
    gen_certified(world.company2, ref.manager, ref.manager_cert, world.estate2, name="乙经理")
    db.session.commit()
    client = login_as(world.officer)
    assert set(names(client.get("/companies/staff").get_data(as_text=True))) == {"有证", "过期", "保洁", "乙经理"}
    assert names(client.get("/companies/staff?cert=unqualified").get_data(as_text=True)) == ["过期"]
    assert set(names(client.get("/companies/staff?cert=qualified").get_data(as_text=True))) == {"有证", "乙经理"}
    assert names(client.get("/companies/staff?cert=expired").get_data(as_text=True)) == ["过期"]
    assert names(client.get("/companies/staff?cert=not_required").get_data(as_text=True)) == ["保洁"]
    assert names(client.get("/companies/staff?estate_id=none").get_data(as_text=True)) == ["保洁"]
    assert names(client.get(f"/companies/staff?company_id={world.company2.id}").get_data(as_text=True)) == ["乙经理"]
    assert names(client.get(f"/companies/staff?position_id={ref.cleaner.id}").get_data(as_text=True)) == ["保洁"]
    assert names(client.get("/companies/staff?q=NO").get_data(as_text=True)) != []  # certificate numbers


def test_staff_list_has_no_per_row_queries(login_as, world, count_queries):
    ref = gen_reference()
    db.session.commit()
    client = login_as(world.officer)
    for _n in range(3):
        gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1)
    db.session.commit()
    with count_queries() as small:
        client.get("/companies/staff")
    for n in range(40):
        gen_certified(world.company2 if n % 2 else world.company1, ref.manager, ref.practice_cert, world.estate2)
    db.session.commit()
    with count_queries() as large:
        client.get("/companies/staff")
    assert len(small) == len(large)


def test_certificate_reminders_go_to_the_company_once(runner, world):
    from supervision.notifications.models import Notification

    ref = gen_reference()
    from datetime import timedelta

    from supervision.core.timeutil import local_today

    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1,
                  expires_on=local_today() + timedelta(days=30))
    gen_certified(world.company2, ref.electrician, ref.electrician_cert, world.estate2,
                  expires_on=local_today() + timedelta(days=90))
    db.session.commit()
    assert runner.invoke(args=["companies", "remind-certificates"]).exit_code == 0
    assert runner.invoke(args=["companies", "remind-certificates"]).exit_code == 0
    rows = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in rows] == [(world.company_user.id, "certificate_expiring")]


def test_service_refuses_another_companys_estate(world):
    import pytest

    from supervision.companies.services import create_staff
    from supervision.estates.errors import InvalidValues

    ref = gen_reference()
    with pytest.raises(InvalidValues, match="只能选择本企业管理的小区"):
        create_staff(world.company1, {"name": "越界", "position_id": ref.cleaner.id, "estate_id": world.estate2.id})


def _estate_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="estate_id"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option[^>]*>([^<]*)</option>', select)


def test_staff_filter_offers_the_chosen_companys_estates_not_the_districts(login_as, world):
    ref = gen_reference()
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="甲电工",
                  expires_on=date(2099, 1, 1))
    gen_certified(world.company2, ref.manager, ref.manager_cert, world.estate2, name="乙经理")
    db.session.commit()
    client = login_as(world.officer)
    # No company chosen: no estate list (it would be every estate of the district), and a hint.
    html = client.get("/companies/staff").get_data(as_text=True)
    assert _estate_options(html) == ["全部", "公司总部（未分配项目）"]
    assert "选择企业并点击“查询”后，可按该企业的项目筛选。" in html
    # A company chosen: its estates only.
    html = client.get(f"/companies/staff?company_id={world.company1.id}").get_data(as_text=True)
    assert world.estate1.name in _estate_options(html) and world.estate2.name not in _estate_options(html)
    # A link to one estate's staff keeps that estate chosen and filters by it.
    html = client.get(f"/companies/staff?estate_id={world.estate2.id}").get_data(as_text=True)
    assert _estate_options(html)[2:] == [world.estate2.name] and names(html) == ["乙经理"]
    # A company user sees only its own estates, whatever the URL asks for.
    html = login_as(world.company_user).get(f"/companies/staff?estate_id={world.estate2.id}").get_data(as_text=True)
    assert world.estate2.name not in _estate_options(html) and "乙经理" not in names(html)
