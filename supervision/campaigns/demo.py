"""Demo campaigns for ``flask seed demo``: one finished last year and one in mid-
rectification now, built through the services (so every record has its audit
rows, transitions and evidence), then dated back to when it would have happened.

Deterministic (the generator passed in) and idempotent (a campaign that exists
is left alone). Works with whatever estates exist: when the registries have not
seeded the district (< 20 estates) a handful of estates is created by name.
Companies without an account of their own fill their self-inspection through a
stand-in actor, and the bureau answers items for streets without an account.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from ..auth.models import User
from ..auth.roles import Role
from ..companies.models import Company
from ..core.timeutil import LOCAL_TZ, local_today
from ..core.workdays import add_workdays, is_workday
from ..estates.models import Estate, ManagementMode
from ..extensions import db
from ..regions.models import Community, Street
from ..reports.weeks import Week
from .models import (
    AcceptanceVerdict,
    Campaign,
    CampaignScheme,
    ChecklistKind,
    ChecklistTemplate,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    ItemTransition,
    RectificationItem,
    ResponsibleParty,
    SelfInspection,
    Severity,
    SpotCheckSample,
)
from .services import (
    acceptance,
    campaigns,
    enrolment,
    items,
    notices,
    sampling,
    self_inspection,
    spot_checks,
    survey,
)
from .services.survey import ProblemInput
from .services.sweep import sweep_overdue

ACTIVE_NAME = "物业服务质量专项整治行动"
FINISHED_NAME = "居民小区物业管理问题排查整改"
DRAFT_NAME = "“安全优质”月安全检查"
DEMO_COMPANY = "示范安居物业服务有限公司"

DEMO_ESTATES = [
    # (street, community, name, address, mode, demo company?, old, households)
    ("东城街道", "东风社区", "阳光花园", "东城街道建设路12号", "professional", True, False, 860),
    ("东城街道", "东风社区", "东风新村", "东城街道东风路3号", "professional", True, True, 420),
    ("东城街道", "朝阳社区", "朝阳里小区", "东城街道朝阳路88号", "professional", True, True, 310),
    ("东城街道", "建设社区", "建设大院", "东城街道建设路101号", "professional", True, True, 260),
    ("东城街道", "光明社区", "光明苑", "东城街道光明街6号", "professional", True, False, 1200),
    ("东城街道", "幸福社区", "幸福家园", "东城街道幸福大道9号", "professional", True, False, 980),
    ("东城街道", "朝阳社区", "锦华小区", "东城街道锦华巷2号", "professional", True, False, 540),
    ("东城街道", "光明社区", "和园", "东城街道光明街28号", "professional", True, False, 660),
    ("西城街道", "西湖社区", "西湖人家", "西城街道西湖路17号", "none", False, True, 180),
    ("西城街道", "民主社区", "民主里", "西城街道民主街5号", "community_trust", False, True, 240),
    ("西城街道", "团结社区", "团结新村", "西城街道团结路40号", "street_centre", False, True, 390),
    ("南湖街道", "湖滨社区", "湖滨花苑", "南湖街道湖滨路66号", "owners_self", False, False, 350),
]

PROBLEMS = [
    ("消防安全", "3号楼消防通道堆放杂物，占用疏散通道", Severity.SERIOUS),
    ("消防安全", "部分楼层灭火器压力不足、过期未更换", Severity.SERIOUS),
    ("消防安全", "地下车库电动车违规充电，私拉电线", Severity.CRITICAL),
    ("环境卫生", "垃圾分类投放点脏乱，未按时清运", Severity.GENERAL),
    ("环境卫生", "楼道内有小广告和卫生死角", Severity.GENERAL),
    ("设施设备", "小区路灯多处不亮，夜间照明不足", Severity.GENERAL),
    ("设施设备", "二次供水水箱清洗消毒记录缺失", Severity.SERIOUS),
    ("设施设备", "单元门禁损坏未修复", Severity.GENERAL),
    ("电梯管理", "2号楼电梯检验合格标志过期未公示", Severity.SERIOUS),
    ("停车秩序", "车辆乱停乱放，占用绿地和消防车道", Severity.GENERAL),
    ("绿化养护", "绿化带黄土裸露，缺少日常养护", Severity.GENERAL),
    ("客户服务", "未公示收费标准和投诉电话", Severity.GENERAL),
    ("房屋本体", "屋面防水层老化，顶层住户反映渗漏", Severity.SERIOUS),
    ("安全防范", "监控设备部分损坏，录像保存不足30天", Severity.GENERAL),
]

RESPONSES = [
    "已清理完毕，并安排专人每日巡查，张贴禁止堆放告示。",
    "已全部更换，建立检查台账，每月检查一次。",
    "已拆除私拉电线，增设集中充电桩12个。",
    "已维修更换，并建立巡查记录。",
    "已委托专业单位处理，附检测报告和现场照片。",
]


@dataclass
class StandIn:
    """Acts for a company that has no account of its own (demo only)."""
    id: None
    role: Role
    company_id: int
    street_id: None = None


def _dt(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LOCAL_TZ)


def _photo(rng, label: int) -> bytes:

    img = Image.new("RGB", (640, 480), (rng.randrange(120, 220), rng.randrange(120, 220), rng.randrange(120, 220)))
    draw = ImageDraw.Draw(img)
    for _n in range(6):
        x, y = rng.randrange(0, 560), rng.randrange(0, 400)
        draw.rectangle([x, y, x + rng.randrange(30, 80), y + rng.randrange(30, 80)],
                       fill=(rng.randrange(0, 255), rng.randrange(0, 255), rng.randrange(0, 255)))
    draw.text((20, 20), f"DEMO #{label}", fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


class _Upload:
    """A stand-in for werkzeug's FileStorage."""

    def __init__(self, data: bytes, filename: str):
        self._data, self.filename = data, filename

    def read(self):
        return self._data


