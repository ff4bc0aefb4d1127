"""The four schemes added from the source plans, and the scheme editor (copy, phases, checklist items,
versions that keep running campaigns' forms unchanged, access)."""
from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.campaigns import reference
from supervision.campaigns.models import (
    CampaignScheme,
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    PhaseKind,
)
from supervision.campaigns.services import campaigns as campaign_service
from supervision.campaigns.services import schemes as service
from supervision.campaigns.services import self_inspection as si_service
from supervision.core.errors import DomainError
from supervision.extensions import db

from . import factories as f

# Developer notes that must never reach a user: line references, document numbers, editorial remarks.
DEV_NOTE = re.compile(r"L\d|#\d|\d{3}-P\d|出处|系统补充|源文件|sources-")


def _scheme(code) -> CampaignScheme:
    f.scheme()
    return db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == code)
                             .order_by(CampaignScheme.version.desc()).limit(1))


def _template(code) -> ChecklistTemplate:
    return service.current_template(code)


def _visible_texts(scheme: CampaignScheme) -> list[str]:
    texts = [scheme.name, scheme.description or ""] + [f"{p.name} {p.description or ''}" for p in scheme.phases]
    texts += [figure["label"] for figure in scheme.report_figures]
    template = service.scheme_template(scheme)
    texts += [template.name, template.description or ""]
    texts += [f"{i.category} {i.requirement} {i.unit or ''}" for i in template.items]
    return texts


# --- the new schemes ----------------------------------------------------------------

def test_old_estate_upgrade_has_the_two_stages_and_fifteen_checks(world):
    """002#8 (implementation-plans-traditional.txt 物業管理實施方案 8篇)."""
    scheme = _scheme("s3_old_estate")
    # 五、實施步驟: 1. 調查計劃階段, 2. 全面推進階段.
    assert [(p.name, p.kind) for p in scheme.phases] == [("调查计划阶段", PhaseKind.SURVEY),
                                                         ("全面推进阶段", PhaseKind.RECTIFICATION)]
    items = _template(scheme.checklist_code).items
    by_category = {c: [i.code for i in items if i.category == c] for c in {i.category for i in items}}
    # 二、具體目標: the “八個有” — eight.
    assert [i.requirement for i in items if i.category == "八个有"] == [
        "有物管用房", "有公共保洁", "有秩序维护", "有停车管理", "有设施维保", "有绿化养护", "有道路保养", "有维修管理"]
    # 六(一)1 新增硬件配置 (1)–(3), (2) split into doors/CCTV and fire facilities — four.
    assert len(by_category["硬件配置"]) == 4
    # 六(二)1 確定管理模式: one month, written household poll, the 1/2 rule — three.
    assert len(by_category["管理机制"]) == 3
    assert len(items) == 15


def test_street_launch_has_three_dated_phases_and_the_service_centre_duties(world):
    """002#9 (物業管理實施方案 9篇)."""
    scheme = _scheme("s4_street_launch")
    # 五、實施步驟: 方案制定 (6月12日前), 宣傳發動 (6月20日前), 全面實施 (6月21日—6月30日).
    assert [(p.name, p.kind) for p in scheme.phases] == [
        ("方案制定阶段", PhaseKind.SURVEY), ("宣传发动阶段", PhaseKind.MOBILISE),
        ("全面实施阶段", PhaseKind.RECTIFICATION)]
    assert [(start, end) for _p, start, end in service.phase_days(scheme)] == [(1, 12), (13, 20), (21, 30)]
    items = _template(scheme.checklist_code).items
    # 二(一)3 物業管理服務中心職責 (1)–(8); (9) “上級交辦的其他工作” is not a check.
    assert len(items) == 8
    patrol = next(i for i in items if i.code == "SL-07")  # (7) 每天至少兩次在小區內巡邏
    assert patrol.kind is ChecklistKind.COUNT and patrol.threshold == Decimal("2")

    campaign = campaign_service.create_campaign(name="街道属地化", year=2026, scheme=scheme,
                                                starts_on=date(2026, 6, 1), actor=world.officer)
    assert [(p.starts_on, p.ends_on) for p in campaign.phases] == [
        (date(2026, 6, 1), date(2026, 6, 12)), (date(2026, 6, 13), date(2026, 6, 20)),
        (date(2026, 6, 21), date(2026, 6, 30))]
    assert campaign.checklist_template.code == "street_launch"  # the scheme's own form by default


