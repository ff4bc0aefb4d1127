"""Exactly once: a submission repeated with the same idempotency key creates nothing and answers with
the first one's result; keys are per user; forms without a key (no JavaScript) work as before.
And the service worker and manifest are served so that the worker's scope covers the whole app."""
from __future__ import annotations

import io
import json
from datetime import timedelta

from sqlalchemy import func, select

from supervision.attachments.models import Attachment
from supervision.campaigns.models import ItemState, SpotCheck
from supervision.core.timeutil import utcnow
from supervision.extensions import db
from supervision.offline import services as offline
from supervision.offline.models import SubmissionKey

from .factories import HOME, exif_jpeg

KEY = "3f2b8c1e-6a4d-4e0f-9b7a-2c5d8e1f0a34"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _spot_check(client, estate, key=None, summary="夜间抽查"):
    data = {"estate_id": estate.id, "summary": summary, "photos": [(io.BytesIO(exif_jpeg(None, HOME)), "门岗.jpg")]}
    if key is not None:
        data["idempotency_key"] = key
    return client.post("/campaigns/spot-checks/new", data=data, content_type="multipart/form-data")


def test_the_same_key_twice_creates_one_spot_check(running, login_as):
    client = login_as(running.officer)
    first = _spot_check(client, running.estate2, KEY)
    assert first.status_code == 302
    check = db.session.scalar(select(SpotCheck))
    assert first.headers["Location"].endswith(f"/campaigns/spot-checks/{check.id}")
    again = _spot_check(client, running.estate2, KEY)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert _count(SpotCheck) == 1 and _count(Attachment) == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "该表单已经提交过，本次未重复录入。" in page
    # another submission (a new key) is a new record
    assert _spot_check(client, running.estate2, "a" * 32).status_code == 302
    assert _count(SpotCheck) == 2


def test_without_a_key_forms_work_as_before(running, login_as):
    client = login_as(running.officer)
    assert _spot_check(client, running.estate2).status_code == 302
    assert _spot_check(client, running.estate2, key="").status_code == 302
    assert _spot_check(client, running.estate2, key="not a key!").status_code == 302  # malformed: ignored
    assert _count(SpotCheck) == 3 and _count(SubmissionKey) == 0


def test_the_item_answer_is_received_once(item, running, login_as):
    client = login_as(running.company_user)
    data = lambda: {"version": item.version, "response": "已清理完毕", "idempotency_key": KEY,  # noqa: E731
                    "evidence": [(io.BytesIO(exif_jpeg(None, HOME)), "清理后.jpg")]}
    first = client.post(f"/campaigns/items/{item.id}/answer", data=data(), content_type="multipart/form-data")
    assert first.status_code == 302
    # sent again (a queued form re-sent after a lost answer): the stale version would refuse it; the key answers first
    again = client.post(f"/campaigns/items/{item.id}/answer", data=data(), content_type="multipart/form-data")
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    db.session.refresh(item)
    assert item.state is ItemState.SUBMITTED and _count(Attachment) == 1
    status = json.loads(client.get(f"/submissions/{KEY}").data)
    assert status == {"received": True, "url": f"/campaigns/items/{item.id}"}


def test_a_refused_submission_leaves_its_key_free(item, running, login_as):
    client = login_as(running.company_user)
    refused = client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "", "idempotency_key": KEY}, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert _count(SubmissionKey) == 0
    assert json.loads(client.get(f"/submissions/{KEY}").data) == {"received": False}
    fixed = client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "已清理", "idempotency_key": KEY,
        "evidence": [(io.BytesIO(exif_jpeg(None, HOME)), "a.jpg")]}, content_type="multipart/form-data")
    assert fixed.status_code == 302 and _count(SubmissionKey) == 1


def test_keys_are_per_user(running, login_as):
    officer, other = login_as(running.officer), login_as(running.admin)
    assert _spot_check(officer, running.estate1, KEY).status_code == 302
    assert json.loads(other.get(f"/submissions/{KEY}").data) == {"received": False}  # not told of others' keys
    assert _spot_check(other, running.estate1, KEY).status_code == 302
    assert _count(SpotCheck) == 2


def test_the_evidence_upload_is_received_once(item, running, login_as):
    client = login_as(running.company_user)
    for _attempt in range(2):
        response = client.post(f"/campaigns/items/{item.id}/evidence", data={
            "version": item.version, "idempotency_key": KEY,
            "evidence": [(io.BytesIO(exif_jpeg(None, HOME)), "a.jpg"), (io.BytesIO(exif_jpeg(None, HOME)), "b.jpg")]},
            content_type="multipart/form-data")
        assert response.status_code == 302
    assert _count(Attachment) == 2


def test_old_keys_are_forgotten(running):
    db.session.add(SubmissionKey(user_id=running.officer.id, key="old-key-123", endpoint="x",
                                 created_at=utcnow() - timedelta(days=31)))
    db.session.add(SubmissionKey(user_id=running.officer.id, key="new-key-123", endpoint="x"))
    db.session.flush()
    assert offline.forget_old() == 1
    assert [k.key for k in db.session.scalars(select(SubmissionKey))] == ["new-key-123"]


def test_service_worker_and_manifest(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert b"addEventListener(\"fetch\"" in worker.data
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    data = json.loads(manifest.data)
    assert data["start_url"] == "/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert client.get("/static/offline.html").status_code == 200


def test_pages_load_the_offline_script_without_inline_code(running, login_as):
    response = login_as(running.officer).get(f"/campaigns/spot-checks/new?estate={running.estate1.id}")
    page = response.get_data(as_text=True)
    assert "js/offline.js" in page and 'rel="manifest"' in page and "data-offline=" in page
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    assert "<script>" not in page


def test_the_forget_keys_command(running, runner):
    db.session.add(SubmissionKey(user_id=running.officer.id, key="old-key-456", endpoint="x",
                                 created_at=utcnow() - timedelta(days=10)))
    db.session.commit()
    result = runner.invoke(args=["offline", "forget-keys", "--days", "7"])
    assert result.exit_code == 0 and "已清理 1 条" in result.output
    assert _count(SubmissionKey) == 0
