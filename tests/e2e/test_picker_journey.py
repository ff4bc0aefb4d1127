"""The type-ahead pickers in the browser: an officer finds an estate by typing part of its name, picks it
with the keyboard and records a spot check; the items list filters by a company picked the same way."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from supervision.campaigns.models import SpotCheck
from supervision.companies.models import Company

from . import builders
from .conftest import sign_in


def test_pick_an_estate_with_the_keyboard_and_record_a_spot_check(new_context, live_server):
    (estate_id,) = builders.estates(live_server, "拾光里小区")
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/campaigns/spot-checks/new")
    box = page.locator("#estate_id")
    expect(box).to_have_attribute("role", "combobox")
    expect(page.get_by_role("button", name="按所填小区更新可选专项行动")).to_have_count(0)  # JavaScript is on
    box.press_sequentially("拾光", delay=30)
    options = page.locator("#estate_id-listbox [role=option]")
    expect(options.first).to_contain_text("拾光里小区 · 东城街道")
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "estate_id-listbox-0")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("拾光里小区")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#estate_id-value")).to_have_value(str(estate_id))
    page.fill("#summary", "键盘选择小区后录入的抽查")
    page.get_by_role("button", name="保存抽查记录").click()
    expect(page.locator(".alert-success")).to_contain_text("已录入抽查记录")
    expect(page.locator("body")).to_contain_text("拾光里小区")
    with builders.app_session(live_server) as session:
        assert session.scalar(select(SpotCheck.estate_id).where(SpotCheck.summary == "键盘选择小区后录入的抽查")) \
            == estate_id


def test_filter_the_items_list_by_a_picked_company(new_context, live_server):
    with builders.app_session(live_server) as session:
        company_id = session.scalar(select(Company.id).where(Company.name == builders.DEMO_COMPANY))
    page = new_context().new_page()
    sign_in(page, live_server, "officer")
    page.goto(f"{live_server.url}/campaigns/items")
    box = page.locator("#company")
    box.press_sequentially(builders.DEMO_COMPANY[:4], delay=30)
    option = page.locator("#company-listbox [role=option]", has_text=builders.DEMO_COMPANY)
    option.first.click()
    expect(box).to_have_value(builders.DEMO_COMPANY)
    box.press("Escape")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(rf"[?&]company={company_id}(&|$)"))
    expect(page.locator("#company")).to_have_value(builders.DEMO_COMPANY)

