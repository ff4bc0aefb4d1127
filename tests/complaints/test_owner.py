"""The owner's public page: search, submit with the arithmetic challenge, tracking number and the
private link, rating; rate limits per network address and per phone; nothing personal shown."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from supervision.complaints import owner
from supervision.complaints.models import Channel, Complaint, Satisfaction, State
from supervision.extensions import db


def _form(client, estate_id, environ=None):
    page = client.get(f"/owner/new/{estate_id}", environ_base=environ or {}).get_data(as_text=True)
    token = re.search(r'name="challenge" type="hidden" value="([^"]+)"', page).group(1)
    a, b = (int(n) for n in re.search(r"(\d+) 加 (\d+) 等于几", page).groups())
    return token, a + b


def _submit(client, estate_id, phone="13912345678", answer=None, environ=None, **extra):
    token, right = _form(client, estate_id, environ)
    data = {"estate_id": estate_id, "kind": "complaint", "category": "环境卫生", "description": "楼下垃圾三天没人清运",
            "phone": phone, "name": "周女士", "challenge": token, "answer": right if answer is None else answer}
    data.update(extra)
    return client.post(f"/owner/new/{estate_id}", data=data, environ_base=environ or {})


def test_the_owner_finds_the_estate_submits_follows_and_rates(world, client, login_as):
    assert world.estate1.name in client.get("/owner/?q=阳光").get_data(as_text=True)
    done = _submit(client, world.estate1.id)
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    link = re.search(r'data-testid="private-link">([^<]+)<', page).group(1)
    complaint = db.session.scalar(select(Complaint))
    assert complaint.channel is Channel.ONLINE and complaint.state is State.ASSIGNED
    assert complaint.tracking_no in page and complaint.company_id == world.company1.id
    path = link.split("localhost", 1)[-1]
    tracking = client.get(path).get_data(as_text=True)
    assert complaint.tracking_no in tracking
    assert "13912345678" not in tracking and "周女士" not in tracking  # nothing personal on public pages
    # The company answers; the owner rates through the link; 不满意 would re-open it for a callback.
    login_as(world.company_user).post(f"/complaints/{complaint.id}/resolve",
                                      data={"text": "已清运", "version": complaint.version})
    assert "已清运" in client.get(path).get_data(as_text=True)
    client.post(path, data={"satisfaction": "basic", "text": "还行"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.state is State.CALLED_BACK and complaint.satisfaction is Satisfaction.BASIC
    assert client.get("/owner/t/not-the-token").status_code == 404


def test_a_wrong_or_forged_answer_is_refused(world, client):
    assert "验证问题回答不正确" in _submit(client, world.estate1.id, answer="1000").get_data(as_text=True)
    assert "验证问题回答不正确" in _submit(client, world.estate1.id, challenge="forged.token").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Complaint.id))) == 0


def test_rate_limits_per_address_and_per_phone(world, client):
    for n in range(3):
        assert "private-link" in _submit(client, world.estate1.id, phone=f"1390000000{n}").get_data(as_text=True)
    refused = _submit(client, world.estate1.id, phone="13900000009").get_data(as_text=True)
    assert "提交过于频繁" in refused  # a fourth from the same address within the hour
    elsewhere = {"REMOTE_ADDR": "10.0.0.8"}
    # From another address the same phone may go on, up to three a day.
    for _ in range(2):
        assert "private-link" in _submit(client, world.estate1.id, phone="13900000000",
                                         environ=elsewhere).get_data(as_text=True)
    refused = _submit(client, world.estate1.id, phone="13900000000", environ={"REMOTE_ADDR": "10.0.0.9"})
    assert "该手机号今天已提交 3 件诉求" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Complaint.id))) == 5
    assert owner.address_hash("10.0.0.8") != owner.address_hash("127.0.0.1")


def test_an_archived_or_unknown_estate_has_no_form(world, client):
    assert client.get("/owner/new/99999").status_code == 404