# --- estates -------------------------------------------------------------------------

def _ensure_estates() -> None:
    if (db.session.scalar(select(func.count(Estate.id))) or 0) >= 20:
        return
    company = db.session.scalar(select(Company).where(Company.name == DEMO_COMPANY))
    streets = {s.name: s for s in db.session.scalars(select(Street))}
    for street_name, community_name, name, address, mode, managed, old, households in DEMO_ESTATES:
        street = streets.get(street_name)
        if street is None:
            continue
        if db.session.scalar(select(Estate.id).where(Estate.street_id == street.id, Estate.name == name)):
            continue
        community = db.session.scalar(select(Community).where(Community.street_id == street.id,
                                                              Community.name == community_name))
        if community is None:
            continue
        db.session.add(Estate(
            name=name, address=address, street_id=street.id, community_id=community.id,
            company_id=company.id if managed and company else None, management_mode=ManagementMode(mode),
            is_old=old, households=households, buildings=max(2, households // 90),
            year_built=1992 if old else 2008, floor_area=Decimal(households * 85)))
    db.session.flush()


# --- helpers ---------------------------------------------------------------------------

class Demo:
    def __init__(self, rng):
        self.rng = rng
        users = {u.username: u for u in db.session.scalars(select(User))}
        self.officer = users.get("officer") or next(
            (u for u in users.values() if u.role in (Role.BUREAU_OFFICER, Role.BUREAU_ADMIN)), None)
        self.company_users = {}
        self.street_users = {}
        for user in users.values():
            if user.role is Role.COMPANY_USER and user.active:
                self.company_users.setdefault(user.company_id, user)
            if user.role is Role.STREET_OFFICER and user.active:
                self.street_users.setdefault(user.street_id, user)
        self.photo_count = 0

    def company_actor(self, company_id):
        return self.company_users.get(company_id) or StandIn(id=None, role=Role.COMPANY_USER, company_id=company_id)

    def answerer(self, item):
        if item.responsible_party is ResponsibleParty.COMPANY and item.company_id:
            return self.company_actor(item.company_id)
        return self.street_users.get(item.street_id) or self.officer

    def surveyor(self, enrolment_):
        return self.street_users.get(enrolment_.street_id) or self.officer

    def photo(self):
        self.photo_count += 1
        return _Upload(_photo(self.rng, self.photo_count), f"现场照片{self.photo_count:03d}.jpg")

    def problems(self, n, has_company, days):
        chosen = self.rng.sample(PROBLEMS, n)
        party = ResponsibleParty.COMPANY if has_company else ResponsibleParty.STREET
        return [ProblemInput(category=c, description=d, severity=s, responsible_party=party, deadline_workdays=days)
                for c, d, s in chosen]

    # times ---------------------------------------------------------------------------

    def retime(self, item: RectificationItem, days: list[date]) -> None:
        """Date the item's history back: the n-th transition happened on days[n]."""
        rows = list(db.session.scalars(select(ItemTransition).where(ItemTransition.item_id == item.id)
                                       .order_by(ItemTransition.id)))
        for index, row in enumerate(rows):
            day = days[min(index, len(days) - 1)]
            row.at = _dt(day, 9 + min(index, 8))
        item.opened_at = rows[0].at
        if item.notice_id is None:
            item.deadline = add_workdays(days[0], item.deadline_workdays)
        item.started_at = item.submitted_at = item.rejected_at = item.accepted_at = None
        item.submitted_on = None
        for row in rows[1:]:
            if row.to_state is ItemState.IN_PROGRESS and item.started_at is None:
                item.started_at = row.at
            elif row.to_state is ItemState.SUBMITTED:
                item.submitted_at, item.submitted_on = row.at, row.at.astimezone(LOCAL_TZ).date()
            elif row.to_state is ItemState.REJECTED:
                item.rejected_at = row.at
            elif row.to_state is ItemState.ACCEPTED:
                item.accepted_at = row.at
        if item.state is not ItemState.ACCEPTED:
            item.accepted_at = None
        item.state_since = rows[-1].at

    def answer(self, item, day):
        actor = self.answerer(item)
        items.submit_answer(item, actor=actor, response=self.rng.choice(RESPONSES), files=[self.photo()],
                            fact_date=min(day, local_today()))

    def drive(self, item, target: str, opened: date, today: date):
        """Move an item to one of: open, in_progress, submitted, rejected, accepted, rework."""
        span = max(1, (today - opened).days)
        steps = sorted({opened + timedelta(days=max(1, int(span * f))) for f in (0.2, 0.45, 0.65, 0.85)})
        steps = [min(d, today) for d in steps]
        while len(steps) < 4:
            steps.append(today)
        days = [opened]
        if target == "open":
            pass
        elif target == "in_progress":
            items.transition(item, ItemState.IN_PROGRESS, actor=self.answerer(item))
            days += [steps[0]]
        elif target in ("submitted", "accepted", "rejected", "rework"):
            self.answer(item, steps[1])
            days += [steps[0], steps[1]]
            if target == "accepted":
                items.transition(item, ItemState.ACCEPTED, actor=self.officer, comment="现场核查已整改到位")
                days += [steps[2]]
            elif target in ("rejected", "rework"):
                items.transition(item, ItemState.REJECTED, actor=self.officer,
                                 comment="佐证材料不足，现场仍有问题，请继续整改")
                days += [steps[2]]
                if target == "rework":
                    items.transition(item, ItemState.IN_PROGRESS, actor=self.answerer(item))
                    days += [steps[3]]
        self.retime(item, days)


# --- the finished campaign ---------------------------------------------------------------------

def _finished_campaign(demo: Demo, estates: list[Estate], today: date) -> None:
    scheme = db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == "p12_rectification",
                                                            CampaignScheme.active.is_(True)))
    year = today.year - 1
    start = date(year, 5, 10)
    campaign = campaigns.create_campaign(
        name=FINISHED_NAME, year=year, scheme=scheme, starts_on=start, actor=demo.officer,
        description="对开发建设遗留问题、物业管理和住宅小区存在的问题拉网式排查，登记造册，逐项整改，逐个验收销号。",
        default_deadline_workdays=20)
    enrolment.enrol(campaign, estates, actor=demo.officer)
    campaigns.activate(campaign, actor=demo.officer)
    db.session.flush()
    survey_end = campaign.phases[0].ends_on
    accept_start = campaign.phases[-1].starts_on
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.campaign_id == campaign.id)
                                    .order_by(Enrolment.id)).all()
    for e in enrolments:
        e.enrolled_at = _dt(start - timedelta(days=3))
    for index, e in enumerate(enrolments):
        surveyed_on = start + timedelta(days=demo.rng.randrange(0, (survey_end - start).days))
        s = survey.record_survey(e, actor=demo.surveyor(e), surveyed_on=surveyed_on,
                                 management_mode=e.estate.management_mode, company_id=e.estate.company_id,
                                 committee_status=None, notes="拉网式排查，问题已登记造册。",
                                 problems=demo.problems(demo.rng.randint(1, 3), e.company_id is not None, 20))
        s.created_at = _dt(surveyed_on)
        found = db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == e.id)).all()
        for item in found:
            demo.retime(item, [surveyed_on])
        issued = surveyed_on + timedelta(days=7)
        notices.issue_notice(estate=e.estate, items=found, actor=demo.officer, deadline_workdays=30,
                             campaign=campaign, issued_on=issued)
        for item in found:
            done = issued + timedelta(days=demo.rng.randrange(10, 60))
            demo.answer(item, done)
            items.transition(item, ItemState.ACCEPTED, actor=demo.officer, comment="复查合格")
            demo.retime(item, [surveyed_on, done - timedelta(days=5), done, done + timedelta(days=4)])
        inspected = accept_start + timedelta(days=demo.rng.randrange(0, 10))
        if index == 1 and found:
            # One estate failed its first acceptance: one item reopened, then accepted again.
            first = acceptance.record_acceptance(
                e, actor=demo.officer, inspected_on=inspected - timedelta(days=5),
                verdict=AcceptanceVerdict.FAILED, remarks="消防通道仍有杂物，限期复查。",
                item_verdicts={i.id: acceptance.ItemVerdictInput(i is not found[0], "仍有杂物" if i is found[0] else "")
                               for i in found}, reopen_deadline_workdays=5)
            first.created_at = _dt(inspected - timedelta(days=5))
            reopened = found[0]
            items.transition(reopened, ItemState.IN_PROGRESS, actor=demo.answerer(reopened))
            demo.answer(reopened, inspected - timedelta(days=2))
            items.transition(reopened, ItemState.ACCEPTED, actor=demo.officer, comment="复查合格")
            history = [surveyed_on, inspected - timedelta(days=40), inspected - timedelta(days=30),
                       inspected - timedelta(days=25), inspected - timedelta(days=5), inspected - timedelta(days=4),
                       inspected - timedelta(days=3), inspected - timedelta(days=2), inspected - timedelta(days=1)]
            demo.retime(reopened, history)
        acceptance.record_acceptance(
            e, actor=demo.officer, inspected_on=inspected, verdict=AcceptanceVerdict.PASSED,
            remarks="现场检查、岗位询问、业主回访，整改到位，同意销号。",
            item_verdicts={i.id: acceptance.ItemVerdictInput(True, "整改到位") for i in found})
        e.closed_at = _dt(inspected, 16)
    campaigns.close(campaign, actor=demo.officer)