def test_safety_month_has_thirteen_checks_from_its_three_sections(world):
    """002#7 (物業管理實施方案 7篇, “安全優質五月”)."""
    scheme = _scheme("s8_safety_month")
    assert [p.kind for p in scheme.phases] == [PhaseKind.MOBILISE, PhaseKind.SELF_INSPECTION, PhaseKind.RECTIFICATION]
    assert sum(p.default_days for p in scheme.phases) == 31  # the month of May
    items = _template(scheme.checklist_code).items
    counts = {c: sum(1 for i in items if i.category == c) for c in {i.category for i in items}}
    # 一 1–3 training: three; 二 1 and 二 2① rules and accountability: two; 二 3 mediation rates (100 %, >85 %): two;
    # 三 weekly check (at least once a week) and its five check points 三 1–5: six.
    assert counts == {"安全培训": 3, "安全制度": 2, "矛盾纠纷调解": 2, "安全检查": 6}
    rates = {i.code: (i.kind, i.threshold) for i in items if i.kind is ChecklistKind.PERCENT}
    assert rates == {"SM-06": (ChecklistKind.PERCENT, Decimal("100")), "SM-07": (ChecklistKind.PERCENT, Decimal("85"))}
    assert len(items) == 13


def test_post_accident_inspection_covers_the_six_key_areas_hazards_and_measures(world):
    """004#4 (rectification-plans.txt 物业管理整改方案篇4)."""
    scheme = _scheme("s9_post_accident")
    assert [p.name for p in scheme.phases] == ["紧急安全生产会议", "全面安全检查", "隐患整改", "检查整改情况汇报"]
    # The meeting on the 12th, the inspection on the 15th–16th.
    assert [(start, end) for _p, start, end in service.phase_days(scheme)][:2] == [(1, 3), (4, 5)]
    items = _template(scheme.checklist_code).items
    areas = ["消防中心", "配电室", "动力机房", "消防水泵房", "风机房", "办公场所"]
    # 一、检查范围: one check per key area — six; 二、安全隐患: 1 untrained staff, 2 wiring and smoking — three;
    # 三、整改措施: 1 24-hour duty and extinguishers (two), 2 training and wiring (two), 3 publicity,
    # 4 pre-shift checks.
    assert [i.requirement[:len(a)] for i, a in zip(items[:6], areas, strict=True)] == areas
    assert [sum(1 for i in items if i.category == c) for c in ("重点部位", "安全隐患", "整改措施")] == [6, 3, 6]


@pytest.mark.parametrize("code", ["s3_old_estate", "s4_street_launch", "s8_safety_month", "s9_post_accident",
                                  "four_phase", "s6_quality", "s7_market_order"])
def test_user_visible_texts_carry_no_developer_notes(world, code):
    for text in _visible_texts(_scheme(code)):
        assert not DEV_NOTE.search(text), text


def test_pages_never_show_the_source_notes(world, login_as):
    scheme = _scheme("s9_post_accident")
    db.session.commit()
    assert scheme.source and "004#4" in scheme.source  # kept for traceability …
    client = login_as(world.admin)
    for url in ("/campaigns/new", f"/campaigns/schemes/{scheme.id}", "/admin/reference/",
                f"/admin/reference/checklists/{service.scheme_template(scheme).id}"):
        html = client.get(url).get_data(as_text=True)
        assert "004#4" not in html and "出处" not in html, url  # … and never shown


# --- the editor ---------------------------------------------------------------------

def _phase_form(scheme, **changes):
    form = {"name": scheme.name, "description": scheme.description or "", "row_version": scheme.row_version}
    for n, (phase, start, end) in enumerate(service.phase_days(scheme)):
        form[f"phases-{n}-position"] = phase.position
        form[f"phases-{n}-name"] = phase.name
        form[f"phases-{n}-start_day"] = start
        form[f"phases-{n}-end_day"] = end
    form.update(changes)
    return form


