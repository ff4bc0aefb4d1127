"""Writes through the API go through the same services as the web: a company fills and submits
its self-inspection and answers items with evidence; a street office fills and submits its weekly
report. Every write is audit-logged with the token's user; a stale version is a 409 and bad input
a 422 naming the fields."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.campaigns.models import ChecklistKind, ItemSource, ItemState, RectificationItem, SelfInspectionStatus
from supervision.core.timeutil import utcnow
from supervision.extensions import db
from supervision.reports.models import ReportStatus
from tests.campaigns.factories import PDF_BYTES, jpeg_bytes


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def _passing_answers(si, overrides=None):
    """Every scored check passing (typed JSON values), with some overrides by code."""
    answers = []
    for item in si.template.items:
        if item.kind is ChecklistKind.YES_NO:
            value = True
        elif item.kind is ChecklistKind.TEXT:
            value = "制度齐全"
        else:
            value = int(item.threshold)
        value = (overrides or {}).get(item.code, value)
        answers.append({"item_id": item.id, "value": value})
    return answers


@pytest.fixture
def si_url(district):
    return f"/api/v1/enrolments/{district.enrolment.id}/self-inspection"


# --- self-inspection ----------------------------------------------------------------

def test_company_saves_then_submits_and_failed_checks_become_items(client, district, bearer, si_url):
    w, headers = district, bearer(district.company_user)
    si = w.self_inspection
    draft = client.put(si_url, headers=headers, csrf=False, json={
        "version": si.version, "answers": _passing_answers(si, {"FAC-01": 90, "FIR-02": False})})
    assert draft.status_code == 200, draft.json
    assert draft.json["status"] == "draft" and draft.json["missing"] == [] and draft.json["opened_item_ids"] == []
    by_code = {a["code"]: a for a in draft.json["answers"]}
    assert by_code["FAC-01"]["value"] == 90 and by_code["FIR-02"]["value"] is False
    assert by_code["FAC-01"]["answer_text"] == "90%"

    submitted = client.put(si_url, headers=headers, csrf=False, json={"version": draft.json["version"],
                                                                      "submit": True})
    assert submitted.status_code == 200, submitted.json
    body = submitted.json
    assert body["status"] == "submitted" and 0 < body["score"] < 100 and body["submission_count"] == 1
    opened = db.session.scalars(select(RectificationItem).where(
        RectificationItem.source == ItemSource.SELF_INSPECTION)).all()
    assert sorted(body["opened_item_ids"]) == sorted(i.id for i in opened) and len(opened) == 2
    assert {a["code"] for a in body["answers"] if a["passed"] is False} == {"FAC-01", "FIR-02"}
    assert all(i.company_id == w.company1.id and i.enrolment_id == w.enrolment.id for i in opened)
    # audit-logged with the token's user, on the API channel
    for action in ("self_inspection.save", "self_inspection.submit"):
        rows = _audit(action)
        assert rows and {r.actor_id for r in rows} == {w.company_user.id} and {r.channel for r in rows} == {"api"}
    created = [r for r in _audit("item.create") if r.object_id in body["opened_item_ids"]]
    assert len(created) == 2 and {(r.actor_id, r.channel) for r in created} == {(w.company_user.id, "api")}
    # the derived progress moves on: the enrolment is now in rectification
    rows = client.get(f"/api/v1/campaigns/{w.campaign.id}/enrolments", headers=headers).json["items"]
    assert rows[0]["self_inspection_status"] == "submitted" and rows[0]["self_inspection_score"] == body["score"]
    assert rows[0]["stage"] == "survey"  # the four-phase scheme surveys first, and no survey is recorded
    assert rows[0]["items_open"] == 3  # the fixture's item and the two failed checks
    # a submitted form is locked
    again = client.put(si_url, headers=headers, csrf=False, json={"answers": _passing_answers(si)})
    assert again.status_code == 422 and again.json["code"] == "rule_violation" and "不能修改" in again.json["message"]


def test_bad_answers_are_422_naming_each_check_and_nothing_is_saved(client, district, bearer, si_url):
    si = district.self_inspection
    headers = bearer(district.company_user)
    response = client.put(si_url, headers=headers, csrf=False, json={
        "answers": _passing_answers(si, {"FAC-01": "很多", "FAC-02": 150})})
    assert response.status_code == 422 and response.json["code"] == "validation_error"
    assert set(response.json["errors"]) == {"answers.FAC-01", "answers.FAC-02"}
    assert response.json["errors"]["answers.FAC-01"] == ["应为数字"]
    db.session.refresh(si)
    assert si.answers == []
    # schema-level errors: a missing item id, a value that is an object, an unknown field
    response = client.put(si_url, headers=headers, csrf=False, json={
        "answers": [{"value": True}, {"item_id": si.template.items[0].id, "value": {"a": 1}}], "colour": "red"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"answers", "colour"}
    assert errors["answers"]["0"]["item_id"] == ["此项必填。"] and errors["colour"] == ["不认识的字段。"]
    # an item id that is not on the form
    response = client.put(si_url, headers=headers, csrf=False, json={"answers": [{"item_id": 999999, "value": 1}]})
    assert response.status_code == 422 and "999999" in response.json["errors"]["answers"][0]


def test_api_messages_are_chinese_for_a_user_who_chose_english(client, district, bearer, si_url):
    district.company_user.locale = "en"
    db.session.commit()
    response = client.put(si_url, headers=bearer(district.company_user), csrf=False, json={
        "answers": [{"value": True}], "colour": "red"})
    assert response.status_code == 422
    assert response.json["errors"]["colour"] == ["不认识的字段。"]
    assert response.json["errors"]["answers"]["0"]["item_id"] == ["此项必填。"]


def test_stale_version_is_409_and_changes_nothing(client, district, bearer, si_url):
    si = district.self_inspection
    response = client.put(si_url, headers=bearer(district.company_user), csrf=False, json={
        "version": si.version + 1, "answers": _passing_answers(si)})
    assert response.status_code == 409 and response.json["code"] == "conflict"
    assert response.json["errors"]["version"] == [f"当前版本为 {si.version}。"]
    db.session.refresh(si)
    assert si.answers == []


def test_incomplete_submission_keeps_the_draft_and_lists_what_is_missing(client, district, bearer, si_url):
    si = district.self_inspection
    answers = _passing_answers(si)[:5]
    response = client.put(si_url, headers=bearer(district.company_user), csrf=False,
                          json={"answers": answers, "submit": True})
    assert response.status_code == 422 and response.json["code"] == "rule_violation"
    assert "草稿已保存" in response.json["message"] and len(response.json["errors"]["missing"]) > 10
    db.session.refresh(si)
    assert si.status is SelfInspectionStatus.DRAFT and len(si.answers) == 5


def test_signed_scan_upload_checks_the_content(client, district, bearer, si_url):
    headers = bearer(district.company_user)
    ok = client.post(f"{si_url}/scan", headers=headers, csrf=False, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(PDF_BYTES), "自查表盖章.pdf")})
    assert ok.status_code == 201 and ok.json["name"] == "自查表盖章.pdf" and ok.json["purpose"] == "signed_scan"
    assert client.get(si_url, headers=headers).json["signed_scans"][0]["id"] == ok.json["id"]
    photo = client.post(f"{si_url}/scan", headers=headers, csrf=False, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(jpeg_bytes()), "scan.pdf")})
    assert photo.status_code == 422 and "文件类型不符" in photo.json["errors"]["file"][0]
    empty = client.post(f"{si_url}/scan", headers=headers, csrf=False, content_type="multipart/form-data", data={})
    assert empty.status_code == 422 and "file" in empty.json["errors"]
    assert [(r.object_id, r.actor_id, r.channel) for r in _audit("attachment.upload")] == [
        (ok.json["id"], district.company_user.id, "api")]


# --- rectification items -------------------------------------------------------------

def _answer(client, headers, item, **data):
    form = {"version": str(item.version), "response": "已清理消防通道并张贴告示"}
    form.update(data)
    return client.post(f"/api/v1/items/{item.id}/answer", headers=headers, csrf=False,
                       content_type="multipart/form-data", data=form)


def test_company_answers_an_item_with_evidence(client, district, bearer):
    w, item = district, district.item
    response = _answer(client, bearer(w.company_user), item,
                       evidence=[(io.BytesIO(jpeg_bytes()), "整改后.jpg"), (io.BytesIO(PDF_BYTES), "说明.pdf")],
                       fact_date="2026-01-05")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "submitted" and response.json["response"] == "已清理消防通道并张贴告示"
    assert sorted(e["name"] for e in response.json["evidence"]) == ["整改后.jpg", "说明.pdf"]
    assert [t["to_state"] for t in response.json["transitions"]] == ["open", "in_progress", "submitted"]
    db.session.refresh(item)
    assert item.state is ItemState.SUBMITTED
    rows = _audit("item.submit")
    assert len(rows) == 1 and rows[0].actor_id == w.company_user.id and rows[0].channel == "api"
    # the bureau sees it waiting for acceptance
    assert client.get("/api/v1/items?state=submitted", headers=bearer(w.officer)).json["total"] == 1


def test_item_answer_refusals(client, district, bearer):
    w, item = district, district.item
    headers = bearer(w.company_user)
    # a file whose content is not an image or a PDF, whatever its name: nothing is stored
    bad = _answer(client, headers, item, evidence=(io.BytesIO(b"MZ\x90\x00 not a photo"), "photo.jpg"))
    assert bad.status_code == 422 and "文件类型不符" in bad.json["errors"]["evidence"][0]
    # no evidence at all
    none = _answer(client, headers, item)
    assert none.status_code == 422 and "佐证材料" in none.json["message"]
    # required fields
    missing = client.post(f"/api/v1/items/{item.id}/answer", headers=headers, csrf=False,
                          content_type="multipart/form-data", data={"response": ""})
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"version", "response"}
    # a stale version
    stale = _answer(client, headers, item, version=str(item.version + 1),
                    evidence=(io.BytesIO(jpeg_bytes()), "a.jpg"))
    assert stale.status_code == 409 and stale.json["code"] == "conflict"
    # the street office is not the responsible party of a company item
    street = _answer(client, bearer(w.street_user), item, evidence=(io.BytesIO(jpeg_bytes()), "a.jpg"))
    assert street.status_code == 403 and street.json["code"] == "forbidden"
    db.session.refresh(item)
    assert item.state is ItemState.OPEN and item.response is None and not _audit("item.submit")
    assert client.get(f"/api/v1/items/{item.id}", headers=headers).json["evidence"] == []


# --- weekly reports ------------------------------------------------------------------

def _figures(report_json, value=1):
    return {f["code"]: value for f in report_json["figures"]}


def test_street_fills_and_submits_its_weekly_report(client, district, bearer):
    w = district
    headers = bearer(w.street_user)
    url = f"/api/v1/reports/{w.report.id}"
    current = client.get(url, headers=headers).json
    assert current["status"] == "draft" and "progress" in current["missing"]

    incomplete = client.post(f"{url}/submit", headers=headers, csrf=False, json={"version": current["version"]})
    assert incomplete.status_code == 422 and incomplete.json["code"] == "validation_error"
    assert {"progress", "next_week_plan", "contact_person"} <= set(incomplete.json["errors"])
    assert {f"fig_{code}" for code in _figures(current)} <= set(incomplete.json["errors"])

    saved = client.put(url, headers=headers, csrf=False, json={
        "version": current["version"], "figures": _figures(current, 2), "progress": "完成摸底排查",
        "next_week_plan": "督促整改", "contact_person": "张三"})
    assert saved.status_code == 200 and saved.json["missing"] == {}
    assert {f["value"] for f in saved.json["figures"]} == {2} and saved.json["progress"] == "完成摸底排查"
    # a field left out keeps its value
    kept = client.put(url, headers=headers, csrf=False, json={"version": saved.json["version"], "problems": "无"})
    assert kept.status_code == 200 and kept.json["progress"] == "完成摸底排查" and kept.json["problems"] == "无"

    stale = client.post(f"{url}/submit", headers=headers, csrf=False, json={"version": saved.json["version"]})
    assert stale.status_code == 409

    sent = client.post(f"{url}/submit", headers=headers, csrf=False, json={"version": kept.json["version"]})
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "submitted" and sent.json["submitted_at"] and sent.json["system_figures"]
    db.session.refresh(w.report)
    assert w.report.status is ReportStatus.SUBMITTED
    assert [(r.actor_id, r.channel) for r in _audit("report.submit")] == [(w.street_user.id, "api")]
    assert _audit("report.update")[0].actor_id == w.street_user.id
    # locked once sent
    locked = client.put(url, headers=headers, csrf=False, json={"version": sent.json["version"], "progress": "改"})
    assert locked.status_code == 422 and "锁定" in locked.json["message"]


def test_report_input_errors(client, district, bearer):
    headers = bearer(district.street_user)
    url = f"/api/v1/reports/{district.report.id}"
    version = district.report.version
    unknown = client.put(url, headers=headers, csrf=False, json={"version": version, "figures": {"nonsense": 1}})
    assert unknown.status_code == 422 and list(unknown.json["errors"]) == ["figures.nonsense"]
    negative = client.put(url, headers=headers, csrf=False, json={"version": version, "figures": {"meetings": -1}})
    assert negative.status_code == 422 and "figures" in negative.json["errors"]
    no_version = client.put(url, headers=headers, csrf=False, json={"progress": "x"})
    assert no_version.status_code == 422 and no_version.json["errors"] == {"version": ["此项必填。"]}
    bad_week = client.post("/api/v1/reports", headers=headers, csrf=False,
                           json={"campaign_id": district.campaign.id, "week": "2026-W99"})
    assert bad_week.status_code == 422 and "week" in bad_week.json["errors"]


def test_street_starts_a_report_once(client, district, bearer):
    from tests.campaigns.factories import enrol, gen_campaign

    second = gen_campaign(district, name="第二个专项行动")
    (enrolment,) = enrol(second, district.estate1, actor=district.officer)
    enrolment.enrolled_at = utcnow() - timedelta(days=8)  # enrolled before this week's due time
    db.session.commit()
    headers = bearer(district.street_user)
    body = {"campaign_id": second.id, "week": district.week.key}
    created = client.post("/api/v1/reports", headers=headers, csrf=False, json=body)
    assert created.status_code == 201 and created.json["status"] == "draft" and created.json["week"] == body["week"]
    again = client.post("/api/v1/reports", headers=headers, csrf=False, json=body)
    assert again.status_code == 200 and again.json["id"] == created.json["id"]
    assert [r.actor_id for r in _audit("report.create")] == [district.street_user.id]


def test_writes_need_a_live_token(client, district, bearer):
    from supervision.api.models import ApiToken
    from supervision.core.timeutil import utcnow as now

    w = district
    url = f"/api/v1/reports/{w.report.id}"
    body = {"version": w.report.version, "progress": "无令牌"}
    assert client.put(url, csrf=False, json=body).status_code == 401
    headers = bearer(w.street_user)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == w.street_user.id))
    token.revoked_at = now()
    db.session.commit()
    refused = client.put(url, headers=headers, csrf=False, json=body)
    assert refused.status_code == 401 and refused.json["code"] == "unauthenticated"
    db.session.refresh(w.report)
    assert w.report.progress is None and not _audit("report.update")


def test_a_concurrent_write_that_loses_the_race_is_a_409(client, district, bearer, monkeypatch):
    """The version check passed, but another request committed first: the database refuses the
    UPDATE (optimistic locking) and the API answers 409, not 500."""
    from sqlalchemy.orm.exc import StaleDataError

    from supervision.reports import services

    def lose_the_race(report, **_kwargs):
        raise StaleDataError("UPDATE statement on table 'weekly_reports' expected to update 1 row(s); 0 were matched.")

    monkeypatch.setattr(services, "save_report", lose_the_race)
    response = client.put(f"/api/v1/reports/{district.report.id}", headers=bearer(district.street_user),
                          csrf=False, json={"version": district.report.version, "progress": "x"})
    assert response.status_code == 409 and response.json["code"] == "conflict"