# --- the campaign in mid-rectification ------------------------------------------------------------

PROFILES = [  # (name, weight)
    ("unsurveyed", 8), ("self_inspection", 10), ("rectifying", 52), ("awaiting_acceptance", 10),
    ("failed_acceptance", 5), ("closed", 15),
]


FIRST_PROFILES = ["rectifying", "unsurveyed", "self_inspection", "rectifying", "awaiting_acceptance", "closed",
                  "rectifying", "failed_acceptance"]


def _pick_profile(rng) -> str:
    total = sum(w for _n, w in PROFILES)
    roll = rng.uniform(0, total)
    for name, weight in PROFILES:
        roll -= weight
        if roll <= 0:
            return name
    return PROFILES[-1][0]


def _fill_self_inspection(demo: Demo, e: Enrolment, day: date, submit: bool) -> SelfInspection:
    actor = demo.company_actor(e.company_id)
    si = self_inspection.start(e, actor=actor)
    failing = set(demo.rng.sample(range(len(si.template.offered_items)), demo.rng.randint(2, 5)))
    raw, remarks = {}, {}
    for index, item in enumerate(si.template.offered_items):
        fail = index in failing
        if item.kind is ChecklistKind.YES_NO:
            raw[item.id] = "否" if fail else "是"
        elif item.kind in (ChecklistKind.PERCENT, ChecklistKind.COUNT):
            threshold = item.threshold or Decimal(0)
            if item.comparator == "<=":
                value = threshold + 5 if fail else max(Decimal(0), threshold - demo.rng.randint(0, int(threshold) or 1))
            else:
                value = max(Decimal(0), threshold - demo.rng.randint(1, 10)) if fail else threshold + (
                    0 if item.kind is ChecklistKind.PERCENT and threshold >= 100 else demo.rng.randint(0, 3))
            if item.kind is ChecklistKind.PERCENT:
                value = min(Decimal(100), value)
            raw[item.id] = str(int(value))
        else:
            raw[item.id] = "部分楼栋外墙脱落，已列入明年维修计划。"
        if fail:
            remarks[item.id] = "正在联系维修单位"
    outcome = self_inspection.save_answers(si, raw, remarks, actor=actor)
    assert not outcome.errors, outcome.errors
    if submit:
        self_inspection.submit(si, actor=actor)
        si.submitted_at = si.first_submitted_at = _dt(day, 15)
        for item in db.session.scalars(select(RectificationItem).where(
                RectificationItem.enrolment_id == e.id, RectificationItem.source == ItemSource.SELF_INSPECTION)):
            demo.retime(item, [day])
    return si


