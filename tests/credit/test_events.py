"""Recording events: notices, numbering, confirmation, revocation, audit; automatic events; rule-set loading."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from supervision.audit.models import AuditLog
from supervision.core.errors import DomainError, TransitionError
from supervision.credit import assessment, automatic, services
from supervision.credit.models import CreditEvent, CreditRuleItem, CreditRuleSet, EventOrigin, EventStatus
from supervision.credit.reference import RULE_SETS_DIR, RuleSetError, load_reference, load_rule_set
from supervision.extensions import db
from supervision.notifications.models import Notification

from .factories import gen_event, rules

DAY = date(2026, 9, 28)  # a Monday just before the National Day holidays


@pytest.fixture
def default_rules(app):
    return rules()[0]


def _actions(event) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(
        AuditLog.object_type == "CreditEvent", AuditLog.object_id == event.id).order_by(AuditLog.id)))


def test_a_deduction_is_notified_with_a_numbered_notice_and_a_window_in_working_days(world, default_rules):
    event = gen_event(world.company1, "BL-05", on=DAY, status="draft", actor=world.officer)
    assert event.status is EventStatus.DRAFT and event.notice_number is None
    services.notify_event(event, actor=world.officer, on=DAY)
    assert event.status is EventStatus.NOTIFIED
    assert event.notice_number == "〔2026〕信记第0001号"
    assert event.notice_clause.startswith("BL-05 未按整改通知书要求限期整改")
    # 15 working days on China's calendar: the National Day week does not count, the Saturday make-up day does.
    assert event.objection_deadline == date(2026, 10, 23)
    assert event.rectify_by == date(2026, 10, 16)  # 10 working days
    second = gen_event(world.company2, "BL-02", on=DAY, status="notified")
    third = gen_event(world.company2, "BL-02", on=date(2027, 1, 4), status="notified")
    assert second.notice_number == "〔2026〕信记第0002号" and third.notice_number == "〔2027〕信记第0001号"
    assert _actions(event) == ["credit_event.create", "credit_event.notify"]
    titles = list(db.session.scalars(select(Notification.title).where(Notification.user_id == world.company_user.id)))
    assert titles and "〔2026〕信记第0001号" in titles[0]


def test_additions_are_confirmed_without_notice_and_deductions_cannot_skip_it(world, default_rules):
    good = gen_event(world.company1, "LH-03", on=DAY, status="draft")
    with pytest.raises(TransitionError):
        services.notify_event(good, on=DAY)
    services.confirm_event(good, on=DAY)
    assert good.status is EventStatus.CONFIRMED and good.confirmed_on == DAY and good.notice_number is None
    bad = gen_event(world.company1, "BL-02", on=DAY, status="draft")
    with pytest.raises(TransitionError, match="须先发出告知"):
        services.confirm_event(bad, on=DAY)
    services.notify_event(bad, on=DAY)
    with pytest.raises(TransitionError, match="届满前不能确认"):
        services.confirm_event(bad, on=bad.objection_deadline)
    assert services.confirm_lapsed(on=bad.objection_deadline) == 0
    assert services.confirm_lapsed(on=bad.objection_deadline + timedelta(days=30)) == 1
    assert bad.status is EventStatus.CONFIRMED and bad.confirmed_on == bad.objection_deadline + timedelta(days=1)


def test_drafts_only_are_editable_and_links_are_checked(world, default_rules):
    event = gen_event(world.company1, "BL-02", on=DAY, status="draft")
    item = services.item_by_code(default_rules, "BL-01")
    with pytest.raises(DomainError, match="不由该企业管理"):
        services.update_event(event, item=item, occurred_on=DAY, description="改", estate=world.estate2, staff=None,
                              recording_level=event.recording_level, recording_body=None, effective_from=None,
                              effective_until=None, rectify_by=None, on=DAY)
    services.update_event(event, item=item, occurred_on=DAY, description="已修改", estate=world.estate1, staff=None,
                          recording_level=event.recording_level, recording_body="东城街道办事处", effective_from=None,
                          effective_until=None, rectify_by=None, on=DAY)
    assert event.points == Decimal("-3.00") and event.recording_body == "东城街道办事处"
    services.notify_event(event, on=DAY)
    with pytest.raises(TransitionError):
        services.update_event(event, item=item, occurred_on=DAY, description="x", estate=None, staff=None,
                              recording_level=event.recording_level, recording_body=None, effective_from=None,
                              effective_until=None, rectify_by=None, on=DAY)
    with pytest.raises(DomainError, match="不能晚于今天"):
        gen_event(world.company1, "BL-02", on=DAY, occurred_on=DAY + timedelta(days=1))


def test_revoking_needs_a_reason_and_is_audited(world, default_rules):
    event = gen_event(world.company1, "BL-02", on=DAY)
    with pytest.raises(DomainError, match="撤销原因"):
        services.revoke_event(event, reason="  ", on=DAY)
    services.revoke_event(event, reason="记录对象有误", actor=world.officer, on=DAY + timedelta(days=50))
    assert event.status is EventStatus.REVOKED and event.revoked_on == DAY + timedelta(days=50)
    with pytest.raises(TransitionError, match="已撤销"):
        services.revoke_event(event, reason="再次", on=DAY)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "credit_event.revoke"))
    assert entry.after == {"status": "revoked", "revoked_on": "2026-11-17", "revoke_reason": "记录对象有误"}
    assert entry.actor_id == world.officer.id


# --- automatic events --------------------------------------------------------

def test_an_automatic_event_is_recorded_once_per_fact(world, default_rules):
    with time_machine.travel(date(2026, 5, 11), tick=False):
        first, created = automatic.record_automatic_event(
            company=world.company1, rule_code="BL-20", source_key="item-overdue:123", occurred_on=date(2026, 4, 30),
            estate=world.estate1, description="整改事项 #123 逾期")
        again, created_again = automatic.record_automatic_event(
            company=world.company1.id, rule_code="BL-20", source_key="item-overdue:123",
            occurred_on=date(2026, 4, 30), estate=world.estate1.id)
    assert created and not created_again and again.id == first.id
    assert first.origin is EventOrigin.AUTOMATIC and first.status is EventStatus.NOTIFIED
    assert first.notice_number == "〔2026〕信记第0001号" and first.points == Decimal("-2.00")
    assert db.session.scalar(select(func.count(CreditEvent.id))) == 1
    assert automatic.rule_param("BL-20", "overdue_days", on=date(2026, 5, 11)) == 10
    assert automatic.rule_param("BL-21", "overdue_days", 7, on=date(2026, 5, 11)) == 7


@pytest.fixture
def detectors(world):
    """Two detectors standing in for the campaigns feature's."""
    facts = {
        "test-overdue": lambda on: [automatic.AutoFact(world.company1.id, "BL-20", f"item-overdue:{n}",
                                                       date(2026, 4, n), estate_id=world.estate1.id)
                                    for n in (1, 2)],
        "test-acceptance": lambda on: [automatic.AutoFact(world.company2.id, "BL-21", "acceptance-failed:45",
                                                          date(2026, 4, 20), description="验收不合格"),
                                       automatic.AutoFact(world.company2.id, "NO-SUCH", "acceptance-failed:46",
                                                          date(2026, 4, 20))],
    }
    saved = dict(automatic.DETECTORS)
    for name, function in facts.items():
        automatic.register_detector(name)(function)
    yield facts
    automatic.DETECTORS.clear()
    automatic.DETECTORS.update(saved)


