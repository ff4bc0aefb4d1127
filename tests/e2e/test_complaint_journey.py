"""Owners' complaints in the browser: one arrives in a 12345 export the bureau imports, one from the
owner's own page on a phone; each travels to the company's reply, a callback (the street's, or the
owner's rating through the private link), a rectification item and a credit proposal the bureau
issues as a notice."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from supervision.complaints.models import Complaint
from supervision.estates.models import Estate

from . import builders


def _export(ticket: str, estate_name: str) -> dict:
    book = Workbook()
    sheet = book.active
    sheet.append(["工单编号", "来电时间", "诉求内容", "诉求地址", "来电号码", "来电人", "办理时限", "工单状态"])
    sheet.append([ticket, "2026-11-02 09:30", "小区电梯停运两天无人维修", f"东城街道{estate_name}5栋", "13811112222",
                  "吴女士", "2026-11-09 17:00", "已派单"])
    out = io.BytesIO()
    book.save(out)
    return {"name": "12345工单.xlsx", "mimeType": "application/octet-stream", "buffer": out.getvalue()}


def _complaint_id(live_server, **where) -> int:
    with builders.app_session(live_server) as session:
        statement = select(Complaint.id)
        for key, value in where.items():
            statement = statement.where(getattr(Complaint, key) == value)
        return session.scalar(statement)


def _company_replies(page, live_server, complaint_id: int) -> None:
    page.goto(f"{live_server.url}/complaints/{complaint_id}")
    expect(page.locator("table.detail-table")).to_contain_text("****")  # the company sees masked contact
    page.locator("form[action$='/respond'] textarea").fill("已联系电梯维保单位，今天下午到场。")
    page.locator("form[action$='/respond'] button").click()
    expect(page.locator("h1")).to_contain_text("已响应")
    page.locator("form[action$='/resolve'] textarea").fill("电梯已修复并通过检测，已张贴告示。")
    page.locator("form[action$='/resolve'] button").click()
    expect(page.locator("h1")).to_contain_text("已办结")


def _bureau_verifies_and_issues(page, live_server, complaint_id: int) -> None:
    page.goto(f"{live_server.url}/complaints/{complaint_id}")
    page.locator("form[action$='/verify'] input[value=valid]").check()
    page.locator("form[action$='/verify'] button").click()
    expect(page.locator(".alert-success")).to_contain_text("已转为整改事项")
    page.get_by_role("link", name=re.compile("整改事项 #")).click()
    expect(page.locator("h1")).to_contain_text("#")
    page.go_back()
    page.get_by_role("link", name="信用记分建议").click()
    expect(page.locator("body")).to_contain_text("BL-02")
    page.get_by_role("link", name="发出记分告知单").click()
    page.get_by_role("button", name="发出记分告知单").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("body")).to_contain_text("信记第")


def test_a_12345_referral_travels_to_a_credit_proposal(user_page, live_server):
    (estate_id,) = builders.estates(live_server, f"电梯苑{builders.token()}")
    with builders.app_session(live_server) as session:
        estate_name = session.get(Estate, estate_id).name
    ticket = f"GD{builders.token()}"
    officer = user_page("officer")
    officer.goto(f"{live_server.url}/complaints/import")
    officer.locator("input[type=file]").set_input_files(_export(ticket, estate_name))
    officer.get_by_role("button", name="导入").click()
    expect(officer.locator(".alert-success")).to_contain_text("已导入 1 件12345工单")
    complaint_id = _complaint_id(live_server, ticket_no=ticket)
    officer.goto(f"{live_server.url}/complaints/{complaint_id}")
    expect(officer.locator("table.detail-table")).to_contain_text("13811112222")  # in full, logged
    expect(officer.locator("table.detail-table")).to_contain_text(estate_name)

    _company_replies(user_page("company"), live_server, complaint_id)

    street = user_page("street")
    street.goto(f"{live_server.url}/complaints/{complaint_id}")
    street.locator("form[action$='/callback'] input[value=satisfied]").check()
    street.locator("form[action$='/callback'] textarea").fill("业主表示电梯已正常。")
    street.locator("form[action$='/callback'] button").click()
    expect(street.locator("h1")).to_contain_text("已回访")

    _bureau_verifies_and_issues(officer, live_server, complaint_id)


def test_an_owners_complaint_from_a_phone_travels_to_a_credit_proposal(new_context, user_page, live_server):
    (estate_id,) = builders.estates(live_server, f"业主苑{builders.token()}")
    with builders.app_session(live_server) as session:
        estate_name = session.get(Estate, estate_id).name
    owner = new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    owner.goto(f"{live_server.url}/owner/")
    owner.locator("#q").fill(estate_name)
    owner.get_by_role("button", name="搜索").click()
    owner.get_by_role("link", name=re.compile(estate_name)).click()
    owner.locator("select[name=category]").select_option("电梯管理")
    owner.locator("textarea[name=description]").fill("电梯停了两天，老人下不了楼。")
    owner.locator("input[name=photos]").set_input_files(builders.jpeg("电梯"))
    owner.locator("input[name=phone]").fill("13933334444")
    question = owner.locator("#answer + .form-text, .form-text").filter(has_text="等于几").inner_text()
    a, b = (int(n) for n in re.search(r"(\d+) 加 (\d+)", question).groups())
    owner.locator("input[name=answer]").fill(str(a + b))
    owner.get_by_role("button", name="提交").click()
    expect(owner.get_by_test_id("tracking-no")).to_be_visible()
    link = owner.get_by_test_id("private-link").inner_text()
    tracking_no = owner.get_by_test_id("tracking-no").inner_text()
    complaint_id = _complaint_id(live_server, tracking_no=tracking_no)

    _company_replies(user_page("company"), live_server, complaint_id)

    owner.goto(link)
    expect(owner.locator("body")).to_contain_text("电梯已修复")
    expect(owner.locator("body")).not_to_contain_text("13933334444")
    owner.locator("input[name=satisfaction][value=basic]").check()
    owner.get_by_role("button", name="提交评价").click()
    expect(owner.locator(".alert-success")).to_contain_text("感谢您的评价")

    _bureau_verifies_and_issues(user_page("officer"), live_server, complaint_id)