def _active_campaign(demo: Demo, estates: list[Estate], today: date) -> None:
    scheme = db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == "four_phase",
                                                            CampaignScheme.active.is_(True)))
    template = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.code == "pm_self_inspection")
                                 .order_by(ChecklistTemplate.version.desc()))
    start = today - timedelta(days=60)
    campaign = campaigns.create_campaign(
        name=ACTIVE_NAME, year=today.year, scheme=scheme, starts_on=start, checklist_template=template,
        actor=demo.officer, requires_signed_scan=False, default_deadline_workdays=15,
        description="全区住宅小区物业服务质量专项整治：街道摸底、企业对照自查检查表自查自纠、限期整改、逐个验收销号。")
    # Today falls in the rectification phase; the acceptance phase follows it.
    phases = campaign.phases
    windows = [(start, start + timedelta(days=20)), (start + timedelta(days=14), start + timedelta(days=38)),
               (start + timedelta(days=36), today + timedelta(days=30)), (today + timedelta(days=31),
                                                                          today + timedelta(days=55))]
    for phase, (begin, end) in zip(phases, windows):
        phase.starts_on, phase.ends_on = begin, end
    enrolment.enrol(campaign, estates, actor=demo.officer)
    campaigns.activate(campaign, actor=demo.officer)
    db.session.flush()
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.campaign_id == campaign.id)
                                    .order_by(Enrolment.id)).all()
    for e in enrolments:
        e.enrolled_at = _dt(start - timedelta(days=3))
    survey_start, survey_end = windows[0]
    si_start, si_end = windows[1]
    rect_start = windows[2][0]
    for index, e in enumerate(enrolments):
        # Every stage shows up even in a small district; beyond that, by weight.
        profile = FIRST_PROFILES[index] if index < len(FIRST_PROFILES) else _pick_profile(demo.rng)
        if index == len(enrolments) - 1 and len(enrolments) > 4:
            enrolment.withdraw(e, reason="小区已整体纳入城市更新改造项目，退出本次专项行动。", actor=demo.officer)
            continue
        if profile == "unsurveyed":
            continue
        surveyed_on = survey_start + timedelta(days=demo.rng.randrange(0, (survey_end - survey_start).days))
        problems = demo.problems(demo.rng.randint(0, 2), e.company_id is not None, 15)
        s = survey.record_survey(e, actor=demo.surveyor(e), surveyed_on=surveyed_on,
                                 management_mode=e.estate.management_mode, company_id=e.estate.company_id,
                                 committee_status=None, notes="已实地摸底，核实管理方式和物业企业。",
                                 problems=problems)
        s.created_at = _dt(surveyed_on)
        for item in db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == e.id)):
            demo.retime(item, [surveyed_on])
        si_day = si_start + timedelta(days=demo.rng.randrange(0, (si_end - si_start).days))
        if e.company_id is not None:
            if profile == "self_inspection":
                si = _fill_self_inspection(demo, e, si_day, submit=demo.rng.random() < 0.4)
                if si.status.value == "submitted":
                    self_inspection.return_for_revision(si, comment="第FAC-04、FIR-06项与现场不符，请核实后重新填报。",
                                                        actor=demo.officer)
                continue
            _fill_self_inspection(demo, e, si_day, submit=True)
        found = db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == e.id)
                                   .order_by(RectificationItem.id)).all()
        if not found:
            found = [items.create_item(estate=e.estate, enrolment=e, source=ItemSource.SURVEY, source_id=s.id,
                                       category=c, description=d, severity=sev, actor=demo.officer,
                                       responsible_party=ResponsibleParty.COMPANY if e.company_id
                                       else ResponsibleParty.STREET, deadline_workdays=15)
                     for c, d, sev in [demo.rng.choice(PROBLEMS)]]
            for item in found:
                demo.retime(item, [surveyed_on])
        opened = max(i.opened_at for i in found).astimezone(LOCAL_TZ).date()
        if demo.rng.random() < 0.7 or profile in ("closed", "failed_acceptance"):
            # Notices go out early in the rectification phase with 20 working days.
            issued = min(today, max(opened + timedelta(days=3), rect_start + timedelta(days=demo.rng.randint(0, 8))))
            notices.issue_notice(estate=e.estate, items=found, actor=demo.officer, deadline_workdays=20,
                                 campaign=campaign, issued_on=issued)
        if profile == "rectifying":
            for item in found:
                target = demo.rng.choices(["open", "in_progress", "submitted", "rejected", "rework", "accepted"],
                                          weights=[18, 22, 20, 6, 6, 28])[0]
                demo.drive(item, target, opened, today)
        elif profile in ("awaiting_acceptance", "closed", "failed_acceptance"):
            for item in found:
                demo.drive(item, "submitted" if profile == "failed_acceptance" else "accepted", opened, today)
            if profile == "closed":
                inspected = today - timedelta(days=demo.rng.randint(1, 6))
                acceptance.record_acceptance(
                    e, actor=demo.officer, inspected_on=inspected,
                    verdict=AcceptanceVerdict.PASSED, remarks="现场检查整改到位，同意销号。",
                    item_verdicts={i.id: acceptance.ItemVerdictInput(True, "整改到位") for i in found})
                e.closed_at = _dt(inspected, 16)
            elif profile == "failed_acceptance":
                acceptance.record_acceptance(
                    e, actor=demo.officer, inspected_on=today - timedelta(days=2), verdict=AcceptanceVerdict.FAILED,
                    remarks="部分问题整改不到位，退回整改。", reopen_deadline_workdays=5,
                    item_verdicts={i.id: acceptance.ItemVerdictInput(n != 0, "现场仍未整改到位" if n == 0 else "通过")
                                   for n, i in enumerate(found)})
    # A few spot checks during rectification, their findings counted towards the campaign.
    enrolled = [e for e in enrolments if e.status.value == "active"]
    for e in demo.rng.sample(enrolled, min(3, len(enrolled))):
        checked_on = today - timedelta(days=demo.rng.randint(3, 12))
        check = spot_checks.record_spot_check(
            estate=e.estate, campaign=campaign, actor=demo.officer, checked_on=checked_on,
            summary="随机抽查，检查消防通道、设施设备和环境卫生。",
            findings=demo.problems(1, e.company_id is not None, 10))
        for item in db.session.scalars(select(RectificationItem).where(
                RectificationItem.source == ItemSource.SPOT_CHECK, RectificationItem.source_id == check.id)):
            demo.retime(item, [checked_on])
    _reopen_one(demo, enrolments)