def _audit(action) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def test_copy_rename_windows_and_validation(world, login_as):
    original = _scheme("s8_safety_month")
    db.session.commit()
    client = login_as(world.officer)
    assert "复制阶段方案" in client.get(f"/campaigns/schemes/{original.id}/copy").get_data(as_text=True)
    assert "请填写方案名称" in client.post(f"/campaigns/schemes/{original.id}/copy",
                                          data={"name": " "}).get_data(as_text=True)
    assert "已有同名" in client.post(f"/campaigns/schemes/{original.id}/copy",
                                     data={"name": original.name}).get_data(as_text=True)
    response = client.post(f"/campaigns/schemes/{original.id}/copy", data={"name": "2027年安全月"})
    assert response.status_code == 302
    copy = db.session.scalar(select(CampaignScheme).where(CampaignScheme.name == "2027年安全月"))
    assert copy.code != original.code and copy.version == 1 and copy.active
    assert [p.name for p in copy.phases] == [p.name for p in original.phases]
    copied = service.scheme_template(copy)
    assert copied.code == copy.code and [i.code for i in copied.items] == [i.code for i in original_items(original)]
    assert _audit("scheme.copy") == 1

    url = f"/campaigns/schemes/{copy.id}/edit"
    assert "阶段与时间窗口" in client.get(url).get_data(as_text=True)
    html = client.post(url, data=_phase_form(copy, **{"phases-0-start_day": 5, "phases-0-end_day": 3})
                       ).get_data(as_text=True)
    assert "结束日（第3天）早于开始日（第5天）" in html
    html = client.post(url, data=_phase_form(copy, **{"phases-1-name": " "})).get_data(as_text=True)
    assert "请填写阶段名称" in html or "名称不能为空" in html
    html = client.post(url, data=_phase_form(copy, name="")).get_data(as_text=True)
    assert "请填写方案名称" in html
    db.session.refresh(copy)
    assert copy.phases[0].name == "加强安全宣传与培训" and copy.edited_at is not None  # nothing half-saved

    response = client.post(url, data=_phase_form(copy, **{"phases-0-name": "安全宣传培训", "phases-2-start_day": 18,
                                                           "phases-2-end_day": 40}))
    assert response.status_code == 302
    db.session.refresh(copy)
    assert copy.version == 1  # not in use: edited in place
    assert [(p.name, s, e) for p, s, e in service.phase_days(copy)][0::2] == [("安全宣传培训", 1, 10),
                                                                              ("安全检查与隐患整改", 18, 40)]
    assert _audit("scheme.update") == 1
    stale = _phase_form(copy, row_version=copy.row_version - 1, name="别的名称")
    assert "已被他人修改" in client.post(url, data=stale).get_data(as_text=True)


def original_items(scheme):
    return service.scheme_template(scheme).offered_items


def _item_form(template, **values):
    form = {"row_version": template.row_version, "code": "", "category": "安全检查", "requirement": "",
            "kind": "yes_no", "comparator": ">=", "threshold": "", "unit": "", "weight": "1"}
    form.update(values)
    return form


