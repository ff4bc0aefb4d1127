"""The ladder's rules: the sweep proposes, an officer confirms or dismisses, each rung leaves its record.

Services never commit: they add, flush and call ``audit.record``; the view or command commits once.
Every function that depends on the date takes ``on`` (default: today in Shanghai).

- ``sweep(on)``: runs every trigger (``triggers.TRIGGERS``), records each new fact once, groups new facts
  per company and estate into a proposal of the next rung, and closes the open cases whose facts are all
  rectified. Running it twice proposes nothing new.
- ``confirm_proposal`` / ``dismiss_proposal``: nothing escalates without a person.
- ``take_step``: a case climbs to a rung (an officer's rung takes effect at once; 曝光 and above wait for a
  leader's ``approve_step``). A step that takes effect is numbered (〔2026〕约谈第0001号) and records the
  rung's credit item, if the rule set in force has one, through the credit notice-and-objection workflow.
- ``record_interview``: the 约谈记录; its follow-up date becomes a deadline the sweep watches.
- ``publish_step``: a 通报 is published (an approved 曝光 is published on approval).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record, record_change, snapshot
from ..auth.roles import BUREAU, Role
from ..companies.models import Company
from ..core.errors import DomainError, TransitionError
from ..core.timeutil import local_today, utcnow
from ..credit import services as credit_services
from ..credit.models import CreditRuleItem, EventOrigin
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import company_users, notify
from ..regions.services import bureau_name
from . import triggers
from .models import (
    Approver,
    CaseStatus,
    EnforcementCase,
    EnforcementFact,
    EnforcementProposal,
    EnforcementRefusal,
    EnforcementRung,
    EnforcementStep,
    LegalArticle,
    ProposalStatus,
    StepStatus,
)

RETRIES = 5
LEADERS = frozenset({Role.LEADER})


def format_number(word: str, year: int, seq: int) -> str:
    return f"〔{year}〕{word}第{seq:04d}号"


# --- the ladder --------------------------------------------------------------

def rungs() -> list[EnforcementRung]:
    return list(db.session.scalars(select(EnforcementRung).order_by(EnforcementRung.level)))


def rung_by_code(code: str) -> EnforcementRung:
    rung = db.session.scalar(select(EnforcementRung).where(EnforcementRung.code == code))
    if rung is None:
        raise DomainError(_("尚未加载执法阶梯，请先运行 flask seed reference。"))
    return rung


def next_rung(rung: EnforcementRung | None) -> EnforcementRung | None:
    """The rung above ``rung`` (the first rung when ``rung`` is None); None at the top."""
    level = rung.level if rung is not None else 0
    return db.session.scalar(select(EnforcementRung).where(EnforcementRung.level > level)
                             .order_by(EnforcementRung.level).limit(1))


def credit_item_for(rung: EnforcementRung, on: date | None = None) -> CreditRuleItem | None:
    """The credit item ``rung`` triggers under the rule set in force on ``on`` (None: none)."""
    if not rung.credit_item_code:
        return None
    try:
        return credit_services.item_by_code(credit_services.rule_set_for(on), rung.credit_item_code)
    except DomainError:
        return None


def legal_articles() -> list[LegalArticle]:
    return list(db.session.scalars(select(LegalArticle).order_by(LegalArticle.id)))


def _require_bureau(actor, what: str) -> None:
    if actor is None or actor.role not in BUREAU:
        raise DomainError(_("只有区住建局科员可以%(what)s。", what=what))


# --- the sweep ---------------------------------------------------------------

@dataclass
class SweepResult:
    facts: int = 0
    proposals: int = 0
    attached: int = 0
    closed: int = 0
    per_trigger: dict = field(default_factory=dict)


def open_case_for(company_id: int, estate_id: int | None) -> EnforcementCase | None:
    return db.session.scalar(select(EnforcementCase).where(
        EnforcementCase.company_id == company_id, EnforcementCase.estate_id.is_(None) if estate_id is None
        else EnforcementCase.estate_id == estate_id, EnforcementCase.status == CaseStatus.OPEN)
        .order_by(EnforcementCase.id).limit(1))


def _pending_proposal_for(company_id: int, estate_id: int | None) -> EnforcementProposal | None:
    return db.session.scalar(select(EnforcementProposal).where(
        EnforcementProposal.company_id == company_id,
        EnforcementProposal.estate_id.is_(None) if estate_id is None else EnforcementProposal.estate_id == estate_id,
        EnforcementProposal.status == ProposalStatus.PENDING).order_by(EnforcementProposal.id).limit(1))


def sweep(*, on: date | None = None) -> SweepResult:
    """Record the new facts of every trigger, propose, and close the rectified cases."""
    on = on or local_today()
    result = SweepResult()
    known = set(db.session.scalars(select(EnforcementFact.key)))
    groups: dict[tuple, list[EnforcementFact]] = defaultdict(list)
    for trigger in list(triggers.TRIGGERS):
        count = 0
        for fact in trigger.facts(on):
            if fact.key in known:
                continue
            known.add(fact.key)
            row = EnforcementFact(key=fact.key, trigger=trigger.name, company_id=fact.company_id,
                                  estate_id=fact.estate_id, occurred_on=fact.occurred_on, summary=fact.summary,
                                  ref=dict(fact.ref))
            db.session.add(row)
            groups[(fact.company_id, fact.estate_id)].append(row)
            count += 1
        result.per_trigger[trigger.name] = count
        result.facts += count
    db.session.flush()
    for (company_id, estate_id), rows in groups.items():
        case = open_case_for(company_id, estate_id)
        pending = _pending_proposal_for(company_id, estate_id)
        if pending is not None:
            for row in rows:
                row.proposal_id = pending.id
            result.attached += len(rows)
            continue
        rung = next_rung(case.rung if case else None)
        if rung is None:  # at the top of the ladder: the facts join the case
            for row in rows:
                row.case_id = case.id
            result.attached += len(rows)
            continue
        proposal = EnforcementProposal(company_id=company_id, estate_id=estate_id,
                                       street_id=triggers.estate_street(estate_id),
                                       case_id=case.id if case else None, rung_id=rung.id, proposed_on=on,
                                       status=ProposalStatus.PENDING)
        db.session.add(proposal)
        db.session.flush()
        for row in rows:
            row.proposal_id = proposal.id
        record("enforcement_proposal.create", proposal,
               after={"rung": rung.code, "facts": [r.key for r in rows], "case_id": proposal.case_id})
        result.proposals += 1
    db.session.flush()
    result.closed = close_rectified_cases(on=on)
    return result


def _mark_rectified(facts, on: date) -> bool:
    """Stamp the facts rectified since; True when every one of them is."""
    for fact in facts:
        trigger = triggers.by_name(fact.trigger)
        if fact.rectified_on is None and trigger is not None and trigger.rectified(fact.ref or {}, on):
            fact.rectified_on = on
    return bool(facts) and all(f.rectified_on is not None for f in facts)


def close_rectified_cases(*, on: date | None = None, actor=None) -> int:
    """Close every open case whose facts are all rectified (the history stays); withdraw the pending
    proposals whose facts were all rectified before anyone decided."""
    on = on or local_today()
    closed = 0
    for proposal in list(db.session.scalars(select(EnforcementProposal).where(
            EnforcementProposal.status == ProposalStatus.PENDING).order_by(EnforcementProposal.id))):
        if _mark_rectified(proposal.facts, on):
            _decide(proposal, ProposalStatus.DISMISSED, _("所涉问题已整改，建议自动撤回。"), actor)
    cases = list(db.session.scalars(select(EnforcementCase).where(EnforcementCase.status == CaseStatus.OPEN)
                                    .order_by(EnforcementCase.id)))
    for case in cases:
        if _mark_rectified(case.facts, on):
            close_case(case, reason=_("所涉问题均已整改到位，自动结案。"), actor=actor, on=on)
            closed += 1
    return closed


def close_case(case: EnforcementCase, *, reason: str, actor=None, on: date | None = None) -> EnforcementCase:
    on = on or local_today()
    if case.status is CaseStatus.CLOSED:
        raise TransitionError(_("该案件已结案。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写结案理由。"), field="reason")
    before = snapshot(case, ["status", "closed_on", "close_reason"])
    case.status, case.closed_on, case.close_reason = CaseStatus.CLOSED, on, reason
    for proposal in db.session.scalars(select(EnforcementProposal).where(
            EnforcementProposal.case_id == case.id, EnforcementProposal.status == ProposalStatus.PENDING)):
        _decide(proposal, ProposalStatus.DISMISSED, _("案件已结案。"), actor)
    db.session.flush()
    record_change("enforcement_case.close", case, before, actor=actor)
    return case


# --- proposals ---------------------------------------------------------------

def _decide(proposal: EnforcementProposal, status: ProposalStatus, reason: str | None, actor) -> None:
    before = snapshot(proposal, ["status", "reason", "decided_by_id"])
    proposal.status = status
    proposal.reason = reason
    proposal.decided_by_id = getattr(actor, "id", None)
    proposal.decided_at = utcnow()
    db.session.flush()
    record_change(f"enforcement_proposal.{status.value}", proposal, before, actor=actor)


def dismiss_proposal(proposal: EnforcementProposal, *, reason: str, actor) -> EnforcementProposal:
    _require_bureau(actor, _("处理执法建议"))
    if proposal.status is not ProposalStatus.PENDING:
        raise TransitionError(_("该建议已处理。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写不予采纳的理由。"), field="reason")
    _decide(proposal, ProposalStatus.DISMISSED, reason, actor)
    return proposal


def default_text(rung: EnforcementRung, company: Company, estate: Estate | None, facts) -> tuple[str, str]:
    """A step's title and content drafted from its facts (the officer may edit them)."""
    where = f"（{estate.name}）" if estate is not None else ""
    titles = {
        "interview": f"关于约谈{company.name}负责人的通知",
        "circular": f"关于对{company.name}予以通报批评的通报",
        "exposure": f"{company.name}{where}拒不整改问题曝光",
        "penalty": f"{company.name}行政处罚决定书",
        "credit_sanction": f"关于对{company.name}予以信用惩戒的决定",
        "removal": f"关于建议将{company.name}清出本区物业服务市场的函",
    }
    lines = [f"{n}. {f.summary}" for n, f in enumerate(facts, 1)]
    content = f"经查，{company.name}{where}存在以下问题：\n" + "\n".join(lines) if lines else ""
    return titles.get(rung.code, f"{company.name}{rung.name}"), content