def _reopen_one(demo: Demo, enrolments: list[Enrolment]) -> None:
    """回头看: an accepted item of a closed (销号) estate found to have rebounded is re-opened with a new
    deadline, so the estate is back in rectification and its acceptance no longer counts."""
    for e in enrolments:
        if e.status is not EnrolmentStatus.CLOSED:
            continue
        item = db.session.scalars(select(RectificationItem).where(
            RectificationItem.enrolment_id == e.id, RectificationItem.state == ItemState.ACCEPTED)
            .order_by(RectificationItem.id).limit(1)).first()
        if item is not None:
            items.transition(item, ItemState.REJECTED, actor=demo.officer, deadline_workdays=10,
                             comment="回头看发现问题反弹：消防通道再次堆放杂物，重新整改。")
            return


def _demo_estates(size: int, own_first: int | None = None) -> list[Estate]:
    """A deterministic choice: the demo company's estates (up to ``own_first`` of them)
    first, then the others by street and name."""
    company_id = db.session.scalar(select(Company.id).where(Company.name == DEMO_COMPANY))
    estates = db.session.scalars(select(Estate).join(Street, Street.id == Estate.street_id)
                                 .where(Estate.archived_at.is_(None)).order_by(Street.name, Estate.name)).all()
    own = [e for e in estates if e.company_id == company_id]
    others = [e for e in estates if e.company_id != company_id]
    return (own[:own_first] + others)[:size]


