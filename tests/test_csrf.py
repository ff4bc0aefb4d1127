"""Every state-changing form requires a CSRF token."""
from __future__ import annotations


def test_login_post_without_token_is_rejected(client, world):
    response = client.post("/login", data={"username": "admin", "password": "correct-horse-battery"}, csrf=False)
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


def test_logged_in_post_without_token_is_rejected(login_as, world):
    client = login_as(world.admin)
    response = client.post(f"/admin/users/{world.officer.id}/disable", csrf=False)
    assert response.status_code == 400
    from supervision.extensions import db

    db.session.refresh(world.officer)
    assert world.officer.active is True


def test_a_forged_token_is_rejected(client, world):
    response = client.post("/login", data={"username": "admin", "password": "x", "csrf_token": "forged"})
    assert response.status_code == 400
