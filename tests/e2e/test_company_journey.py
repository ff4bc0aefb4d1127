"""A property-service company fills in its self-inspection form (自查表) with a photo and
submits it; the check it failed becomes a rectification item, which it answers with
evidence, submitting it for the bureau's acceptance."""
from __future__ import annotations

from playwright.sync_api import expect

from . import builders


def test_company_self_inspects_and_answers_the_item_it_found(login, live_server):
    setup = builders.running_campaign(live_server)  # four phases: today in 自查自纠
    answers = builders.checklist_answers(live_server, setup.enrolment_id, failing="FIR-02")
    failing_id = answers.pop("failing_id")
    page = login("company")

    # The company finds the campaign through its enrolment.
    page.locator("nav.app-sidebar").get_by_role("link", name="专项行动", exact=True).click()
    page.get_by_role("link", name=setup.campaign_name).click()
    page.get_by_role("link", name="全部纳入小区").click()
    page.get_by_role("link", name=setup.estate_name).click()
    expect(page.locator("h1")).to_contain_text("待自查")
    page.get_by_role("link", name="填报自查表").click()
    expect(page.locator("h1")).to_contain_text(f"自查检查表 · {setup.estate_name}")
    page.get_by_role("button", name="开始填报").click()  # opening the page created nothing
    expect(page.locator("h1")).to_contain_text("填报中")

    # Every check answered; fire exits (FIR-02) fail, with a remark and a photo.
    form = page.locator("form.si-form")
    for name, value in answers.items():
        field = form.locator(f"[name={name}]")
        if value in ("yes", "no"):
            form.locator(f"input[name={name}][value={value}]").check()
        else:
            field.fill(value)
    failing_row = form.locator("tr", has=page.locator(f"input[name=a_{failing_id}]"))
    expect(failing_row).to_contain_text("FIR-02")
    failing_row.locator(f"input[name=r_{failing_id}]").fill("3号楼疏散通道堆放杂物，正在清理")
    failing_row.locator(f"input[name=f_{failing_id}]").set_input_files(builders.jpeg("消防通道现场"))
    page.get_by_role("button", name="提交自查表").click()

    expect(page.locator(".alert-success")).to_contain_text("自查表已提交，得分")
    expect(page.locator(".alert-success")).to_contain_text("不达标的 1 项已转为整改事项")
    expect(page.locator("h1")).to_contain_text(setup.estate_name)
    expect(page.locator(".steps")).to_contain_text("已提交")

    # The submitted form shows the photo and the failed check.
    page.get_by_role("link", name="查看", exact=True).click()
    expect(page.locator("h1")).to_contain_text("已提交")
    failing_row = page.locator("tr", has_text="FIR-02")
    expect(failing_row).to_contain_text("不达标")
    expect(failing_row.get_by_role("link", name="消防通道现场.jpg").first).to_be_visible()
    expect(page.locator("input[type=radio]")).to_have_count(0)  # no longer editable

    # The failed check is now an item of the company's, which it answers with evidence.
    page.go_back()
    items = page.locator("table.data-table tbody tr")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("企业自查")
    expect(items.first).to_contain_text("待整改")
    items.first.get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text("待整改")
    page.get_by_label("整改情况说明").fill("已清理3号楼疏散通道杂物，张贴禁止堆放告示，安排每日巡查。")
    page.get_by_label("佐证材料（照片或PDF，可多选）").set_input_files(builders.jpeg("清理后照片", (90, 160, 60)))
    page.get_by_role("button", name="提交，等待验收").click()

    expect(page.locator(".alert-success")).to_contain_text("已提交整改结果，等待住建局验收")
    expect(page.locator("h1")).to_contain_text("待验收")
    details = page.locator("table.detail-table")
    expect(details).to_contain_text("已清理3号楼疏散通道杂物")
    expect(details.get_by_role("link", name="清理后照片.jpg").first).to_be_visible()
    transitions = page.locator("table.transitions tbody tr")
    expect(transitions.last).to_contain_text("待验收")
    expect(page.get_by_role("button", name="提交，等待验收")).to_have_count(0)

    # The evidence opens as the real image.
    href = details.get_by_role("link", name="清理后照片.jpg").first.get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/jpeg")
    assert response.body()[:3] == b"\xff\xd8\xff"