def test_add_edit_retire_and_restore_checklist_items(world, login_as):
    scheme = _scheme("s9_post_accident")
    template = service.scheme_template(scheme)
    db.session.commit()
    client = login_as(world.admin)
    new_url = f"/campaigns/schemes/{scheme.id}/items/new"
    assert client.get(new_url).status_code == 200
    html = client.post(new_url, data=_item_form(template, code="PA-01", requirement="重复")).get_data(as_text=True)
    assert "检查项编号“PA-01”已存在" in html
    html = client.post(new_url, data=_item_form(template, code="PA 16", requirement="x")).get_data(as_text=True)
    assert "编号只能由字母" in html
    html = client.post(new_url, data=_item_form(template, code="PA-16", requirement="灭火器压力正常率",
                                                kind="percent", threshold="")).get_data(as_text=True)
    assert "须填写合格标准" in html
    html = client.post(new_url, data=_item_form(template, code="PA-16", requirement="灭火器压力正常率",
                                                kind="percent", threshold="120")).get_data(as_text=True)
    assert "应在0至100之间" in html
    assert db.session.scalar(select(func.count(ChecklistItem.id)).where(ChecklistItem.code == "PA-16")) == 0
    response = client.post(new_url, data=_item_form(template, code="PA-16", requirement="灭火器压力正常率",
                                                    kind="percent", threshold="98", weight="2"))
    assert response.status_code == 302
    db.session.expire_all()
    added = next(i for i in template.items if i.code == "PA-16")
    assert (added.kind, added.threshold, added.unit, added.weight) == (ChecklistKind.PERCENT, Decimal("98"), "%",
                                                                       Decimal("2"))

    edit_url = f"/campaigns/schemes/{scheme.id}/items/{added.id}/edit"
    assert "灭火器压力正常率" in client.get(edit_url).get_data(as_text=True)
    response = client.post(edit_url, data=_item_form(template, code="ignored", requirement="灭火器压力正常的比例",
                                                     kind="percent", threshold="95", weight="2"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (added.code, added.requirement, added.threshold) == ("PA-16", "灭火器压力正常的比例", Decimal("95"))

    target = next(i for i in template.items if i.code == "PA-09")
    retire_url = f"/campaigns/schemes/{scheme.id}/items/{target.id}/retire"
    assert "确定停用检查项" in client.get(retire_url).get_data(as_text=True)  # asks first
    assert target.retired_at is None
    assert client.post(retire_url, data={"row_version": template.row_version}).status_code == 302
    db.session.expire_all()
    assert target.retired_at is not None and target not in template.offered_items and target in template.items
    html = client.get(f"/campaigns/schemes/{scheme.id}").get_data(as_text=True)
    assert "已停用" in html
    client.post(f"/campaigns/schemes/{scheme.id}/items/{target.id}/restore", data={"row_version": template.row_version})
    db.session.expire_all()
    assert target.retired_at is None
    workbook = load_workbook(io.BytesIO(client.get(f"/campaigns/schemes/{scheme.id}/checklist.xlsx").data))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "类别", "检查要求") and len(rows) == 1 + 16
    assert next(r for r in rows if r[0] == "PA-16")[4] == "≥95%"
    assert [r[1] for r in workbook.worksheets[1].iter_rows(values_only=True)][1:] == [p.name for p in scheme.phases]
    assert [_audit(a) for a in ("checklist.item_add", "checklist.item_update", "checklist.item_retire",
                                "checklist.item_restore")] == [1, 1, 1, 1]
    assert template.version == 1 and template.edited_at is not None  # not in use: edited in place
    reference.load_checklists()  # a reload of seeds/ leaves the app's edits alone
    db.session.expire_all()
    assert added in template.items and added.requirement == "灭火器压力正常的比例"


def test_an_edit_never_changes_a_running_campaigns_form(running, login_as):
    w = running
    si = si_service.start(w.enrolment1, actor=w.company_user)
    db.session.commit()
    scheme, template = w.campaign.scheme, w.campaign.checklist_template
    form_before = [(i.id, i.code, i.requirement, i.threshold) for i in si.template.offered_items]
    phases_before = [(p.name, p.starts_on, p.ends_on) for p in w.campaign.phases]
    sec01 = next(i for i in template.items if i.code == "SEC-01")
    fac01 = next(i for i in template.items if i.code == "FAC-01")
    client = login_as(w.officer)

    # Rename a phase and move a window of the scheme the campaign was created from.
    response = client.post(f"/campaigns/schemes/{scheme.id}/edit",
                           data=_phase_form(scheme, **{"phases-0-name": "全面摸底", "phases-0-end_day": 30,
                                                       "phases-1-start_day": 31, "phases-1-end_day": 50}))
    assert response.status_code == 302
    new_scheme = db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == scheme.code,
                                                                CampaignScheme.version == 2))
    assert new_scheme is not None and new_scheme.phases[0].name == "全面摸底" and new_scheme.active
    # The old version is the latest no more: its edit page is gone.
    assert client.get(f"/campaigns/schemes/{scheme.id}/edit").status_code == 404
    items_url = f"/campaigns/schemes/{new_scheme.id}/items"
    # Retire SEC-01 and tighten FAC-01 through the newest version: the checklist is in use, so a new version.
    assert client.post(f"{items_url}/{sec01.id}/retire", data={"row_version": template.row_version}).status_code == 302
    template_v2 = service.current_template(template.code)
    assert template_v2.version == 2 and template_v2.id != template.id
    fac01_v2 = next(i for i in template_v2.items if i.code == "FAC-01")
    assert client.get(f"{items_url}/{fac01.id}/edit").status_code == 404  # the old version's item
    response = client.post(f"{items_url}/{fac01_v2.id}/edit",
                           data=_item_form(template_v2, category=fac01.category, requirement=fac01.requirement,
                                           kind="percent", threshold="99", weight=str(fac01.weight)))
    assert response.status_code == 302
    db.session.expire_all()

    # The running campaign keeps its scheme version, phases, checklist and form.
    assert w.campaign.scheme_id == scheme.id and w.campaign.checklist_template_id == template.id
    assert [(p.name, p.starts_on, p.ends_on) for p in w.campaign.phases] == phases_before
    assert [(i.id, i.code, i.requirement, i.threshold) for i in si.template.offered_items] == form_before
    company = login_as(w.company_user)
    html = company.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection").get_data(as_text=True)
    assert sec01.requirement in html and "≥95%" in html and "≥99%" not in html
    detail = client.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)
    assert "方案第1版" in detail

    # A new campaign takes the newest versions: SEC-01 is no longer asked, FAC-01 needs 99 %.
    fresh = campaign_service.create_campaign(name="下一轮", year=2026, scheme=new_scheme, starts_on=date(2026, 9, 1),
                                             actor=w.officer)
    assert fresh.checklist_template_id == template_v2.id
    assert fresh.phases[0].name == "全面摸底" and (fresh.phases[1].ends_on - fresh.phases[1].starts_on).days == 19
    offered = {i.code: i for i in fresh.checklist_template.offered_items}
    assert "SEC-01" not in offered and offered["FAC-01"].threshold == Decimal("99")
    with pytest.raises(DomainError, match="新版本取代"):
        campaign_service.create_campaign(name="旧版", year=2026, scheme=scheme, starts_on=date(2026, 9, 1),
                                         actor=w.officer)
    # seeds/ reloaded: the superseded version stays superseded, the edited one keeps its edit.
    reference.load_reference()
    db.session.expire_all()
    assert not scheme.active and new_scheme.phases[0].name == "全面摸底"
    assert not template.active and template_v2.active