def confirm_proposal(proposal: EnforcementProposal, *, actor, note: str | None = None, on: date | None = None,
                     **step_fields) -> EnforcementStep:
    """The officer agrees: the case (opened if need be) takes the proposed rung."""
    on = on or local_today()
    _require_bureau(actor, _("处理执法建议"))
    if proposal.status is not ProposalStatus.PENDING:
        raise TransitionError(_("该建议已处理。"))
    case = proposal.case if proposal.case is not None and proposal.case.status is CaseStatus.OPEN else None
    case = case or open_case_for(proposal.company_id, proposal.estate_id)
    if case is None:
        case = EnforcementCase(company_id=proposal.company_id, estate_id=proposal.estate_id,
                               street_id=proposal.street_id, status=CaseStatus.OPEN, opened_on=on,
                               opened_by_id=actor.id)
        db.session.add(case)
        db.session.flush()
        record("enforcement_case.open", case, after={"company_id": case.company_id, "estate_id": case.estate_id},
               actor=actor)
    proposal.case_id = case.id
    for fact in proposal.facts:
        fact.case_id = case.id
    rung = proposal.rung
    if case.rung is not None and case.rung.level >= rung.level:
        rung = next_rung(case.rung)
        if rung is None:
            raise TransitionError(_("该案件已在执法阶梯最高一级。"))
    _decide(proposal, ProposalStatus.CONFIRMED, (note or "").strip() or None, actor)
    db.session.refresh(case)
    return take_step(case, rung, actor=actor, on=on, **step_fields)


