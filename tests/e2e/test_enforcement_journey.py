"""The ladder in the browser: an overdue item is proposed for 约谈, the officer confirms, prints the notice,
records the interview, escalates the case to 通报 and publishes it; an anonymous visitor then fetches the
通报's PDF from the public route (the portal's page links to it once wired)."""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from supervision.campaigns.models import RectificationItem
from supervision.core.timeutil import local_today
from supervision.enforcement import services
from supervision.extensions import db

from . import builders


def overdue_item_swept(live_server) -> builders.CampaignSetup:
    """A new estate of the demo company with an item 40 days past its deadline, and the day's sweep run."""
    setup = builders.running_campaign(live_server, problems=[f"消防通道长期堆放杂物（{builders.token()}）"])
    with builders.app_session(live_server):
        item = db.session.scalar(select(RectificationItem).where(RectificationItem.id == setup.item_ids[0]))
        item.deadline = local_today() - timedelta(days=40)
        db.session.flush()
        services.sweep()
    return setup


def test_overdue_item_to_interview_to_published_circular(login, live_server, new_context):
    setup = overdue_item_swept(live_server)
    page = login("officer")
    page.locator("nav.app-sidebar").get_by_role("link", name="执法阶梯", exact=True).click()
    page.get_by_test_id("proposals-pending").click()
    row = page.locator("table.data-table tbody tr", has_text=setup.estate_name)
    expect(row).to_contain_text("约谈")
    row.get_by_role("link", name="约谈").click()
    expect(page.locator("h1")).to_contain_text("约谈")
    expect(page.locator("main")).to_contain_text("超过整改期限")

    # Confirm: the case opens at 约谈 and the notice is numbered.
    page.get_by_label("约谈地点").fill("区住建局三楼会议室")
    page.get_by_role("button", name="确认建议").click()
    expect(page.locator(".alert-success")).to_contain_text("已确认")
    heading = page.locator("h1")
    expect(heading).to_contain_text(re.compile(r"约谈 〔\d{4}〕约谈第\d{4}号"))

    # Print the notice (the PDF the button opens).
    pdf_href = page.get_by_role("link", name="打印文书").get_attribute("href")
    notice = page.request.get(f"{live_server.url}{pdf_href}")
    assert notice.status == 200 and notice.headers["content-type"] == "application/pdf"
    assert notice.body().startswith(b"%PDF")

    # Record the interview, with a follow-up date.
    page.get_by_role("link", name="记录约谈").click()
    today = local_today()
    page.get_by_label("约谈日期").fill(today.isoformat())
    page.get_by_label("参加人员").fill("企业负责人王某、项目经理赵某；区住建局物业科两人")
    page.get_by_label("企业整改承诺").fill("十个工作日内清理完毕并报送整改照片")
    page.get_by_label("复查日期").fill((today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="保存约谈记录").click()
    expect(page.locator(".alert-success")).to_contain_text("约谈记录已保存")
    expect(page.get_by_test_id("follow-up")).to_contain_text((today + timedelta(days=14)).isoformat())

    # Escalate to 通报批评 and publish it.
    page.get_by_role("link", name=re.compile("执法案件 #")).click()
    expect(page.get_by_test_id("current-rung")).to_have_text("约谈")
    page.get_by_role("link", name="升级措施").click()
    page.get_by_label("升级为").select_option(label="通报批评（科员批准）")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".alert-success")).to_contain_text("通报第")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".alert-success")).to_contain_text("已发布")
    public_href = page.get_by_role("link", name="公开文书").get_attribute("href")

    # An anonymous visitor fetches the published 通报.
    visitor = new_context().new_page()
    response = visitor.request.get(f"{live_server.url}{public_href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    # the notice itself is not public: the visitor is sent to the login page
    assert visitor.request.get(f"{live_server.url}{pdf_href}", max_redirects=0).status == 302
