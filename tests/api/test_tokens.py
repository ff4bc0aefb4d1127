"""Personal API tokens: shown once, stored hashed, expiring, revocable."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from supervision.api.models import ApiToken
from supervision.api.services import create_token
from supervision.audit.models import AuditLog
from supervision.core.timeutil import utcnow
from supervision.extensions import db


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_create_through_the_web_shows_the_token_once(login_as, world, client):
    web = login_as(world.street_user)
    html = web.post("/account/tokens/", data={"name": "街道系统对接", "days": 30}).get_data(as_text=True)
    plain = re.search(r'data-testid="new-token">([^<]+)<', html).group(1)
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest() and plain not in row.token_hash
    assert plain not in web.get("/account/tokens/").get_data(as_text=True)  # never shown again
    response = client.get("/api/v1/me", headers=_bearer(plain))
    assert response.status_code == 200
    assert response.json["username"] == "street1" and response.json["street_id"] == world.street1.id
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "api_token.create"))


def test_missing_wrong_expired_and_revoked_tokens_are_refused(client, world):
    token, plain = create_token(world.officer, name="x", days=1)
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer("wyjg_not-a-token")).json["code"] == "unauthenticated"
    assert client.get("/api/v1/me", headers={"Authorization": f"Basic {plain}"}).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=1, seconds=5)):
        assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401
    token = db.session.get(ApiToken, token.id)
    token.revoked_at = utcnow()
    db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401


def test_token_of_a_disabled_user_stops_working(client, world):
    _token, plain = create_token(world.officer, name="x", days=10)
    world.officer.active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401


def test_a_session_cookie_does_not_authenticate_the_api(login_as, world):
    web = login_as(world.officer)
    assert web.get("/api/v1/me").status_code == 401


def test_revoke_through_the_web_with_confirmation(login_as, world, client):
    token, plain = create_token(world.company_user, name="企业系统", days=10)
    db.session.commit()
    web = login_as(world.company_user)
    assert "确定撤销令牌" in web.get(f"/account/tokens/{token.id}/revoke").get_data(as_text=True)
    assert web.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=_bearer(plain)).status_code == 401
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "api_token.revoke"))


def test_users_see_and_revoke_only_their_own_tokens(login_as, world):
    token, _plain = create_token(world.company_user, name="企业系统", days=10)
    db.session.commit()
    other = login_as(world.company2_user)
    assert "企业系统" not in other.get("/account/tokens/").get_data(as_text=True)
    assert other.post(f"/account/tokens/{token.id}/revoke").status_code == 404


def test_leaders_cannot_create_tokens(login_as, world):
    assert login_as(world.leader).get("/account/tokens/").status_code == 403


def test_validation_messages(login_as, world):
    html = login_as(world.officer).post("/account/tokens/", data={"name": "", "days": 999}).get_data(as_text=True)
    assert "请填写令牌用途" in html and "有效期应为 1 至 366 天" in html
    assert db.session.scalar(select(ApiToken)) is None


def test_openapi_description_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/me" in html and "openapi.json" in html


def test_api_errors_are_json_with_a_stable_code(client, world):
    _token, plain = create_token(world.officer, name="x", days=10)
    db.session.commit()
    response = client.get("/api/v1/no-such-thing", headers=_bearer(plain))
    assert response.status_code == 404 and response.json["code"] == "not_found" and response.json["message"]