def test_the_auto_events_command_is_idempotent(runner, detectors, default_rules):
    db.session.commit()
    result = runner.invoke(args=["credit", "auto-events", "--date", "2026-05-11"])
    assert result.exit_code == 0, result.output
    assert "test-overdue: 新增 2 条，已存在 0 条" in result.output
    assert "test-acceptance: 新增 1 条，已存在 0 条，未能记录 1 条" in result.output
    assert "acceptance-failed:46: 现行规则集中没有条款 NO-SUCH" in result.output
    result = runner.invoke(args=["credit", "auto-events", "--date", "2026-05-12"])
    assert result.exit_code == 0, result.output
    assert "test-overdue: 新增 0 条，已存在 2 条" in result.output
    keys = set(db.session.scalars(select(CreditEvent.source_key)))
    assert keys == {"item-overdue:1", "item-overdue:2", "acceptance-failed:45"}


def test_the_auto_events_command_without_detectors(runner, app):
    automatic.discover_detectors()  # imported now, so the command's discovery registers none again
    saved = dict(automatic.DETECTORS)
    automatic.DETECTORS.clear()
    try:
        result = runner.invoke(args=["credit", "auto-events"])
    finally:
        automatic.DETECTORS.update(saved)
    assert result.exit_code == 0 and "尚无已注册的检测器" in result.output


