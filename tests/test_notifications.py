"""In-app notifications: idempotent per fact, visible to their user only."""
from __future__ import annotations

from supervision.extensions import db
from supervision.notifications.services import notify, unread_count


def test_notify_once_per_key(world):
    assert notify([world.officer, world.admin], kind="test", title="有事项逾期", dedup_key="item:1:overdue") == 2
    assert notify([world.officer, world.admin], kind="test", title="有事项逾期", dedup_key="item:1:overdue") == 0
    assert notify([world.officer], kind="test", title="另一件", dedup_key="item:2:overdue") == 1
    db.session.commit()
    assert unread_count(world.officer) == 2


def test_header_shows_unread_and_user_sees_only_own(login_as, world):
    notify([world.officer], kind="test", title="给科员的通知", dedup_key="k1", link="/notifications/")
    notify([world.admin], kind="test", title="给管理员的通知", dedup_key="k2")
    db.session.commit()
    client = login_as(world.officer)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "给科员的通知" in html and "给管理员的通知" not in html
    assert 'data-testid="unread-count">1<' in html
    from sqlalchemy import select

    from supervision.notifications.models import Notification

    mine = db.session.scalar(select(Notification).where(Notification.user_id == world.officer.id))
    other = db.session.scalar(select(Notification).where(Notification.user_id == world.admin.id))
    assert client.post(f"/notifications/{other.id}/open").status_code == 404
    response = client.post(f"/notifications/{mine.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"
    assert unread_count(world.officer) == 0
