"""Demo complaints and repair requests: about three months of them across the district's estates,
in every state — 12345 referrals (some waiting in the clerk's queue), phone calls, the owners' own
form — with callbacks, a re-opening, repeats, and one verified complaint that became an item and a
credit proposal. Deterministic and idempotent (nothing is added once the register holds any row)."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from ..auth.models import User
from ..core.errors import DomainError
from ..core.timeutil import LOCAL_TZ, local_today
from ..estates.models import Estate
from ..extensions import db
from . import services
from .models import Channel, Complaint, Kind, Satisfaction, State, Urgency

PROBLEMS = (
    ("环境卫生", "楼道垃圾多日无人清运，气味很大。"),
    ("电梯管理", "3号楼电梯经常停运，老人上下楼困难。"),
    ("收费", "物业费上涨未公示，也未征求业主意见。"),
    ("服务态度", "物业客服电话长期无人接听。"),
    ("停车秩序", "小区消防通道被车辆长期占用。"),
    ("绿化养护", "绿地被改成停车位，树木被砍。"),
    ("安全防范", "小区门禁损坏，外来人员随意进出。"),
    ("设施设备", "地下室积水，水泵不工作。"),
)
REPAIRS = (("维修", "厨房下水管堵塞。"), ("维修", "楼道灯不亮。"), ("维修", "屋顶漏水，卧室墙面发霉。"),
           ("维修", "单元门禁无法刷卡开门。"))
UNMATCHED_ADDRESSES = ("城东老街道口附近", "建设路与人民路交叉口", "火车站后面那个小区")
SURNAMES = "王李张刘陈杨黄赵周吴"
WORDS = {"satisfied": "问题已解决。", "basic": "基本解决。", "unsatisfied": "没有解决。"}


def _phone(rng) -> str:
    return f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


def _user(username: str):
    return db.session.scalar(select(User).where(User.username == username))


def _handle(c: Complaint, rng, now, company_user, supervisor, officer) -> None:
    """Move ``c`` along as its fate says, with realistic times."""
    received = c.received_at
    fate = rng.random()
    age = now - received
    if age < timedelta(days=1) or fate < 0.12:
        return  # still waiting for a response
    handler = company_user if c.company_id and company_user and company_user.company_id == c.company_id else None
    actor = handler or officer
    services.transition(c, State.RESPONDED, actor=actor, text="已收到，安排人员核实处理。")
    c.responded_at = received + timedelta(hours=rng.choice((2, 5, 20, 30, 40)))
    if fate < 0.25:
        return
    services.transition(c, State.RESOLVED, actor=actor, text="已处理完毕，现场照片已存档。")
    c.resolved_at = received + timedelta(days=rng.choice((1, 2, 3, 4, 6, 9)))
    if fate < 0.4:
        return
    satisfaction = rng.choices(list(Satisfaction), weights=(6, 3, 1))[0]
    services.transition(c, State.CALLED_BACK, actor=supervisor, satisfaction=satisfaction,
                        text=WORDS[satisfaction.value])
    c.called_back_at = c.resolved_at + timedelta(days=1)
    if satisfaction is Satisfaction.UNSATISFIED:
        services.transition(c, State.ASSIGNED, actor=supervisor, text="业主不满意，重新办理。")
        return
    if fate > 0.6:
        services.transition(c, State.CLOSED, actor=supervisor)


def seed_demo(rng: random.Random) -> None:
    if db.session.scalar(select(func.count(Complaint.id))):
        return
    estates = list(db.session.scalars(select(Estate).where(Estate.archived_at.is_(None)).order_by(Estate.id)))
    officer, street, company_user = _user("officer"), _user("street"), _user("company")
    if not estates or officer is None:
        return
    today = local_today()
    now = datetime.combine(today, time(9, 0), tzinfo=LOCAL_TZ)
    mine = [e for e in estates if company_user and e.company_id == company_user.company_id] or estates[:3]
    ticket = 0
    for n in range(90):
        estate = rng.choice(mine) if n % 3 == 0 else rng.choice(estates)
        is_repair = n % 5 == 4
        category, text = rng.choice(REPAIRS if is_repair else PROBLEMS)
        channel = rng.choice((Channel.HOTLINE, Channel.HOTLINE, Channel.PHONE, Channel.ONLINE, Channel.STREET))
        received = now - timedelta(days=rng.randint(0, 95), hours=rng.randint(0, 10))
        ticket_no = None
        if channel is Channel.HOTLINE:
            ticket += 1
            ticket_no = f"GD{received:%Y%m%d}{ticket:04d}"
        c = services.receive(
            channel=channel, kind=Kind.REPAIR if is_repair else Kind.COMPLAINT, category=category,
            description=f"{estate.name}：{text}", estate=estate,
            urgency=Urgency.URGENT if rng.random() < 0.1 else Urgency.ORDINARY, received_at=received,
            ticket_no=ticket_no, name=rng.choice(SURNAMES) + "先生", phone=_phone(rng),
            address=estate.address if channel is Channel.HOTLINE else None,
            match_confidence=95 if channel is Channel.HOTLINE else None, actor=officer)
        supervisor = street if street is not None and street.street_id == c.street_id else officer
        _handle(c, rng, now, company_user, supervisor, officer)
    for n, address in enumerate(UNMATCHED_ADDRESSES, 1):
        services.receive(channel=Channel.HOTLINE, category="其他", description=f"{address}路面塌陷，物业不管。",
                         received_at=now - timedelta(hours=n * 5), ticket_no=f"GD{today:%Y%m%d}Q{n:03d}",
                         name="市民", phone=_phone(rng), address=address, match_confidence=30, actor=officer)
    db.session.flush()
    # One complaint verified as true: a rectification item in the estate's 日常监管 and a credit proposal.
    candidate = db.session.scalar(select(Complaint).where(
        Complaint.kind == Kind.COMPLAINT, Complaint.state.in_([State.RESOLVED, State.CALLED_BACK, State.CLOSED]),
        Complaint.company_id.is_not(None), Complaint.repeat_of_id.is_(None)).order_by(Complaint.id).limit(1))
    if candidate is not None:
        try:
            services.verify(candidate, valid=True, actor=officer, note="现场核查属实。")
        except DomainError:  # no credit rule set loaded: the demo goes on without the proposal
            pass