# --- steps -------------------------------------------------------------------

def take_step(case: EnforcementCase, rung: EnforcementRung, *, actor, title: str | None = None,
              content: str | None = None, article: LegalArticle | None = None, amount=None, measure: str | None = None,
              interview_at: str | None = None, interview_place: str | None = None,
              on: date | None = None) -> EnforcementStep:
    """The case climbs to ``rung``: an officer's rung takes effect now, a leader's waits for approval."""
    on = on or local_today()
    _require_bureau(actor, _("作出执法决定"))
    if case.status is not CaseStatus.OPEN:
        raise TransitionError(_("案件已结案，不能再升级。"))
    if case.rung is not None and rung.level <= case.rung.level:
        raise DomainError(_("只能升级到高于当前（%(rung)s）的措施。", rung=case.rung.name), field="rung_id")
    if any(s.status is StepStatus.PENDING for s in case.steps):
        raise TransitionError(_("该案件有待领导批准的措施，批准前不能再升级。"))
    default_title, default_content = default_text(rung, case.company, case.estate, case.facts)
    step = EnforcementStep(case_id=case.id, rung_id=rung.id, status=StepStatus.PENDING,
                           title=(title or "").strip() or default_title,
                           content=(content or "").strip() or default_content, doc_word=rung.doc_word,
                           created_by_id=actor.id, interview_at=(interview_at or "").strip() or None,
                           interview_place=(interview_place or "").strip() or None)
    if rung.code == "penalty":
        _check_penalty(article, amount, measure)
        step.article_id = article.id
        step.amount = Decimal(str(amount)) if amount not in (None, "") else None
        step.measure = (measure or "").strip() or None
    db.session.add(step)
    db.session.flush()
    record("enforcement_step.create", step, after={"case_id": case.id, "rung": rung.code, "title": step.title},
           actor=actor)
    if rung.approver is Approver.OFFICER:
        _take_effect(step, actor=actor, on=on)
    return step


