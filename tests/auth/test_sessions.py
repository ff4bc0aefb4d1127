"""Server-side sessions: logout, password change, disabling and "sign out everywhere" end every copy
of a cookie; idle timeout and absolute lifetime; a user's own sessions page."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.auth.models import UserSession
from supervision.config import default_config
from supervision.extensions import db

from ..factories import DEFAULT_PASSWORD

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _default_limits(app, monkeypatch):
    """The shipped limits (the suite's app may carry others for tests that travel in time)."""
    defaults = default_config(Path(app.instance_path))
    for key in ("SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "SESSION_TOUCH_SECONDS"):
        monkeypatch.setitem(app.config, key, defaults[key])


def _copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    return thief


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def _rows(user):
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                              .order_by(UserSession.id).execution_options(populate_existing=True)).all()


def test_the_defaults_fit_a_government_office(app):
    defaults = default_config(Path(app.instance_path))
    assert defaults["SESSION_IDLE_MINUTES"] == 120 and defaults["SESSION_MAX_HOURS"] == 12


def test_a_cookie_copied_before_logout_is_refused_after(app, client, auth, world):
    auth.login("officer")
    thief = _copy(app, client)
    assert thief.get("/").status_code == 200
    auth.logout()
    response = thief.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert thief.get("/notifications/").status_code == 302
    [row] = _rows(world.officer)
    assert row.ended_at is not None and row.end_reason == "logout"
    [logout] = _audit("auth.logout")
    assert logout.actor_id == world.officer.id


def test_the_cookie_holds_a_random_token_and_the_table_only_its_hash(app, client, auth, world):
    auth.login("officer")
    cookie = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    [row] = _rows(world.officer)
    assert cookie["sid"] != row.token_hash and len(cookie["sid"]) >= 40
    assert row.token_hash == hashlib.sha256(cookie["sid"].encode()).hexdigest()
    assert row.ip == "127.0.0.1" and row.user_agent


def test_idle_timeout(app, client, auth, world):
    with time_machine.travel(T0, tick=False):
        auth.login("officer")
    with time_machine.travel(T0 + timedelta(minutes=119), tick=False):
        assert client.get("/").status_code == 200  # in use: the idle clock starts again
    with time_machine.travel(T0 + timedelta(minutes=119 + 119), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=119 + 119 + 120), tick=False):
        response = client.get("/", follow_redirects=True)
        assert "登录已超时" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302
    [row] = _rows(world.officer)
    assert row.end_reason == "idle"
    assert [a.after["reason"] for a in _audit("session.expire")] == ["idle"]


