"""An officer sets up a campaign: creates it from a scheme, enrols the estates a filter
finds, starts it, records complaints against one estate and issues that estate a
rectification notice (整改通知书), whose PDF downloads."""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from . import builders


def breadcrumb(page):
    return page.locator("nav[aria-label=breadcrumb]")


def test_officer_creates_a_campaign_enrols_estates_and_issues_a_notice(login, live_server):
    tag = builders.token()
    first, second = f"E2E甲{tag}苑", f"E2E乙{tag}苑"
    builders.estates(live_server, first, second)
    campaign_name = f"E2E整治行动{tag}"
    page = login("officer")

    # Create the campaign from a scheme.
    page.locator("nav.app-sidebar").get_by_role("link", name="专项行动", exact=True).click()
    page.get_by_role("link", name="新建专项行动").click()
    page.get_by_label("专项行动名称").fill(campaign_name)
    page.get_by_label("阶段方案").select_option(label="排查—整改完善—验收（居民小区物业管理整治）")
    page.get_by_label("说明").fill("E2E：排查后逐项整改、验收销号。")
    page.get_by_role("button", name="创建（筹备中）").click()
    expect(page.locator(".alert-success")).to_contain_text("已创建专项行动（筹备中）")
    # The settings page, to check the phases copied from the scheme.
    expect(page.locator("h1")).to_have_text(f"专项行动设置 · {campaign_name}")
    phases = page.locator(".phase-table input[name$='-name']")
    expect(phases).to_have_count(3)
    for n, name in enumerate(["排查阶段", "整改完善阶段", "验收阶段"]):
        expect(phases.nth(n)).to_have_value(name)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    expect(page.locator("h1")).to_contain_text("筹备中")
    expect(page.locator("body")).to_contain_text("验收阶段")

    # Enrol the estates a filter finds: the street and the name.
    page.get_by_role("link", name="按条件纳入小区").first.click()
    page.get_by_label("街道").select_option(label=builders.DEMO_STREET)
    page.get_by_label("小区名称/地址").fill(tag)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("body")).to_contain_text("符合条件 2 个小区，其中已纳入 0 个，将新纳入 2 个。")
    expect(page.locator("table.data-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="纳入这 2 个小区").click()
    expect(page.locator(".alert-success")).to_contain_text("新纳入 2 个小区")
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=first)).to_contain_text("待摸底")

    # Start it (a confirmation page, then the campaign page).
    breadcrumb(page).get_by_role("link", name=campaign_name).click()
    page.get_by_role("link", name="启动", exact=True).click()
    expect(page.locator(".confirm-card")).to_contain_text("已纳入 2 个小区")
    page.get_by_role("button", name="启动").click()
    expect(page.locator(".alert-success")).to_contain_text("专项行动已启动")
    expect(page.locator("h1")).to_contain_text("进行中")

    # Two complaints against the first estate.
    page.get_by_role("link", name="全部纳入小区").click()
    page.get_by_role("link", name=first).click()
    descriptions = [f"E2E投诉{tag}：地下车库照明损坏", f"E2E投诉{tag}：单元门禁长期损坏"]
    for text in descriptions:
        page.get_by_role("link", name="补录问题").click()
        page.get_by_label("来源").select_option(label="投诉")
        page.get_by_label("类别").select_option(label="设施设备")
        page.get_by_label("问题描述").fill(text)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".alert-success")).to_contain_text("已新增整改事项")
    items = page.locator("table.data-table tbody tr")
    expect(items).to_have_count(2)
    for text in descriptions:
        expect(items.filter(has_text=text)).to_contain_text("待整改")

    # The notice lists both items; issuing it numbers it.
    page.get_by_role("link", name="下达整改通知书").click()
    expect(page.locator("h1")).to_contain_text(first)
    for text in descriptions:
        expect(page.locator("tr", has_text=text).locator("input[type=checkbox]")).to_be_checked()
    page.get_by_label("整改期限（工作日）").fill("10")
    page.get_by_role("button", name="下达").click()
    expect(page.locator(".alert-success")).to_contain_text("已下达整改通知书")
    number = page.locator("h1").inner_text().replace("整改通知书", "").strip()
    assert re.fullmatch(r"〔\d{4}〕整改第\d{4}号", number), number
    for text in descriptions:
        expect(page.locator("table.data-table tbody")).to_contain_text(text)

    # The PDF downloads with the browser's session and carries the notice.
    link = page.get_by_role("link", name="打印（PDF）")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "整改通知书" in response.headers.get("content-disposition", "") or \
        "%E6%95%B4%E6%94%B9" in response.headers.get("content-disposition", "")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    compact = re.sub(r"\s+", "", text)
    assert number in compact
    assert first in compact
    for description in descriptions:
        assert re.sub(r"\s+", "", description) in compact

    # The items now carry the notice on the estate's page.
    page.goto(f"{live_server.url}/campaigns/")
    page.get_by_role("link", name=campaign_name).click()
    page.get_by_role("link", name="全部纳入小区").click()
    page.get_by_role("link", name=first).click()
    expect(page.locator("table.data-table tbody tr").first).to_contain_text(number)
