"""A bureau leader (领导) opens the dashboard: the target table per street and the charts,
which load as SVG images. The leader reads everything and changes nothing: no write
buttons are offered and every write page answers 403."""
from __future__ import annotations

from playwright.sync_api import expect

from . import builders
from .conftest import sign_in

WRITE_PAGES = [
    "/campaigns/new",
    "/estates/new",
    "/companies/new",
    "/campaigns/spot-checks/new",
    "/credit/events/new",
    "/credit/publications/new",
    "/targets/coverage/edit",
    "/admin/users/new",
]


def test_leader_reads_the_dashboard_and_cannot_reach_write_pages(page, live_server):
    charts = []
    page.on("response", lambda response: charts.append(response) if "/dashboard/charts/" in response.url else None)
    sign_in(page, live_server, "leader")
    expect(page.locator("h1")).to_have_text("工作台 · 全区")

    # The target table: the district and every street, each indicator with its target.
    scorecard = page.locator("[data-testid=scorecard]")
    for heading in ("物业管理覆盖率", "业委会组建率", "整改率", "周报按时报送率"):
        expect(scorecard.locator("thead")).to_contain_text(heading)
    expect(scorecard.locator("thead")).to_contain_text("目标 ≥")
    rows = scorecard.locator("tbody tr")
    expect(rows.first).to_contain_text("全区")
    expect(rows.filter(has_text=builders.DEMO_STREET)).to_have_count(1)
    expect(rows.filter(has_text="西城街道")).to_have_count(1)
    expect(page.locator("[data-testid=key-figures] .kpi-card").first).to_be_visible()

    # Three charts (trend, indicators, streets), each loaded by the browser as SVG.
    images = page.locator("img.chart-img")
    expect(images).to_have_count(3)
    sources = []
    for image in images.all():
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.naturalWidth > 0 && img.naturalHeight > 0"), image.get_attribute("src")
        sources.append(image.evaluate("img => img.currentSrc"))
    # Switching the compared indicator reloads the streets chart.
    page.locator("nav.chart-pills").get_by_role("link", name="整改", exact=True).click()
    streets_chart = page.locator("img.chart-img").last
    streets_chart.scroll_into_view_if_needed()
    streets_chart.evaluate("img => img.decode()")
    sources.append(streets_chart.evaluate("img => img.currentSrc"))
    assert "indicator=rectification" in sources[-1]
    loaded = {response.url: response for response in charts}
    for source in sources:
        assert source in loaded, f"the browser did not load {source}"
        response = loaded[source]
        assert response.status == 200, source
        assert response.header_value("content-type").startswith("image/svg+xml"), source

    # Read-only: no write buttons on the lists and pages it reads …
    page.locator("nav.app-sidebar").get_by_role("link", name="专项行动", exact=True).click()
    expect(page.locator("table.data-table tbody tr").first).to_be_visible()
    expect(page.get_by_role("link", name="新建专项行动")).to_have_count(0)
    page.locator("table.data-table tbody tr").first.get_by_role("link").first.click()
    for label in ("设置", "按条件纳入小区", "启动", "结束"):
        expect(page.get_by_role("link", name=label, exact=True)).to_have_count(0)
    page.locator("nav.app-sidebar").get_by_role("link", name="小区台账", exact=True).click()
    expect(page.get_by_role("link", name="登记小区")).to_have_count(0)
    page.locator("nav.app-sidebar").get_by_role("link", name="物业企业", exact=True).click()
    expect(page.get_by_role("link", name="登记企业")).to_have_count(0)
    expect(page.locator("nav.app-sidebar").get_by_role("link", name="信用事件", exact=True)).to_have_count(0)

    # … and typing a write page's address is refused.
    for path in WRITE_PAGES:
        response = page.goto(live_server.url + path)
        assert response.status == 403, (path, response.status)
        expect(page.locator(".error-page")).to_contain_text("您没有执行此操作的权限")
