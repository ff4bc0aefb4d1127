"""Login, logout, password storage and changes (throttling: test_throttle.py; sessions: test_sessions.py)."""
from __future__ import annotations

from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.auth.models import User
from supervision.extensions import db

from ..factories import DEFAULT_PASSWORD


def test_login_and_logout(client, auth, world):
    response = auth.login("officer")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert world.officer.display_name in page
    assert client.get("/logout").status_code == 405  # logout is a POST
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_a_chinese_message(client, auth, world):
    response = auth.login("officer", "wrong-password")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    # No count of the remaining attempts: it was shown for real accounts only.
    assert "用户名或密码错误" in text and "再失败" not in text


def test_unknown_user_gets_the_same_message(client, auth, world):
    text = auth.login("nobody", "whatever-password").get_data(as_text=True)
    assert "用户名或密码错误" in text


def test_disabled_account_cannot_log_in(client, auth, world):
    world.officer.active = False
    db.session.commit()
    text = auth.login("officer").get_data(as_text=True)
    assert "已停用" in text


def test_passwords_are_stored_hashed(world):
    user = db.session.get(User, world.officer.id)
    assert DEFAULT_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


def test_next_parameter_only_redirects_locally(client, world):
    response = client.post("/login?next=//evil.example/x", data={"username": "officer", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/notifications/", data={"username": "officer", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/notifications/"


def test_change_own_password(client, auth, world, app):
    auth.login("officer")
    other = app.test_client()
    assert other.post("/login", data={"username": "officer", "password": DEFAULT_PASSWORD}).status_code == 302
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "short", "confirm": "short"})
    assert "至少为 10 位" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current_password": "not-it", "new_password": "another-long-one", "confirm": "another-long-one"})
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "another-long-one", "confirm": "another-long-one"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the other session has ended
    auth.logout()
    assert auth.login("officer", "another-long-one").status_code == 302


def test_must_change_password_after_reset(client, auth, world):
    world.officer.must_change_password = True
    db.session.commit()
    response = auth.login("officer")
    assert response.headers["Location"] == "/account/password"
    assert client.get("/notifications/").headers["Location"] == "/account/password"


def test_login_is_audited(client, auth, world):
    auth.login("officer")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.login"))
    assert row.actor_id == world.officer.id and row.at is not None


def test_language_choice_is_stored_per_user(client, auth, world):
    auth.login("officer")
    client.post("/language", data={"locale": "en", "next": "/"})
    db.session.refresh(world.officer)
    assert world.officer.locale == "en"
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html
    client.post("/language", data={"locale": "zh_CN", "next": "/"})
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
