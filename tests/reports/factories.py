"""Campaign records built directly through the models, for the reports tests."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from supervision.campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    Campaign,
    CampaignPhase,
    CampaignStatus,
    ChecklistTemplate,
    Enrolment,
    EnrolmentStatus,
    ItemSource,
    ItemState,
    PhaseKind,
    RectificationItem,
    SelfInspection,
    SelfInspectionStatus,
    SurveyRecord,
)
from supervision.core.timeutil import LOCAL_TZ
from supervision.extensions import db
from supervision.reports.models import ReportStatus, WeeklyReport
from supervision.reports.weeks import Week, due_at_for

from ..factories import gen_estate

_counter = itertools.count(1)


def local(y, m, d, hh=12, mm=0, ss=0) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=LOCAL_TZ)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def gen_campaign(*, starts_on=date(2026, 8, 3), ends_on=date(2026, 12, 31), status=CampaignStatus.ACTIVE,
                 report_figures=None, **kw) -> Campaign:
    n = next(_counter)
    campaign = Campaign(name=kw.pop("name", f"无物业小区清零行动{n}"), year=kw.pop("year", starts_on.year),
                        status=status, report_figures=report_figures if report_figures is not None else [],
                        **kw)
    middle = starts_on + (ends_on - starts_on) / 2
    campaign.phases = [
        CampaignPhase(position=1, kind=PhaseKind.SURVEY, name="调研摸底", starts_on=starts_on, ends_on=middle),
        CampaignPhase(position=2, kind=PhaseKind.RECTIFICATION, name="推进落实", starts_on=middle + timedelta(days=1),
                      ends_on=ends_on),
    ]
    campaign.created_at = utc(local(starts_on.year, starts_on.month, starts_on.day, 9))
    return _add(campaign)


def gen_enrolment(campaign, estate=None, *, street=None, enrolled_at=None, status=EnrolmentStatus.ACTIVE,
                  **kw) -> Enrolment:
    estate = estate or gen_estate(street)
    return _add(Enrolment(campaign_id=campaign.id, estate_id=estate.id, street_id=estate.street_id,
                          company_id=estate.company_id, status=status,
                          enrolled_at=enrolled_at or utc(local(2026, 8, 3, 9)), **kw))


def gen_survey(enrolment, surveyed_on: date, **kw) -> SurveyRecord:
    return _add(SurveyRecord(enrolment_id=enrolment.id, surveyed_on=surveyed_on, **kw))




def gen_self_inspection(enrolment, submitted_at: datetime | None, **kw) -> SelfInspection:
    template = db.session.scalar(db.select(ChecklistTemplate).limit(1))
    if template is None:
        template = _add(ChecklistTemplate(code=f"tpl{next(_counter)}", name="自查表"))
    return _add(SelfInspection(enrolment_id=enrolment.id, template_id=template.id,
                               status=SelfInspectionStatus.SUBMITTED if submitted_at else SelfInspectionStatus.DRAFT,
                               submitted_at=submitted_at, **kw))


def gen_item(campaign, enrolment, *, opened_at: datetime, deadline: date, accepted_at: datetime | None = None,
             **kw) -> RectificationItem:
    return _add(RectificationItem(
        campaign_id=campaign.id, enrolment_id=enrolment.id, estate_id=enrolment.estate_id,
        street_id=enrolment.street_id, company_id=enrolment.company_id, source=ItemSource.SURVEY,
        category="环境卫生", description=kw.pop("description", "楼道堆放杂物"), deadline=deadline,
        state=ItemState.ACCEPTED if accepted_at else kw.pop("state", ItemState.OPEN),
        opened_at=opened_at, accepted_at=accepted_at, **kw))


def gen_acceptance(enrolment, inspected_on: date, verdict=AcceptanceVerdict.PASSED, **kw) -> Acceptance:
    return _add(Acceptance(enrolment_id=enrolment.id, inspected_on=inspected_on, verdict=verdict, **kw))


def gen_report(campaign, street, week: Week, *, status=ReportStatus.DRAFT, submitted_at=None, **kw) -> WeeklyReport:
    report = WeeklyReport(
        campaign_id=campaign.id, street_id=street.id, iso_year=week.iso_year, iso_week=week.iso_week,
        week_start=week.monday, due_at=due_at_for(campaign, week), status=status,
        entered_figures=kw.pop("entered_figures", []), first_submitted_at=submitted_at, submitted_at=submitted_at,
        submission_count=1 if submitted_at else 0, return_count=0,
        system_figures=kw.pop("system_figures", {} if submitted_at else None), **kw)
    return _add(report)


def campaign_world(world, *, estates_per_street=(1, 1), **kw):
    """A running campaign with the world's estates (and more) enrolled."""
    campaign = gen_campaign(**kw)
    enrolments = [gen_enrolment(campaign, world.estate1), gen_enrolment(campaign, world.estate2)]
    for street, extra in ((world.street1, estates_per_street[0] - 1), (world.street2, estates_per_street[1] - 1)):
        community = world.community1 if street is world.street1 else world.community2
        for _ in range(extra):
            enrolments.append(gen_enrolment(campaign, gen_estate(community=community)))
    db.session.commit()
    return campaign, enrolments


__all__ = [
    "campaign_world",
    "gen_acceptance",
    "gen_campaign",
    "gen_enrolment",
    "gen_item",
    "gen_report",
    "gen_self_inspection",
    "gen_survey",
    "local",
    "time",
    "utc",
]