def _check_penalty(article: LegalArticle | None, amount, measure: str | None) -> None:
    if article is None:
        raise DomainError(_("请选择处罚依据。"), field="article_id")
    if amount in (None, "") and not (measure or "").strip():
        raise DomainError(_("请填写罚款金额或处罚措施。"), field="amount")
    if amount not in (None, ""):
        value = Decimal(str(amount))
        if value <= 0:
            raise DomainError(_("罚款金额应大于零。"), field="amount")
        if article.max_amount is not None and value > article.max_amount:
            raise DomainError(_("罚款金额超出%(article)s规定的上限（%(max)s元）。", article=article.article,
                                max=article.max_amount), field="amount")
        if article.min_amount is not None and value < article.min_amount:
            raise DomainError(_("罚款金额低于%(article)s规定的下限（%(min)s元）。", article=article.article,
                                min=article.min_amount), field="amount")


def _next_seq(word: str, year: int) -> int:
    return (db.session.scalar(select(func.max(EnforcementStep.seq)).where(
        EnforcementStep.doc_word == word, EnforcementStep.year == year)) or 0) + 1


def _number(step: EnforcementStep, on: date) -> None:
    for _attempt in range(RETRIES):
        seq = _next_seq(step.doc_word, on.year)
        try:
            with db.session.begin_nested():
                step.year, step.seq = on.year, seq
                step.number = format_number(step.doc_word, on.year, seq)
                db.session.flush()
        except IntegrityError:
            continue
        return
    raise DomainError(_("编号冲突，请稍后重试。"))


def _take_effect(step: EnforcementStep, *, actor, on: date) -> None:
    """Number the document, move the case to the rung, record the rung's credit item, tell the company."""
    before = snapshot(step, ["status", "number", "issued_on", "published_on"])
    _number(step, on)
    step.issued_on = on
    rung = step.rung
    step.status = StepStatus.PUBLISHED if rung.public and rung.approver is Approver.LEADER else StepStatus.ISSUED
    if step.status is StepStatus.PUBLISHED:
        step.published_on = on
    case = step.case
    case_before = snapshot(case, ["rung_id"])
    case.rung_id = rung.id
    item = credit_item_for(rung, on)
    if item is not None:
        company = case.company
        estate = case.estate if case.estate is not None and case.estate.company_id == company.id else None
        event = credit_services.create_event(
            company=company, item=item, occurred_on=on, description=f"{rung.name}：{step.title}（{step.number}）",
            estate=estate, origin=EventOrigin.MANUAL, source_key=f"enforcement-step:{step.id}", actor=actor, on=on)
        if event.is_deduction:  # the company is told and may object, as to any other record
            credit_services.notify_event(event, actor=actor, on=on)
        else:
            credit_services.confirm_event(event, actor=actor, on=on)
        step.credit_event_id = event.id
    db.session.flush()
    db.session.expire(case, ["rung"])
    record_change("enforcement_step.issue", step, before, actor=actor)
    record_change("enforcement_case.rung", case, case_before, actor=actor)
    link = url_for("enforcement.case", case_id=case.id) if has_request_context() else None
    notify(company_users(case.company_id), kind="enforcement", title=_("%(rung)s：%(title)s（%(number)s）",
                                                                       rung=rung.name, title=step.title,
                                                                       number=step.number),
           dedup_key=f"enforcement-step:{step.id}", link=link)