def test_absolute_lifetime(app, client, auth, world):
    with time_machine.travel(T0, tick=False):
        auth.login("officer")
    for hour in range(1, 12):
        with time_machine.travel(T0 + timedelta(hours=hour), tick=False):
            assert client.get("/").status_code == 200, hour
    with time_machine.travel(T0 + timedelta(hours=12, seconds=-1), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(T0 + timedelta(hours=12), tick=False):
        assert client.get("/").status_code == 302
    assert _rows(world.officer)[0].end_reason == "expired"


def test_last_seen_is_written_at_most_once_a_minute(app, client, auth, world):
    with time_machine.travel(T0, tick=False):
        auth.login("officer")
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        client.get("/")
        assert _rows(world.officer)[0].last_seen_at == T0
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        client.get("/")
        assert _rows(world.officer)[0].last_seen_at == T0 + timedelta(seconds=61)


def test_password_change_ends_the_other_sessions(app, client, auth, world):
    auth.login("officer")
    laptop = app.test_client()
    assert laptop.post("/login", data={"username": "officer", "password": DEFAULT_PASSWORD}).status_code == 302
    thief = _copy(app, laptop)
    response = client.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "a-new-long-secret", "confirm": "a-new-long-secret"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert laptop.get("/").status_code == 302 and thief.get("/").status_code == 302
    reasons = [row.end_reason for row in _rows(world.officer)]
    assert reasons == [None, "password_change"]
    [audit] = _audit("user.change_password")
    assert audit.after == {"other_sessions_ended": 1}


def test_a_disabled_users_cookie_is_refused(app, client, auth, login_as, world):
    auth.login("officer")
    thief = _copy(app, client)
    admin = login_as(world.admin)
    assert admin.post(f"/admin/users/{world.officer.id}/disable").status_code == 302
    assert client.get("/").status_code == 302 and thief.get("/").status_code == 302
    # Enabling the account again does not bring the old cookies back.
    admin.post(f"/admin/users/{world.officer.id}/enable")
    assert thief.get("/").status_code == 302
    assert _rows(world.officer)[0].end_reason == "disabled"


def test_a_user_disabled_behind_the_apps_back_cannot_use_a_session(client, auth, world):
    auth.login("officer")
    world.officer.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_admin_signs_a_user_out_everywhere(app, client, auth, login_as, world):
    auth.login("officer")
    phone = login_as(world.officer)
    keep = login_as(world.leader)
    admin = login_as(world.admin)
    assert "在所有设备上退出登录" in admin.get(f"/admin/users/{world.officer.id}/sign-out").get_data(as_text=True)
    assert client.get("/").status_code == 200  # a GET only asks
    assert admin.post(f"/admin/users/{world.officer.id}/sign-out").status_code == 302
    assert client.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert keep.get("/").status_code == 200 and admin.get("/").status_code == 200
    [audit] = _audit("user.sign_out_everywhere")
    assert audit.actor_id == world.admin.id and audit.object_id == world.officer.id
    assert audit.after == {"sessions_ended": 2}
    # The user can log in again at once.
    assert auth.login("officer").status_code == 302 and client.get("/").status_code == 200


def test_only_the_admin_signs_others_out(login_as, world):
    victim = login_as(world.leader)
    for user in (world.officer, world.street_user, world.company_user):
        assert login_as(user).post(f"/admin/users/{world.leader.id}/sign-out").status_code == 403
    assert victim.get("/").status_code == 200


def test_a_user_sees_and_ends_their_own_sessions(app, client, auth, login_as, world):
    auth.login("officer")
    other = login_as(world.officer)
    stranger = login_as(world.street_user)
    page = client.get("/account/sessions").get_data(as_text=True)
    mine, theirs = _rows(world.officer)
    assert page.count("结束此登录") == 2 and "当前设备" in page and "127.0.0.1" in page
    # Someone else's session is not theirs to see or end.
    [stranger_row] = _rows(world.street_user)
    assert client.post(f"/account/sessions/{stranger_row.id}/end").status_code == 404
    assert stranger.get("/").status_code == 200
    assert client.post(f"/account/sessions/{theirs.id}/end").status_code == 302
    assert other.get("/").status_code == 302 and client.get("/").status_code == 200
    [audit] = _audit("session.end")
    assert audit.after["session"] == theirs.id and audit.actor_id == world.officer.id
    # Ending the one in use is logging out.
    assert client.post(f"/account/sessions/{mine.id}/end").headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_a_user_ends_every_other_session(client, auth, login_as, world):
    auth.login("officer")
    others = [login_as(world.officer) for _ in range(2)]
    assert client.post("/account/sessions/end-others").status_code == 302
    assert all(o.get("/").status_code == 302 for o in others)
    assert client.get("/").status_code == 200
    assert _audit("session.end_others")[0].after == {"sessions_ended": 2}


def test_the_session_checks_are_shared_by_every_worker(app, client, auth, world):
    """A logout on one worker ends the cookie on another (a second app on the same database)."""
    from supervision import create_app

    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY",
                                               "PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST")}
    worker2 = create_app(dict(config, TESTING=True, SQLALCHEMY_ENGINE_OPTIONS={}, RATELIMIT_ENABLED=False,
                              SERVER_NAME="localhost"))
    try:
        auth.login("officer")
        copy = worker2.test_client()
        copy.set_cookie("session", client.get_cookie("session").value, domain="localhost")
        assert copy.get("/").status_code == 200
        auth.logout()
        assert copy.get("/").status_code == 302
    finally:
        with worker2.app_context():
            db.engine.dispose()


def test_rows_of_long_finished_sessions_are_deleted_at_the_next_login(client, auth, world):
    with time_machine.travel(T0, tick=False):
        auth.login("officer")
        auth.logout()
    with time_machine.travel(T0 + timedelta(days=89), tick=False):
        auth.login("officer")
        assert len(_rows(world.officer)) == 2
        auth.logout()
    with time_machine.travel(T0 + timedelta(days=91), tick=False):
        auth.login("officer")
    assert [row.created_at for row in _rows(world.officer)] == [T0 + timedelta(days=89), T0 + timedelta(days=91)]
