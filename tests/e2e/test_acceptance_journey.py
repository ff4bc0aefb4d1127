"""The bureau checks a company's answers: rejects one with a reason and accepts the rest;
the company corrects the rejected one; the officer records a passed acceptance (验收)
and the estate is closed (销号), on the enrolment and on the campaign page."""
from __future__ import annotations

from playwright.sync_api import expect

from . import builders

PROBLEMS = ["消防通道堆放杂物，占用疏散通道", "灭火器压力不足、过期未更换", "楼道内有小广告和卫生死角"]


def open_enrolment(page, setup):
    page.locator("nav.app-sidebar").get_by_role("link", name="专项行动", exact=True).click()
    page.get_by_role("link", name=setup.campaign_name).click()
    page.get_by_role("link", name="全部纳入小区").click()
    page.get_by_role("link", name=setup.estate_name).click()
    expect(page.locator("h1")).to_contain_text(setup.estate_name)


def test_officer_rejects_one_answer_accepts_the_rest_and_closes_the_estate(login, user_page, live_server):
    tag = builders.token()
    problems = [f"{text}（{tag}）" for text in PROBLEMS]
    setup = builders.running_campaign(live_server, scheme="p12_rectification", problems=problems, answered=True)
    page = login("officer")
    open_enrolment(page, setup)
    expect(page.locator("h1")).to_contain_text("整改中")
    items = page.locator("table.data-table").first.locator("tbody tr")
    expect(items).to_have_count(3)
    for text in problems:
        expect(items.filter(has_text=text)).to_contain_text("待验收")

    # Reject the first answer, with a reason.
    reason = f"现场复查仍有杂物堆放，请彻底清理并补充照片（{tag}）"
    items.filter(has_text=problems[0]).get_by_role("link").first.click()
    expect(page.locator("table.detail-table")).to_contain_text("第1项已整改完毕")
    reject = page.locator("details.move-details", has_text="驳回")
    reject.get_by_label("原因").fill(reason)
    reject.get_by_role("button", name="驳回").click()
    expect(page.locator(".alert-success")).to_contain_text("现为“已驳回”")
    expect(page.locator("h1")).to_contain_text("已驳回")
    expect(page.locator("table.detail-table")).to_contain_text(reason)

    # Accept the two others.
    for text in problems[1:]:
        page.get_by_role("link", name="所在小区").click()
        page.locator("table.data-table").first.locator("tr", has_text=text).get_by_role("link").first.click()
        page.get_by_role("button", name="验收销项").click()
        expect(page.locator(".alert-success")).to_contain_text("现为“已销项”")
        expect(page.locator("h1")).to_contain_text("已销项")

    # The company sees the reason and answers again.
    company = user_page("company")
    company.locator("nav.app-sidebar").get_by_role("link", name="整改事项", exact=True).click()
    company.get_by_label("关键词").fill(tag)
    company.get_by_label("状态").select_option(label="已驳回")
    company.get_by_role("button", name="查询").click()
    found = company.locator("table.data-table tbody tr")
    expect(found).to_have_count(1)
    found.get_by_role("link").first.click()
    expect(company.locator("table.detail-table")).to_contain_text(reason)
    company.get_by_label("整改情况说明").fill("已彻底清理杂物，增设禁止堆放标识，附清理后照片。")
    company.get_by_label("佐证材料（照片或PDF，可多选）").set_input_files(builders.jpeg("复查照片"))
    company.get_by_role("button", name="提交，等待验收").click()
    expect(company.locator(".alert-success")).to_contain_text("已提交整改结果")
    expect(company.locator("h1")).to_contain_text("待验收")

    # The officer records the acceptance: every item passes, and the estate is closed.
    page.reload()
    page.get_by_role("link", name="所在小区").click()
    expect(items.filter(has_text=problems[0])).to_contain_text("待验收")
    page.get_by_role("link", name="录入验收").click()
    rows = page.locator("table.acceptance-items tbody tr")
    expect(rows).to_have_count(3)
    for n in range(3):
        expect(rows.nth(n).locator("input[type=radio][value='1']")).to_be_checked()
    page.get_by_label("验收通过", exact=True).check()
    page.get_by_label("验收意见").fill("现场检查、业主回访，整改到位，同意销号。")
    page.get_by_role("button", name="保存验收结果").click()
    expect(page.locator(".alert-success")).to_contain_text(f"验收通过，“{setup.estate_name}”已销号")
    expect(page.locator("h1")).to_contain_text("验收通过")
    verdicts = page.locator("table.data-table tbody tr")
    expect(verdicts).to_have_count(3)
    for n in range(3):
        expect(verdicts.nth(n)).to_contain_text("通过")
    pdf = page.request.get(live_server.url + page.get_by_role("link", name="打印（PDF）").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    # Closed on the enrolment …
    page.get_by_role("link", name=setup.estate_name).click()
    expect(page.locator("h1")).to_contain_text("已销号")
    expect(page.locator(".alert-success")).to_contain_text("销号")
    for text in problems:
        expect(page.locator("table.data-table").first.locator("tr", has_text=text)).to_contain_text("已销项")
    expect(page.get_by_role("link", name="录入验收")).to_have_count(0)
    # … and on the campaign page, whose closed count links to the estate.
    page.get_by_role("link", name=setup.campaign_name).click()
    closed = page.locator(".kpi-card", has_text="已销号")
    expect(closed.locator(".kpi-value")).to_have_text("1")
    expect(closed).to_contain_text("100")
    closed.locator(".kpi-value a").click()
    listed = page.locator("table.data-table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text(setup.estate_name)
    expect(listed.first).to_contain_text("已销号")
    expect(listed.first).to_contain_text("验收通过")
