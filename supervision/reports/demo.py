"""Demo weekly reports: for every running campaign with enrolments, a realistic
spread over the past weeks — most on time, a few late, one returned, some
missing — and this week's report in draft for some streets.

Deterministic (each cell's fate is drawn from its own generator, seeded by the
campaign, street and week, whether or not its row already exists) and
idempotent (an existing report is never touched).
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..auth.roles import Role
from ..campaigns.models import Campaign, CampaignStatus, Enrolment
from ..core.timeutil import LOCAL_TZ, to_local, utcnow
from ..estates.models import Estate
from ..extensions import db
from .figures import figure_definitions, figures_by_street
from .models import ReportStatus, ReportTransition, WeeklyReport
from .services.grid import report_grid
from .services.periods import campaign_weeks

DEMO_WEEKS = 10

PROGRESS = (
    "本周完成{estate}的入户摸底，逐户登记房屋和居住情况，梳理出公共设施问题{n}项，已建立问题台账。",
    "召开{estate}业主代表座谈会，就引入物业服务企业征求意见，{n}成以上业主表示同意，下步组织书面表决。",
    "会同社区对{estate}开展环境卫生集中整治，清理楼道堆放杂物和违规停放车辆，更换损坏路灯{n}盏。",
    "{estate}由街道物业服务中心临时托管，已落实保洁、秩序维护人员，签订临时服务协议。",
    "督促物业企业对{estate}消防设施开展自查，发现问题{n}处，已全部建立整改清单并明确责任人和时限。",
    "指导{estate}成立业主委员会筹备组，完成筹备组成员公示，拟于下月召开首次业主大会。",
)
PROBLEMS = (
    "无",
    "{estate}部分业主对物业收费标准有异议，需区发改局给予收费指导。",
    "{estate}二次供水设施老化，需区水务局协调供水单位接管。",
    "无",
    "{estate}开发建设单位遗留问题较多，需区住建局约谈开发企业。",
)
PLANS = (
    "继续推进{estate}物业管理全覆盖，完成剩余小区的方案制定。",
    "组织{estate}业主书面表决，确定管理模式。",
    "对已整改的问题开展“回头看”，确保整改到位。",
    "配合区住建局对{estate}开展验收，准备验收材料。",
)
RETURN_COMMENT = "入户走访户数与附件台账不一致，请核实后重新报送，并补充现场照片。"


def _estate_names(campaign_id: int) -> dict[int, list[str]]:

    names: dict[int, list[str]] = {}
    rows = db.session.execute(select(Enrolment.street_id, Estate.name).join(Estate, Estate.id == Enrolment.estate_id)
                              .where(Enrolment.campaign_id == campaign_id).order_by(Estate.name))
    for street_id, name in rows:
        names.setdefault(street_id, []).append(name)
    return names


def _office_time(due, hours: int, *, late: bool):
    """A plausible submission time: office hours on or before the due day, or after it when late."""
    local_due = to_local(due)
    if late:
        day = local_due.date() + timedelta(days=hours % 3)
        earliest = local_due + timedelta(minutes=20) if day == local_due.date() else None
        at = datetime.combine(day, time(8 + hours % 10, (hours * 7) % 60), tzinfo=LOCAL_TZ)
        return max(at, earliest) if earliest else at
    day = local_due.date() - timedelta(days=1 if hours > 30 else 0)
    at = datetime.combine(day, time(9 + hours % 8, (hours * 11) % 60), tzinfo=LOCAL_TZ)
    return min(at, local_due - timedelta(minutes=5))


def seed_demo(rng) -> None:
    base = rng.randrange(1 << 30)
    now = utcnow()
    today = to_local(now).date()
    street_users = {u.street_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.STREET_OFFICER).order_by(User.id))}
    demo_streets = {u.street_id for u in street_users.values() if u.username == "street"}
    officer = db.session.scalar(select(User).where(User.role == Role.BUREAU_OFFICER).order_by(User.id).limit(1))
    campaigns = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)
                                   .order_by(Campaign.id)).all()
    for campaign in campaigns:
        weeks = campaign_weeks(campaign, today)[-DEMO_WEEKS:]
        if not weeks:
            continue
        grid = report_grid(campaign, weeks, now=now)
        if not grid.rows:
            continue
        names = _estate_names(campaign.id)
        definitions = figure_definitions(campaign)
        returned_done = db.session.scalar(select(WeeklyReport.id).where(
            WeeklyReport.campaign_id == campaign.id, WeeklyReport.return_count > 0).limit(1)) is not None
        for index in reversed(range(len(weeks))):  # newest first, so the return falls on a recent week
            week = weeks[index]
            due = grid.due[week]
            live = None
            for row in grid.rows:
                cell = row.cells[index]
                if not cell.expected or cell.report_id is not None:
                    continue
                cell_rng = random.Random(f"{base}:{campaign.name}:{row.street.name}:{week}")
                draw = cell_rng.random()
                hours = cell_rng.randint(1, 40)
                picks = [cell_rng.randrange(1000) for _ in range(4)]
                values = [cell_rng.randint(0, 6), cell_rng.randint(20, 260), cell_rng.randint(0, 3),
                          cell_rng.randint(0, 5)] + [cell_rng.randint(0, 10) for _ in definitions[4:]]
                if due > now:
                    # This week's report, not yet due: the demo street user finds it started; others half the time.
                    fate = "draft" if draw < 0.5 or row.street.id in demo_streets else None
                elif draw < 0.72:
                    fate = "on_time"
                elif draw < 0.84:
                    fate = "late"
                elif draw < 0.92:
                    fate = None  # missing
                else:
                    fate = "missing_draft"
                if fate == "on_time" and not returned_done and index < len(weeks) - 1:
                    fate, returned_done = "returned", True
                if fate is None:
                    continue
                if live is None:
                    live = figures_by_street(campaign, week, now=min(now, due))
                estates = names.get(row.street.id) or [row.street.name]
                estate = estates[picks[0] % len(estates)]
                user = street_users.get(row.street.id)
                report = WeeklyReport(
                    campaign_id=campaign.id, street_id=row.street.id, iso_year=week.iso_year, iso_week=week.iso_week,
                    week_start=week.monday, due_at=due, status=ReportStatus.DRAFT,
                    entered_figures=[dict(d, value=values[i]) for i, d in enumerate(definitions)],
                    progress=PROGRESS[picks[1] % len(PROGRESS)].format(estate=estate, n=hours % 9 + 2),
                    problems=PROBLEMS[picks[2] % len(PROBLEMS)].format(estate=estate),
                    next_week_plan=PLANS[picks[3] % len(PLANS)].format(estate=estate),
                    contact_person=user.display_name if user else f"{row.street.name}物业办",
                    contact_phone=(user.phone if user else None), created_by_id=user.id if user else None,
                    submission_count=0, return_count=0,
                )
                started = week.start_utc + timedelta(days=1, hours=9)  # Tuesday 09:00
                report.transitions.append(ReportTransition(from_status=None, to_status=ReportStatus.DRAFT,
                                                           at=started, by_id=report.created_by_id))
                if fate in ("on_time", "late", "returned"):
                    sent_at = _office_time(due, hours, late=(fate == "late"))
                    sent_at = max(min(sent_at, now), started + timedelta(minutes=30))
                    report.status = ReportStatus.SUBMITTED
                    report.first_submitted_at = report.submitted_at = sent_at
                    report.submitted_by_id = report.created_by_id
                    report.submission_count = 1
                    report.system_figures = live.get(row.street.id) or {}
                    report.figures_at = sent_at
                    report.transitions.append(ReportTransition(
                        from_status=ReportStatus.DRAFT, to_status=ReportStatus.SUBMITTED, at=sent_at,
                        by_id=report.created_by_id))
                    if fate == "returned":
                        returned_at = min(sent_at + timedelta(hours=20), now)
                        report.status = ReportStatus.RETURNED
                        report.returned_at = returned_at
                        report.returned_by_id = officer.id if officer else None
                        report.return_comment = RETURN_COMMENT
                        report.return_count = 1
                        report.transitions.append(ReportTransition(
                            from_status=ReportStatus.SUBMITTED, to_status=ReportStatus.RETURNED, at=returned_at,
                            by_id=report.returned_by_id, comment=RETURN_COMMENT))
                db.session.add(report)
        db.session.flush()
