"""Open enforcement cases at several rungs for the demo district (``flask seed demo``; idempotent).

The sweep runs over the demo's campaign facts (overdue items, failed acceptances, missing
self-inspections) plus a few refusals recorded for the story; then an officer confirms some proposals:
one case at 约谈 whose follow-up date has passed (so the sweep proposes 通报 again), one 通报 published,
one 曝光 approved by the leader, one 行政处罚 waiting for the leader; the rest stay proposals to decide.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..auth.roles import Role
from ..core.timeutil import local_today
from ..estates.models import Estate
from ..extensions import db
from . import services
from .models import EnforcementCase, EnforcementProposal, LegalArticle, ProposalStatus
from .reference import load_reference

REFUSALS = ("拒不清理消防通道堆放的杂物，经两次书面督促仍未整改", "拒不按整改通知书要求维修损坏的单元门禁",
            "拒不提供物业服务合同及收费公示资料", "拒不整改电梯维保记录缺失问题")


def _user(username: str, role: Role):
    return db.session.scalar(select(User).where(User.username == username)) or db.session.scalar(
        select(User).where(User.role == role, User.active.is_(True)).order_by(User.id))


def seed_demo(rng) -> None:
    load_reference()
    if db.session.scalar(select(EnforcementCase.id).limit(1)) is not None:
        return
    officer, leader = _user("officer", Role.BUREAU_OFFICER), _user("leader", Role.LEADER)
    if officer is None or leader is None:
        return
    today = local_today()
    start = today - timedelta(days=30)
    estates = list(db.session.scalars(select(Estate).where(Estate.company_id.is_not(None), Estate.archived_at.is_(None))
                                      .order_by(Estate.id)))
    for text, estate in zip(REFUSALS, rng.sample(estates, min(len(REFUSALS), len(estates)))):
        services.record_refusal(company=estate.company, estate=estate, occurred_on=start - timedelta(days=3),
                                description=text, actor=officer, on=start)
    services.sweep(on=start)
    proposals = list(db.session.scalars(select(EnforcementProposal).where(
        EnforcementProposal.status == ProposalStatus.PENDING).order_by(EnforcementProposal.id)))
    steps = [services.confirm_proposal(p, actor=officer, on=start, interview_place="区住建局三楼会议室",
                                       interview_at=f"{start + timedelta(days=3):%Y年%m月%d日}上午9时")
             for p in proposals[:4]]
    for n, step in enumerate(steps):
        services.record_interview(step, interviewed_on=start + timedelta(days=3),
                                  attendees="企业负责人、项目经理；区住建局物业科两人",
                                  commitments="十个工作日内整改到位，并报送整改材料",
                                  follow_up_on=start + timedelta(days=17 + n * 20), actor=officer,
                                  on=start + timedelta(days=3))
    if len(steps) >= 4:
        circular = services.take_step(steps[1].case, services.rung_by_code("circular"), actor=officer,
                                      on=start + timedelta(days=20))
        services.publish_step(circular, actor=officer, on=start + timedelta(days=21))
        services.take_step(steps[2].case, services.rung_by_code("circular"), actor=officer,
                           on=start + timedelta(days=20))
        exposure = services.take_step(steps[2].case, services.rung_by_code("exposure"), actor=officer,
                                      on=start + timedelta(days=25))
        services.approve_step(exposure, actor=leader, on=start + timedelta(days=26))
        article = db.session.scalar(select(LegalArticle).where(LegalArticle.code == "62"))
        services.take_step(steps[3].case, services.rung_by_code("penalty"), actor=officer, article=article,
                           amount=20000, measure="责令限期改正，给予警告", on=start + timedelta(days=27))
    services.sweep(on=today)  # today's proposals: the overdue follow-up and anything new