def test_confirm_lapsed_command(runner, world, default_rules):
    event = gen_event(world.company1, "BL-02", on=DAY, status="notified")
    db.session.commit()
    result = runner.invoke(args=["credit", "confirm-lapsed", "--date", "2026-10-24"])
    assert result.exit_code == 0 and "确认 1 条" in result.output
    db.session.refresh(event)
    assert event.status is EventStatus.CONFIRMED and event.confirmed_on == date(2026, 10, 24)


def test_score_command_explains(runner, world, default_rules):
    gen_event(world.company1, "LH-03", on=DAY)
    db.session.commit()
    result = runner.invoke(args=["credit", "score", world.company1.name, "--as-of", "2026-10-01"])
    assert result.exit_code == 0, result.output
    assert "LH-03" in result.output and "总分 10.00" in result.output and "C（缺失）" in result.output
    result = runner.invoke(args=["credit", "score", world.company1.name, "--as-of", "2026-10-01",
                                 "--rule-set", "lianyungang"])
    assert "总分 105.00" in result.output


# --- rule sets ---------------------------------------------------------------

def test_loading_rule_sets_is_idempotent(app):
    load_reference()
    counts = (db.session.scalar(select(func.count(CreditRuleSet.id))),
              db.session.scalar(select(func.count(CreditRuleItem.id))))
    load_reference()
    assert counts == (db.session.scalar(select(func.count(CreditRuleSet.id))),
                      db.session.scalar(select(func.count(CreditRuleItem.id))))
    default = db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.is_default.is_(True)))
    assert default.code == "shandong-yantai"
    basic = [i for i in default.items if i.part.code == "basic"]
    assert sum(i.points for i in basic) == Decimal("80")  # the basic part is exactly its cap


def test_a_published_rule_set_cannot_change_in_place(world):
    from supervision.credit.publication import publish

    load_reference()
    publish(name="2026年度", as_of=date(2026, 6, 30), on=date(2026, 7, 1))
    data = json.loads((RULE_SETS_DIR / "shandong-yantai-v1.json").read_text(encoding="utf-8"))
    data["items"][0]["points"] = 16
    with pytest.raises(RuleSetError, match="new version"):
        load_rule_set(data)
    data["version"] = 2
    assert load_rule_set(data).version == 2


@pytest.mark.parametrize("change, message", [
    (lambda d: d["items"].append({"code": "X", "part": "bad", "description": "x", "points": 3}), "negative points"),
    (lambda d: d["items"].append({"code": "X", "part": "nope", "description": "x", "points": 3}), "unknown part"),
    (lambda d: d["overrides"].append({"kind": "whim", "grade": "A"}), "unknown override"),
    (lambda d: d["grades"].append({"code": "Z", "min": None}), "exactly one banded grade"),
])
def test_bad_rule_set_files_are_refused(app, change, message):
    data = json.loads((RULE_SETS_DIR / "shandong-yantai-v1.json").read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(RuleSetError, match=message):
        load_rule_set(data)


# --- basic information -------------------------------------------------------

def test_registry_facts_suggest_basic_items(world, default_rules):
    from ..factories import gen_certificate, gen_certificate_type, gen_position, gen_staff

    cert = gen_certificate_type()
    manager = gen_staff(world.company1, gen_position(is_manager=True, requires=[cert]), world.estate1)
    facts = assessment.registry_facts(world.company1, DAY)
    assert (facts.estates, facts.managers, facts.managers_certified) == (1, 1, 0)
    assert facts.suggests("JC-02") is True and facts.suggests("JC-04") is False and facts.suggests("JC-03") is None
    gen_certificate(manager, cert, expires_on=DAY + timedelta(days=10))
    assert assessment.registry_facts(world.company1, DAY).suggests("JC-04") is True
    items = [services.item_by_code(default_rules, c) for c in ("JC-02", "JC-04")]
    events = assessment.record_basic_assessment(world.company1, items, effective_from=DAY, actor=world.officer, on=DAY)
    assert [e.status for e in events] == [EventStatus.CONFIRMED] * 2
    assert events[0].origin is EventOrigin.ASSESSMENT and "在管小区 1 个" in events[0].description
    with pytest.raises(DomainError, match="只能选择基本信息条款"):
        assessment.record_basic_assessment(world.company1, [services.item_by_code(default_rules, "LH-01")],
                                         effective_from=DAY, on=DAY)