def _spot_check_rhythm(demo: Demo, today: date) -> None:
    """Routine spot checks in most of the last ten weeks — two left without one, so the rhythm page and
    每周抽查覆盖率 show the gaps — and a risk-weighted sample drawn a week ago, one estate of it checked."""
    estates = _demo_estates(20)
    if not estates:
        return
    week = Week.of(today)
    for back in range(2, 11):
        if back in (4, 7):
            continue
        monday = week.prev(back).monday
        days = [monday + timedelta(days=n) for n in range(5) if is_workday(monday + timedelta(days=n))]
        if days:
            spot_checks.record_spot_check(
                estate=demo.rng.choice(estates), actor=demo.officer, checked_on=demo.rng.choice(days), findings=[],
                summary="日常抽查：检查消防通道、电梯运行记录和环境卫生，未发现问题。")
    drawn_on = week.prev().monday
    sample = sampling.create_sample(actor=demo.officer, size=5, seed=20261207, today=drawn_on)
    sample.created_at = _dt(drawn_on, 9)
    checked_on = next((drawn_on + timedelta(days=n) for n in range(1, 5) if is_workday(drawn_on + timedelta(days=n))),
                      drawn_on)
    spot_checks.record_spot_check(
        estate=db.session.get(Estate, sample.estate_ids[0]), actor=demo.officer, checked_on=checked_on, findings=[],
        sample=sample, summary="按抽查样本现场抽查：查看消防设施和公共区域，情况良好。")


