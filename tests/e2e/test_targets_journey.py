"""A bureau head opens the dashboard, sees per street which targets are behind, follows a
number to the estates that make up the gap, and prints the monthly report."""
from __future__ import annotations

from playwright.sync_api import expect


def test_leader_follows_a_number_to_the_estates_behind_it(login, live_server):
    page = login("leader")
    scorecard = page.locator("[data-testid=scorecard]")
    expect(scorecard).to_contain_text("全区")
    expect(scorecard).to_contain_text("长江街道")
    expect(scorecard).to_contain_text("物业管理覆盖率")
    # The charts are server-rendered SVG images (loaded lazily) that display under the page's CSP.
    for image in page.locator("img.chart-img").all():
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.naturalWidth > 0"), image.get_attribute("src")
    # Follow the district's coverage figure to its drill-down.
    scorecard.locator("tr.district-row [data-testid=score-coverage]").click()
    expect(page.locator("h1")).to_contain_text("物业管理覆盖率")
    rows = page.locator("[data-testid=gap-rows] tbody tr")
    count = int(page.locator("[data-testid=gap-count]").inner_text().split()[1])
    if count:
        expect(rows).to_have_count(min(count, 50))  # 50 a page
        expect(rows.first).to_contain_text("无物业")
    else:
        expect(rows).to_have_text(["没有差额"])
    # The dashboard offers the monthly report (its PDF is checked in tests/dashboard).
    page.goto(f"{live_server.url}/")
    expect(page.locator("form.report-form")).to_have_attribute("action", "/dashboard/report.pdf")
    expect(page.locator("#report-month option").first).to_be_attached()


def test_street_officer_sees_its_street(login):
    page = login("street")
    scorecard = page.locator("[data-testid=scorecard]")
    expect(scorecard).to_contain_text("东城街道")
    expect(scorecard).not_to_contain_text("西城街道")
    page.get_by_role("link", name="目标考核", exact=True).click()
    expect(page.locator("h1")).to_contain_text("东城街道")
    expect(page.locator("[data-testid=targets]")).to_contain_text("业委会组建率")
    expect(page.locator("body")).to_contain_text("口径说明")
