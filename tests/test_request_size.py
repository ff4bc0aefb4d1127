"""A request body over MAX_CONTENT_LENGTH answers 413 with the app's own Chinese message (issue 15.6)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from supervision.estates.models import Estate
from supervision.extensions import db


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)  # 1 MB
    return 1024 * 1024


def test_an_upload_page_answers_413_with_a_chinese_page(login_as, world, small_limit):
    client = login_as(world.officer)
    big = io.BytesIO(b"PK\x03\x04" + b"\0" * (2 * small_limit))
    response = client.post("/estates/import", data={"file": (big, "台账.xlsx")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "上传的内容过大：一次提交不能超过 1 MB，请缩小或拆分文件后重试。" in html
    assert 'class="error-page"' in html  # the app's page, with its navigation
    assert db.session.scalar(select(func.count(Estate.id))) == 2


def test_a_form_over_the_limit_before_login_is_413_too(client, small_limit):
    response = client.post("/auth/login", data={"username": "x" * (2 * small_limit), "password": "y"})
    assert response.status_code == 413 and "一次提交不能超过 1 MB" in response.get_data(as_text=True)


def test_under_the_limit_the_upload_is_read(login_as, world, small_limit):
    response = login_as(world.officer).post("/estates/import", data={"file": (io.BytesIO(b"not a workbook"), "a.xlsx")},
                                            content_type="multipart/form-data")
    assert response.status_code == 200 and "文件类型不符" in response.get_data(as_text=True)