def _draft_campaign(demo: Demo, today: date) -> None:
    """A campaign in preparation from one of the schemes added from the source plans (its own checklist)."""
    scheme = db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == "s8_safety_month",
                                                            CampaignScheme.active.is_(True)))
    if scheme is None:
        return
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    campaigns.create_campaign(
        name=DRAFT_NAME, year=first.year, scheme=scheme, starts_on=first, actor=demo.officer,
        description="加强安全宣传与培训，完善安全制度与管理，检查领导小组每周至少检查一次，发现隐患及时整改。")


def seed_demo(rng) -> None:
    _ensure_estates()
    demo = Demo(rng)
    if demo.officer is None:
        return
    today = local_today()
    total = db.session.scalar(select(func.count(Estate.id))) or 0
    if db.session.scalar(select(Campaign.id).where(Campaign.name == FINISHED_NAME)) is None:
        _finished_campaign(demo, _demo_estates(min(6, total), own_first=3), today)
        db.session.flush()
    if db.session.scalar(select(Campaign.id).where(Campaign.name == ACTIVE_NAME)) is None:
        _active_campaign(demo, _demo_estates(min(60, total)), today)
        db.session.flush()
    if db.session.scalar(select(Campaign.id).where(Campaign.name == DRAFT_NAME)) is None:
        _draft_campaign(demo, today)
        db.session.flush()

        sweep_overdue(today)
    if db.session.scalar(select(SpotCheckSample.id).limit(1)) is None:
        _spot_check_rhythm(demo, today)
        db.session.flush()
