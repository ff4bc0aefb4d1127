"""A bureau officer loads the district's own estate ledger (台账) — a merged title, a 填报单位 line,
the header on row 3 in the ledger's words, merged street names, 合计 below — through the
preview: maps the one header the product does not know, confirms, and finds the estates listed."""
from __future__ import annotations

import io

from openpyxl import Workbook
from playwright.sync_api import expect
from sqlalchemy import select

from supervision.estates.models import Estate
from supervision.regions.models import Community, Street

from . import builders


def demo_ledger(live_server, tag: str) -> tuple[bytes, list[str]]:
    with builders.app_session(live_server) as session:
        street = session.scalar(select(Street).where(Street.name == builders.DEMO_STREET))
        community = session.scalar(select(Community).where(Community.street_id == street.id).order_by(Community.id))
        short_street = street.name.removesuffix("街道")
        community_name = community.name
    names = [f"台账{tag}苑", f"台账{tag}里"]
    book = Workbook()
    sheet = book.active
    sheet.append(["东城区住宅小区台账"] + [None] * 10)
    sheet.merge_cells("A1:K1")
    sheet.append(["填报单位：区住建局", None, None, None, None, None, None, None, "2026年5月"])
    sheet.append(["序号", "项目名称", "所属街道", "社区", "小区地址", "管理方式", "建成时间", "总户数",
                  "建筑面积（㎡）", "是否老旧小区", "片区"])
    sheet.append([1, names[0] + " ", short_street, community_name, f"{tag}路１号", "社区托管", "2005年", "860户",
                  "1,320", "√", "一片"])
    sheet.append([2, names[1], None, community_name, f"{tag}路2号", "社区托管", 2010, 300, "31,200", "×", "二片"])
    sheet.merge_cells("C4:C5")
    sheet.append(["合计", None, None, None, None, None, None, "=SUM(H4:H5)"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), names


def test_officer_imports_the_districts_own_ledger_through_the_preview(login, live_server):
    tag = builders.token()
    data, names = demo_ledger(live_server, tag)
    page = login("officer")
    page.goto(f"{live_server.url}/estates/import")
    page.set_input_files("input[name=file]", {"name": "东城台账.xlsx", "mimeType": "application/octet-stream",
                                                "buffer": data})
    page.get_by_role("button", name="上传并预览").click()

    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("表头在第 3 行，共读到 2 行数据。")
    mapping = page.locator("table.import-mapping")
    expect(mapping).to_contain_text("860户 → 860")
    expect(mapping).to_contain_text("1,320 → 1320.00")
    expect(mapping).to_contain_text("无法识别，请选择")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)  # nothing to confirm before the mapping

    page.get_by_label("片区").select_option(label="不导入此列")
    page.get_by_role("button", name="按所选字段重新预览").click()
    expect(page.get_by_test_id("import-counts")).to_contain_text("新增 2")
    page.get_by_test_id("import-confirm").click()

    expect(page.locator(".alert-success")).to_contain_text("已导入：新增 2 个小区，更新 0 个，跳过 0 个。")
    page.goto(f"{live_server.url}/estates?q={tag}")
    listing = page.locator("main")
    for name in names:
        expect(listing).to_contain_text(name)
    with builders.app_session(live_server) as session:
        estate = session.scalar(select(Estate).where(Estate.name == names[0]))
        assert (estate.households, str(estate.floor_area), estate.year_built, estate.is_old) == (
            860, "1320.00", 2005, True)
