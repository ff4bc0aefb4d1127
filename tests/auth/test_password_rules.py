"""Password rules (length, username, common passwords, previous password) and the demo password in production."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from supervision import create_app
from supervision.auth import password_rules
from supervision.auth.models import User
from supervision.auth.passwords import hash_password
from supervision.config import default_config
from supervision.core.errors import DomainError
from supervision.extensions import db

from ..factories import DEFAULT_PASSWORD


def _refusal(password, **kw) -> str:
    with pytest.raises(DomainError) as caught:
        password_rules.check(password, **kw)
    return caught.value.message


@pytest.mark.parametrize("password", ["123456789a", "woaini1314", "qwertyuiop", "Password123", "1qaz2wsx3edc",
                                      "WOAINI5201314", "supervision-demo", "1234567890", "iloveyou1314"])
def test_common_passwords_are_refused(app, password):
    assert "过于常见" in _refusal(password)


def test_the_shipped_list_is_thousands_long_and_lower_case():
    words = password_rules.common_passwords()
    assert len(words) >= 2000
    assert all(word == word.lower() for word in words)


def test_length_username_and_previous_password(app, world):
    assert "至少为 10 位" in _refusal("abcdefghi")  # nine characters
    assert "不能与用户名相同" in _refusal("Zhang.San-2024", username="zhang.san-2024")
    assert "不能与当前密码相同" in _refusal(DEFAULT_PASSWORD, current_hash=world.officer.password_hash)
    password_rules.check("ten-chars!", username="someone")  # ten characters, none of the above


def test_the_test_password_passes_the_rules(app):
    password_rules.check(DEFAULT_PASSWORD, username="officer")


def test_rules_apply_to_every_way_of_setting_a_password(login_as, world):
    admin = login_as(world.admin)
    text = admin.post("/admin/users/new", data={
        "username": "wangfang1990", "display_name": "王芳", "role": "leader",
        "password": "wangfang1990"}).get_data(as_text=True)
    assert "不能与用户名相同" in text
    text = admin.post("/admin/users/new", data={
        "username": "wangfang", "display_name": "王芳", "role": "leader", "password": "woaini1314",
    }).get_data(as_text=True)
    assert "过于常见" in text
    assert db.session.scalar(select(User).where(User.username.like("wangfang%"))) is None
    # An administrator's reset may not give the user their current password back.
    text = admin.post(f"/admin/users/{world.officer.id}/reset-password",
                      data={"password": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD}).get_data(as_text=True)
    assert "不能与当前密码相同" in text
    officer = login_as(world.officer)
    text = officer.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "qwertyuiop123", "confirm": "qwertyuiop123"}
    ).get_data(as_text=True)
    assert "过于常见" in text
    text = officer.post("/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD}
    ).get_data(as_text=True)
    assert "不能与当前密码相同" in text


def test_production_is_set_by_supervision_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SUPERVISION_ENV", raising=False)
    assert default_config(tmp_path)["PRODUCTION"] is False
    monkeypatch.setenv("SUPERVISION_ENV", "production")
    assert default_config(tmp_path)["PRODUCTION"] is True


def _production_app(app, **extra):
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY")}
    return create_app(dict(config, SQLALCHEMY_ENGINE_OPTIONS={}, PRODUCTION=True, **extra))


def test_production_refuses_to_start_while_a_demo_account_has_the_demo_password(app, world):
    world.admin.password_hash = hash_password("supervision-demo")
    db.session.commit()
    with pytest.raises(RuntimeError, match=r"拒绝启动.*admin"):
        _production_app(app)
    # Out of production the demo password is fine (make run).
    started = create_app({key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY")}
                         | {"SQLALCHEMY_ENGINE_OPTIONS": {}})
    with started.app_context():
        db.engine.dispose()
    # Disabled, or with its password changed, the demo account no longer stops the start.
    world.admin.active = False
    db.session.commit()
    _production_app(app)
    world.admin.active = True
    world.admin.password_hash = hash_password(DEFAULT_PASSWORD)
    db.session.commit()
    _production_app(app)


def test_production_starts_on_an_empty_database(tmp_path):
    """Before `flask db upgrade` there are no tables: nothing to refuse."""
    started = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}", "SECRET_KEY": "x",
                          "UPLOAD_DIR": str(tmp_path), "PRODUCTION": True})
    assert started.config["PRODUCTION"] is True


def test_demo_seeding_is_refused_in_production(app, tmp_path):
    prod = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}", "SECRET_KEY": "x",
                       "UPLOAD_DIR": str(tmp_path), "PRODUCTION": True, "TESTING": True})
    with prod.app_context():
        db.create_all()
        result = prod.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code != 0 and "生产环境" in result.output
        assert db.session.scalar(select(User.id)) is None
        db.session.remove()
        db.engine.dispose()

