"""Each demo user logs in on the Chinese login page and sees the navigation of its role."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

EXPECTED = {
    "admin": (["用户管理", "区域管理", "审计日志"], []),
    "officer": (["工作台"], ["用户管理"]),
    "leader": (["工作台"], ["用户管理", "审计日志"]),
    "street": (["工作台"], ["用户管理"]),
    "company": (["工作台"], ["用户管理", "区域管理"]),
}


def test_login_page_is_chinese(page, live_server):
    page.goto(f"{live_server.url}/login")
    expect(page.locator("h1")).to_have_text("物业监管平台")
    expect(page.locator("label[for=username]")).to_have_text("用户名")


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_demo_user_sees_its_navigation(login, username):
    page = login(username)
    sidebar = page.locator("nav.app-sidebar")
    present, absent = EXPECTED[username]
    for label in present:
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in absent:
        expect(sidebar.get_by_role("link", name=label, exact=True)).to_have_count(0)


def test_wrong_password_shows_a_chinese_error(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "officer")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("用户名或密码错误")
