"""The administrator's user pages."""
from __future__ import annotations

from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.auth.models import User
from supervision.auth.roles import Role
from supervision.extensions import db


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_admin_creates_a_street_officer(login_as, world):
    client = login_as(world.admin)
    response = client.post("/admin/users/new", data={
        "username": "dongcheng2", "display_name": "刘干事", "role": "street_officer",
        "street_id": world.street1.id, "company_id": "", "password": "initial-pass-1"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "dongcheng2"))
    assert user.role is Role.STREET_OFFICER and user.street_id == world.street1.id
    assert user.must_change_password is True
    [row] = _audit("user.create")
    assert row.actor_id == world.admin.id and row.after["username"] == "dongcheng2"
    assert "password_hash" not in row.after


def test_street_officer_needs_a_street(login_as, world):
    client = login_as(world.admin)
    response = client.post("/admin/users/new", data={
        "username": "nostreet", "display_name": "某人", "role": "street_officer",
        "street_id": "", "company_id": "", "password": "initial-pass-1"})
    assert response.status_code == 200
    assert "必须选择所属街道" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "nostreet")) is None


def test_short_password_and_duplicate_username_are_refused(login_as, world):
    client = login_as(world.admin)
    text = client.post("/admin/users/new", data={
        "username": "newone", "display_name": "某人", "role": "leader", "password": "short"}).get_data(as_text=True)
    assert "至少为 10 位" in text
    text = client.post("/admin/users/new", data={
        "username": "OFFICER", "display_name": "某人", "role": "leader",
        "password": "long-enough-1"}).get_data(as_text=True)
    assert "已被使用" in text


def test_disable_needs_confirmation_then_enable(login_as, world):
    client = login_as(world.admin)
    page = client.get(f"/admin/users/{world.officer.id}/disable").get_data(as_text=True)
    assert "确定停用用户" in page
    assert client.post(f"/admin/users/{world.officer.id}/disable").status_code == 302
    db.session.refresh(world.officer)
    assert world.officer.active is False
    client.post(f"/admin/users/{world.officer.id}/enable")
    db.session.refresh(world.officer)
    assert world.officer.active is True
    assert len(_audit("user.disable")) == 1 and len(_audit("user.enable")) == 1


def test_admin_cannot_disable_self(login_as, world):
    client = login_as(world.admin)
    response = client.post(f"/admin/users/{world.admin.id}/disable", follow_redirects=True)
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    db.session.refresh(world.admin)
    assert world.admin.active is True


def test_reset_password_unlocks_and_forces_a_change(login_as, world, app):
    from datetime import timedelta

    from supervision.auth.models import LoginThrottle
    from supervision.core.timeutil import utcnow

    db.session.add(LoginThrottle(username="officer", address="127.0.0.1", failures=7,
                                 blocked_until=utcnow() + timedelta(minutes=10), last_failure_at=utcnow()))
    db.session.commit()
    client = login_as(world.admin)
    response = client.post(f"/admin/users/{world.officer.id}/reset-password",
                           data={"password": "temporary-123", "confirm": "temporary-123"})
    assert response.status_code == 302
    officer_client = app.test_client()
    response = officer_client.post("/login", data={"username": "officer", "password": "temporary-123"})
    assert response.headers["Location"] == "/account/password"
    assert len(_audit("user.reset_password")) == 1


def test_edit_detects_concurrent_changes(login_as, world):
    client = login_as(world.admin)
    stale_version = world.officer.version
    world.officer.display_name = "别人改过"
    db.session.commit()
    response = client.post(f"/admin/users/{world.officer.id}/edit", data={
        "version": stale_version, "username": "officer", "display_name": "我的修改",
        "role": "bureau_officer", "street_id": "", "company_id": ""})
    assert "已被他人修改" in response.get_data(as_text=True)
    db.session.refresh(world.officer)
    assert world.officer.display_name == "别人改过"


def test_edit_records_before_and_after(login_as, world):
    client = login_as(world.admin)
    original = world.officer.display_name
    client.post(f"/admin/users/{world.officer.id}/edit", data={
        "version": world.officer.version, "username": "officer", "display_name": "王科长",
        "role": "leader", "street_id": "", "company_id": ""})
    [row] = _audit("user.update")
    assert row.before == {"display_name": original, "role": "bureau_officer"}
    assert row.after["role"] == "leader" and row.after["display_name"] == "王科长"


def test_users_list_filters(login_as, world):
    client = login_as(world.admin)
    text = client.get("/admin/users?role=company_user").get_data(as_text=True)
    assert "company1" in text and "officer" not in text.split("<tbody>")[1]
    text = client.get("/admin/users?q=street").get_data(as_text=True)
    assert "street1" in text and "street2" in text and "company1" not in text


def test_cli_creates_a_user(runner, world):
    result = runner.invoke(args=["users", "create", "--username", "cliuser", "--role", "street_officer",
                                 "--street", "东城街道", "--password", "cli-password-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "cliuser"))
    assert user.street_id == world.street1.id
    result = runner.invoke(args=["users", "create", "--username", "x2", "--role", "street_officer",
                                 "--street", "不存在街道", "--password", "cli-password-1"])
    assert result.exit_code != 0 and "找不到街道" in result.output
