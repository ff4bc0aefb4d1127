"""An API request body over MAX_CONTENT_LENGTH answers 413 in JSON with a Chinese message (issue 15.6)."""
from __future__ import annotations

import json

import pytest


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)  # 1 MB
    return 1024 * 1024


def test_an_api_endpoint_answers_413_in_json(client, world, bearer, small_limit):
    body = json.dumps({"notes": "x" * (2 * small_limit)})
    response = client.post("/api/v1/reports", headers=bearer(world.street_user), csrf=False, data=body,
                           content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/json"
    assert response.json == {"code": "too_large",
                             "message": "上传的内容过大：一次提交不能超过 1 MB，请缩小或拆分文件后重试。"}