def test_schemes_are_the_bureaus_to_edit(world, login_as):
    scheme = _scheme("s4_street_launch")
    template = service.scheme_template(scheme)
    item = template.items[0]
    db.session.commit()
    base = f"/campaigns/schemes/{scheme.id}"
    gets = [f"{base}/edit", f"{base}/copy", f"{base}/items/new", f"{base}/items/{item.id}/edit",
            f"{base}/items/{item.id}/retire"]
    for user in (world.street_user, world.company_user):
        client = login_as(user)
        for url in ["/campaigns/schemes", base, *gets]:
            assert client.get(url).status_code == 403, (user.username, url)
        assert client.post(f"{base}/copy", data={"name": "偷偷复制"}).status_code == 403
        assert client.post(f"{base}/edit", data=_phase_form(scheme, name="改名")).status_code == 403
        assert client.post(f"{base}/items/{item.id}/retire", data={"row_version": 1}).status_code == 403
    leader = login_as(world.leader)
    assert leader.get("/campaigns/schemes").status_code == 200
    page = leader.get(base).get_data(as_text=True)
    assert "全面实施阶段" in page and "修改阶段" not in page and "新增检查项" not in page  # reads, no edit buttons
    page = login_as(world.officer).get(base).get_data(as_text=True)
    assert "修改阶段" in page and "新增检查项" in page and "复制为新方案" in page
    assert all(leader.get(url).status_code == 403 for url in gets)
    db.session.expire_all()
    assert scheme.name.startswith("方案制定") and item.retired_at is None
    assert db.session.scalar(select(func.count(CampaignScheme.id)).where(CampaignScheme.name == "偷偷复制")) == 0
    # A checklist item of another scheme is not reachable through this one.
    other = service.scheme_template(_scheme("s8_safety_month")).items[0]
    db.session.commit()
    assert login_as(world.officer).get(f"{base}/items/{other.id}/edit").status_code == 404


def test_service_refuses_non_bureau_and_bad_windows(world):
    scheme = _scheme("s3_old_estate")
    with pytest.raises(DomainError, match="只有住建局"):
        service.copy_scheme(scheme, name="复制", actor=world.street_user)
    rows = [service.PhaseEdit(position=p.position, name=p.name, start_day=s, end_day=e)
            for p, s, e in service.phase_days(scheme)]
    rows[1].start_day, rows[1].end_day = 0, 10
    with pytest.raises(DomainError, match="第1天或之后"):
        service.update_scheme(scheme, actor=world.officer, row_version=scheme.row_version, name=scheme.name,
                              description=scheme.description, phases=rows)
    template = service.scheme_template(scheme)
    for code in [i.code for i in template.items][1:]:
        service.retire_item(scheme, next(i for i in template.items if i.code == code), actor=world.officer,
                            row_version=template.row_version)
    with pytest.raises(DomainError, match="至少要保留"):
        service.retire_item(scheme, template.items[0], actor=world.officer, row_version=template.row_version)
