"""The self-inspection form: scoring, failed checks to items, return and resubmit, the Excel round trip."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from supervision.campaigns.models import (
    ChecklistItem,
    ChecklistKind,
    ItemSource,
    RectificationItem,
    SelfInspectionStatus,
    Severity,
)
from supervision.campaigns.services import self_inspection as si_service
from supervision.core.errors import DomainError
from supervision.extensions import db

from . import factories as f


def _answers(si, overrides=None):
    """Every scored item passing, with some overrides by code."""
    raw = {}
    for item in si.template.items:
        if item.kind is ChecklistKind.YES_NO:
            raw[item.id] = "是"
        elif item.kind is ChecklistKind.TEXT:
            raw[item.id] = ""
        else:
            raw[item.id] = str(int(item.threshold))
    by_code = {i.code: i.id for i in si.template.items}
    for code, value in (overrides or {}).items():
        raw[by_code[code]] = value
    return raw


@pytest.fixture
def si(running):
    form = si_service.start(running.enrolment1, actor=running.company_user)
    db.session.commit()
    return form


def test_the_seeded_checklist_has_forty_items_in_nine_categories(si):
    items = si.template.items
    assert len(items) >= 40
    assert {i.category for i in items} >= {"安全防范", "环境卫生", "绿化养护", "设施设备", "消防安全", "电梯管理",
                                           "客户服务", "停车秩序", "档案资料"}
    light = next(i for i in items if i.code == "FAC-01")
    assert light.kind is ChecklistKind.PERCENT and light.threshold == Decimal("95") and light.comparator == ">="
    assert {i.kind for i in items} == set(ChecklistKind)


def test_score_is_weighted_and_failures_become_items(running, si):
    w = running
    raw = _answers(si, {"FAC-01": "90", "FIR-02": "否", "SEC-05": "5"})  # 90% < 95%; no; 5 min > 3 min
    assert not si_service.save_answers(si, raw, {}, actor=w.company_user).errors
    created = si_service.submit(si, actor=w.company_user)
    items = {i.code: i for i in si.template.items}
    scored = [i for i in si.template.items if i.kind is not ChecklistKind.TEXT]
    total = sum(Decimal(i.weight) for i in scored)
    failed = Decimal(items["FAC-01"].weight + items["FIR-02"].weight + items["SEC-05"].weight)
    assert si.score == ((total - failed) / total * 100).quantize(Decimal("0.01"))
    assert si.status is SelfInspectionStatus.SUBMITTED and si.submission_count == 1
    assert sorted(i.checklist_item_id for i in created) == sorted(items[c].id for c in ("FAC-01", "FIR-02", "SEC-05"))
    fire = next(i for i in created if i.checklist_item_id == items["FIR-02"].id)
    assert fire.source is ItemSource.SELF_INSPECTION and fire.severity is Severity.SERIOUS  # weight 3
    assert "自查结果：否" in fire.description and fire.company_id == w.company1.id
    light = next(i for i in created if i.checklist_item_id == items["FAC-01"].id)
    assert "90%" in light.description and "≥95%" in light.description


def test_resubmission_does_not_duplicate_open_items(running, si):
    w = running
    si_service.save_answers(si, _answers(si, {"FIR-02": "否"}), {}, actor=w.company_user)
    first = si_service.submit(si, actor=w.company_user)
    with pytest.raises(DomainError, match="不能修改"):
        si_service.save_answers(si, _answers(si), {}, actor=w.company_user)
    si_service.return_for_revision(si, comment="FIR-02 与现场不符", actor=w.officer)
    assert si.status is SelfInspectionStatus.RETURNED
    si_service.save_answers(si, _answers(si, {"FIR-02": "否", "FIR-03": "否"}), {}, actor=w.company_user)
    second = si_service.submit(si, actor=w.company_user)
    assert len(first) == 1 and len(second) == 1  # FIR-02 is still open: only FIR-03 is new
    assert si.submission_count == 2
    si_service.approve(si, actor=w.officer)
    assert si.status is SelfInspectionStatus.ACCEPTED


def test_submission_needs_every_scored_answer_and_the_scan_when_asked(running, si):
    w = running
    raw = _answers(si)
    first = si.template.items[0]
    raw[first.id] = ""
    si_service.save_answers(si, raw, {}, actor=w.company_user)
    with pytest.raises(DomainError, match=f"还有 1 项未填写：{first.code}"):
        si_service.submit(si, actor=w.company_user)
    si_service.save_answers(si, _answers(si), {}, actor=w.company_user)
    w.campaign.requires_signed_scan = True
    with pytest.raises(DomainError, match="盖章扫描件"):
        si_service.submit(si, actor=w.company_user)
    from werkzeug.datastructures import FileStorage

    si_service.upload_signed_scan(si, FileStorage(io.BytesIO(f.PDF_BYTES), filename="盖章.pdf"),
                                  actor=w.company_user)
    si_service.submit(si, actor=w.company_user)


def test_bad_values_are_refused_and_nothing_is_saved(running, si):
    w = running
    by_code = {i.code: i for i in si.template.items}
    raw = _answers(si, {"FAC-01": "120", "CLN-01": "两次", "SEC-01": "也许"})
    outcome = si_service.save_answers(si, raw, {}, actor=w.company_user)
    assert set(outcome.errors) == {by_code["FAC-01"].id, by_code["CLN-01"].id, by_code["SEC-01"].id}
    db.session.rollback()
    assert si_service.answers_by_item(si) == {}


def test_only_the_estates_company_fills_it(running, si):
    with pytest.raises(DomainError):
        si_service.save_answers(si, {}, {}, actor=running.company2_user)
    with pytest.raises(DomainError):
        si_service.start(running.enrolment2, actor=running.company_user)


def _workbook_rows(data):
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _to_bytes(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_offline_workbook_round_trip(running, si, login_as):
    w = running
    client = login_as(w.company_user)
    response = client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection.xlsx")
    assert response.status_code == 200
    rows = _workbook_rows(response.data)
    assert rows[0] == ["编号", "类别", "检查内容", "类型", "达标标准", "填报结果", "备注"]
    assert len(rows) - 1 == len(si.template.items)
    for row in rows[1:]:
        row[5] = {"是/否": "是", "百分比": 99, "数量": 2, "文字": "无"}[row[3]]
    rows[1][5] = "否"
    rows[1][6] = "门岗夜间无人"
    response = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/import",
                           data={"file": (io.BytesIO(_to_bytes(rows)), "自查表.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "已导入" in response.get_data(as_text=True)
    db.session.expire_all()
    answers = si_service.answers_by_item(si)
    first = si.template.items[0]
    assert answers[first.id].value_bool is False and answers[first.id].remark == "门岗夜间无人"
    assert si_service.missing_items(si) == []


def test_the_workbook_is_validated_row_by_row_all_or_nothing(running, si, login_as):
    w = running
    client = login_as(w.company_user)
    rows = _workbook_rows(client.get(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection.xlsx").data)
    kinds = {row[0]: row[3] for row in rows[1:]}
    percent_row = next(n for n, row in enumerate(rows) if row[3] == "百分比")
    count_row = next(n for n, row in enumerate(rows) if row[3] == "数量")
    yes_row = next(n for n, row in enumerate(rows) if row[3] == "是/否")
    rows[percent_row][5] = 150
    rows[count_row][5] = -1
    rows[yes_row][5] = "是"
    rows[yes_row + 1][3] = "文字" if kinds[rows[yes_row + 1][0]] != "文字" else "数量"
    rows.append(["ZZZ-99", "其他", "未知项目", "是/否", "是", "是", None])
    response = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/import",
                           data={"file": (io.BytesIO(_to_bytes(rows)), "自查表.xlsx")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "百分比应在0至100之间" in html and "数量不能为负数" in html and "检查表中没有编号“ZZZ-99”" in html
    assert "请勿修改" in html
    assert f"<td>{len(rows)}</td>" in html  # the row number of the unknown code
    db.session.expire_all()
    assert si_service.answers_by_item(si) == {}  # nothing saved, not even the good row
    not_excel = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection/import",
                            data={"file": (io.BytesIO(b"MZ\x90\x00binary"), "自查表.xlsx")},
                            content_type="multipart/form-data", follow_redirects=True)
    assert "文件类型不符" in not_excel.get_data(as_text=True)


def test_the_online_form_keeps_what_was_typed_on_error(running, si, login_as):
    w = running
    client = login_as(w.company_user)
    item = next(i for i in si.template.items if i.code == "FAC-01")
    other = next(i for i in si.template.items if i.code == "SEC-01")
    response = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection",
                           data={f"a_{item.id}": "abc", f"a_{other.id}": "no", f"r_{other.id}": "夜间缺岗",
                                 "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "应为数字" in html
    assert 'value="abc"' in html and 'value="夜间缺岗"' in html
    assert db.session.scalar(select(RectificationItem.id)) is None
    ok = client.post(f"/campaigns/enrolments/{w.enrolment1.id}/self-inspection",
                     data={f"a_{item.id}": "96", "action": "submit"}, follow_redirects=True)
    assert "草稿已保存，但未能提交" in ok.get_data(as_text=True)
    db.session.expire_all()
    assert si_service.answers_by_item(si)[item.id].value_number == Decimal("96")
    assert db.session.get(ChecklistItem, item.id).threshold == Decimal("95")