def approve_step(step: EnforcementStep, *, actor, on: date | None = None) -> EnforcementStep:
    """A leader approves a rung of 曝光 and above; it takes effect (an 曝光 is published)."""
    on = on or local_today()
    if actor is None or actor.role not in LEADERS:
        raise DomainError(_("%(rung)s须经局领导批准。", rung=step.rung.name))
    if step.status is not StepStatus.PENDING:
        raise TransitionError(_("该措施不在待批准状态。"))
    if step.case.status is not CaseStatus.OPEN:
        raise TransitionError(_("案件已结案。"))
    step.approved_by_id = actor.id
    step.approved_on = on
    step.approving_office = bureau_name()
    _take_effect(step, actor=actor, on=on)
    return step


def publish_step(step: EnforcementStep, *, actor, on: date | None = None) -> EnforcementStep:
    """Publish an issued 通报 (on the public portal, addressed to every company of the district)."""
    on = on or local_today()
    _require_bureau(actor, _("发布通报"))
    if not step.rung.public:
        raise DomainError(_("%(rung)s不公开发布。", rung=step.rung.name))
    if step.status is not StepStatus.ISSUED:
        raise TransitionError(_("只有已作出的通报可以发布。"))
    before = snapshot(step, ["status", "published_on", "approving_office"])
    step.status = StepStatus.PUBLISHED
    step.published_on = on
    step.approving_office = step.approving_office or bureau_name()
    db.session.flush()
    record_change("enforcement_step.publish", step, before, actor=actor)
    return step


def record_interview(step: EnforcementStep, *, interviewed_on: date, attendees: str, commitments: str,
                     follow_up_on: date, actor, on: date | None = None) -> EnforcementStep:
    """约谈记录: who attended, what the company committed to, and the follow-up date (a deadline)."""
    on = on or local_today()
    _require_bureau(actor, _("记录约谈"))
    if step.rung.code != "interview":
        raise DomainError(_("只有约谈可以记录约谈情况。"))
    if step.status is StepStatus.PENDING:
        raise TransitionError(_("约谈通知尚未作出。"))
    if interviewed_on > on:
        raise DomainError(_("约谈日期不能晚于今天。"), field="interviewed_on")
    if step.issued_on and interviewed_on < step.issued_on:
        raise DomainError(_("约谈日期不能早于通知日期。"), field="interviewed_on")
    if follow_up_on <= interviewed_on:
        raise DomainError(_("复查日期应晚于约谈日期。"), field="follow_up_on")
    attendees, commitments = (attendees or "").strip(), (commitments or "").strip()
    if not attendees:
        raise DomainError(_("请填写参加人员。"), field="attendees")
    if not commitments:
        raise DomainError(_("请填写企业的整改承诺。"), field="commitments")
    before = snapshot(step, ["interviewed_on", "attendees", "commitments", "follow_up_on"])
    step.interviewed_on, step.attendees, step.commitments = interviewed_on, attendees, commitments
    step.follow_up_on = follow_up_on
    db.session.flush()
    record_change("enforcement_step.interview", step, before, actor=actor)
    return step


def record_refusal(*, company: Company, estate: Estate | None, occurred_on: date, description: str, actor,
                   on: date | None = None):
    """An officer records that a company refused to rectify (the sweep proposes a rung for it)."""
    on = on or local_today()
    _require_bureau(actor, _("记录拒不整改"))
    if occurred_on > on:
        raise DomainError(_("发生日期不能晚于今天。"), field="occurred_on")
    if estate is not None and estate.company_id != company.id:
        raise DomainError(_("所选小区不由该企业管理。"), field="estate_id")
    description = (description or "").strip()
    if len(description) < 6:
        raise DomainError(_("请具体描述拒不整改的情况。"), field="description")
    refusal = EnforcementRefusal(company_id=company.id, estate_id=estate.id if estate else None,
                                 street_id=estate.street_id if estate else None, occurred_on=occurred_on,
                                 description=description, recorded_by_id=actor.id)
    db.session.add(refusal)
    db.session.flush()
    record("enforcement_refusal.create", refusal, after=snapshot(refusal, ["company_id", "estate_id", "occurred_on",
                                                                           "description"]), actor=actor)
    return refusal


def mark_refusal_rectified(refusal, *, actor, on: date | None = None):
    on = on or local_today()
    _require_bureau(actor, _("确认整改"))
    if refusal.rectified_on is not None:
        raise TransitionError(_("已确认整改。"))
    before = snapshot(refusal, ["rectified_on"])
    refusal.rectified_on = on
    db.session.flush()
    record_change("enforcement_refusal.rectified", refusal, before, actor=actor)
    return refusal
