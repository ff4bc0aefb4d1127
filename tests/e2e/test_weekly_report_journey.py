"""A street office fills in and submits its weekly report (每周五报送); the bureau sees it
on the overview grid and opens it from there."""
from __future__ import annotations

from playwright.sync_api import expect

from . import builders


def test_street_submits_its_weekly_report_and_the_bureau_sees_it(login, user_page, live_server):
    setup = builders.running_campaign(live_server)  # an estate of 东城街道, enrolled two weeks ago
    _due, ahead = builders.report_due(live_server, setup.campaign_id)
    expected_cell = "按时报送" if ahead else "迟报"
    tag = builders.token()
    progress = f"本周完成{setup.estate_name}入户摸底，建立问题台账（{tag}）。"
    page = login("street")

    # This week's duty for the campaign, started from the list.
    page.locator("nav.app-sidebar").get_by_role("link", name="每周报送", exact=True).click()
    duty = page.locator(".report-duty", has_text=setup.campaign_name)
    expect(duty).to_have_count(1)
    duty.get_by_role("button", name="填写本周周报").click()
    expect(page.locator("h1")).to_contain_text(f"填写周报 · {setup.campaign_name}")

    # Figures, narratives and a photo.
    page.get_by_label("本周召开推进会、协调会（次）").fill("2")
    page.get_by_label("本周街道巡查小区（个）").fill("5")
    page.get_by_label("本周入户走访居民（户）").fill("120")
    page.get_by_label("本周受理投诉（件）").fill("3")
    page.get_by_label("本周协调解决问题（个）").fill("1")
    page.get_by_label("本周开展宣传活动（场）").fill("0")
    page.get_by_label("本周工作进展").fill(progress)
    page.get_by_label("存在问题及需协调事项").fill("无")
    page.get_by_label("下周工作计划").fill("督促物业企业完成自查自纠。")
    page.get_by_label("填报人").fill("东城街道物业办")
    page.get_by_label("联系电话").fill("0535-1234567")
    page.get_by_label("上传附件").set_input_files(builders.jpeg("巡查照片"))
    page.get_by_role("button", name="保存并报送…").click()

    # The confirmation shows what will be locked; confirming sends it.
    expect(page.locator(".report-confirm")).to_contain_text("确认报送 东城街道")
    expect(page.locator(".report-confirm")).to_contain_text("附件 1 个")
    expect(page.locator(".report-confirm table").nth(1)).to_contain_text("120")
    page.get_by_role("button", name="确认报送").click()
    expect(page.locator(".alert-success, .alert-warning").first).to_contain_text(
        "周报已按时报送" if ahead else "记为迟报")
    expect(page.locator(".report-meta")).to_contain_text("已报送")
    expect(page.locator(".report-text").first).to_have_text(progress)
    expect(page.get_by_role("link", name="填写 / 修改")).to_have_count(0)  # locked
    page.locator("nav.app-sidebar").get_by_role("link", name="每周报送", exact=True).click()
    expect(page.locator(".report-duty", has_text=setup.campaign_name).get_by_role("link", name="查看")).to_be_visible()

    # The bureau's overview grid: 东城街道's cell for this week.
    officer = user_page("officer")
    officer.locator("nav.app-sidebar").get_by_role("link", name="报送总览", exact=True).click()
    officer.get_by_label("专项行动").select_option(value=str(setup.campaign_id))
    officer.get_by_role("button", name="查询").click()
    expect(officer.locator(".report-summary")).to_contain_text(setup.campaign_name)
    row = officer.locator("table.report-grid tbody tr", has_text=builders.DEMO_STREET)
    expect(row).to_have_count(1)
    this_week = row.locator("td.grid-cell").nth(-2)  # the last week, before the on-time rate
    expect(this_week).to_contain_text(expected_cell)
    this_week.get_by_role("link").click()
    expect(officer.locator("h1")).to_contain_text("东城街道")
    expect(officer.locator(".report-text").first).to_have_text(progress)
    expect(officer.get_by_role("link", name="巡查照片.jpg").first).to_be_visible()
    expect(officer.get_by_role("link", name="退回修改")).to_be_visible()
