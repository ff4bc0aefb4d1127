"""Preconditions of the browser journeys, built through the services inside the
live server's app (``live_server.app``), where doing them in the browser would
only repeat another journey.

Every builder commits and returns plain values (ids and names), never ORM
objects: the browser then works on the same database through the server. Names
carry a unique token so a journey never meets the rows of another journey or of
an earlier run.
"""
from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from PIL import Image
from sqlalchemy import select

from supervision.extensions import db

DEMO_COMPANY = "示范安居物业服务有限公司"
DEMO_STREET = "东城街道"


def token() -> str:
    """A short unique token for the names a journey creates."""
    return uuid.uuid4().hex[:6].upper()


def jpeg(label: str = "E2E", colour=(40, 120, 200)) -> dict:
    """A small real JPEG, as Playwright's ``set_input_files`` takes it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG", quality=80)
    return {"name": f"{label}.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


class Upload:
    """A stand-in for werkzeug's FileStorage, for services that store files."""

    def __init__(self, data: bytes, filename: str):
        self._data, self.filename = data, filename

    def read(self):
        return self._data


@contextmanager
def app_session(live_server):
    """The live server's app context; commits on success."""
    with live_server.app.app_context():
        try:
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _user(username):
    from supervision.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))


def _demo_company():
    from supervision.companies.models import Company

    return db.session.scalar(select(Company).where(Company.name == DEMO_COMPANY))


def _create_estate(name: str, *, managed: bool = True, street: str = DEMO_STREET):
    from supervision.estates.models import ManagementMode
    from supervision.estates.services import create_estate
    from supervision.regions.models import Community, Street

    community = db.session.scalar(select(Community).join(Street, Street.id == Community.street_id)
                                  .where(Street.name == street).order_by(Community.id).limit(1))
    company = _demo_company() if managed else None
    return create_estate({
        "name": name, "address": f"{street}测试路{name[-3:]}号", "community_id": community.id,
        "company_id": company.id if company else None,
        "management_mode": ManagementMode.PROFESSIONAL if managed else ManagementMode.NONE,
        "households": 320, "buildings": 6, "year_built": 2005,
    }, actor=_user("officer"))


def estates(live_server, *names: str, managed: bool = True) -> list[int]:
    """New estates in 东城街道, managed by the demo company."""
    with app_session(live_server):
        return [_create_estate(name, managed=managed).id for name in names]


@dataclass
class CampaignSetup:
    campaign_id: int
    campaign_name: str
    enrolment_id: int
    estate_id: int
    estate_name: str
    item_ids: list[int]


def running_campaign(live_server, *, scheme: str = "four_phase", surveyed: bool = True, problems: list[str] = (),
                     answered: bool = False, days_ago: int = 30) -> CampaignSetup:
    """An active campaign that started ``days_ago`` days ago with one new estate enrolled
    (enrolled two weeks ago) and, unless ``surveyed`` is false, surveyed by the officer.
    Each of ``problems`` found by the survey becomes an item for the company; with
    ``answered``, the company has answered each of them with a photo (submitted for
    acceptance)."""
    from supervision.campaigns.models import (
        CampaignScheme,
        ChecklistTemplate,
        Enrolment,
        RectificationItem,
    )
    from supervision.campaigns.services import campaigns, enrolment, items, survey
    from supervision.core.timeutil import LOCAL_TZ, local_today

    tag = token()
    with app_session(live_server):
        officer, company_user = _user("officer"), _user("company")
        today = local_today()
        scheme_row = db.session.scalar(select(CampaignScheme).where(CampaignScheme.code == scheme))
        template = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.code == "pm_self_inspection")
                                     .order_by(ChecklistTemplate.version.desc()).limit(1))
        campaign = campaigns.create_campaign(
            name=f"E2E专项行动{tag}", year=today.year, scheme=scheme_row, starts_on=today - timedelta(days=days_ago),
            checklist_template=template, actor=officer, default_deadline_workdays=15)
        estate = _create_estate(f"E2E小区{tag}")
        enrolment.enrol(campaign, [estate], actor=officer)
        campaigns.activate(campaign, actor=officer)
        db.session.flush()
        row = db.session.scalar(select(Enrolment).where(Enrolment.campaign_id == campaign.id))
        row.enrolled_at = datetime.combine(today - timedelta(days=14), time(9), tzinfo=LOCAL_TZ)
        item_ids = []
        if surveyed or problems:
            survey.record_survey(
                row, actor=officer, surveyed_on=today, management_mode=estate.management_mode,
                company_id=estate.company_id, committee_status=None, notes="E2E 摸底",
                problems=[survey.ProblemInput(category="消防安全", description=text, deadline_workdays=15)
                          for text in problems])
            found = db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == row.id)
                                       .order_by(RectificationItem.id)).all()
            item_ids = [item.id for item in found]
            if answered:
                for n, item in enumerate(found, start=1):
                    photo = jpeg(f"整改照片{n}")
                    items.submit_answer(item, actor=company_user, response=f"第{n}项已整改完毕。",
                                        files=[Upload(photo["buffer"], photo["name"])], fact_date=today)
        return CampaignSetup(campaign.id, campaign.name, row.id, estate.id, estate.name, item_ids)


def checklist_answers(live_server, enrolment_id: int, *, failing: str) -> dict[str, str]:
    """For the enrolment's self-inspection form: a passing answer per checklist item
    (by input name ``a_<id>``), except the item with code ``failing``, answered “否”/failing.
    Returns {input name: value}; yes/no values are "yes" or "no"."""
    from supervision.campaigns.models import ChecklistKind, Enrolment

    answers = {}
    with app_session(live_server):
        template = db.session.get(Enrolment, enrolment_id).campaign.checklist_template
        for item in template.items:
            fail = item.code == failing
            if item.kind is ChecklistKind.YES_NO:
                value = "no" if fail else "yes"
            elif item.kind is ChecklistKind.TEXT:
                value = "无其他问题。"
            else:
                threshold = item.threshold or 0
                below = item.comparator == "<="
                if item.kind is ChecklistKind.PERCENT:
                    value = (0 if not below else 100) if fail else (100 if not below else 0)
                else:
                    value = (threshold + 5 if below else max(0, threshold - 1)) if fail else threshold
                value = str(int(value))
            answers[f"a_{item.id}"] = value
        failing_id = next(item.id for item in template.items if item.code == failing)
    return answers | {"failing_id": str(failing_id)}


def report_due(live_server, campaign_id: int) -> tuple[datetime, bool]:
    """This week's due time of the campaign's report and whether it is still ahead."""
    from supervision.campaigns.models import Campaign
    from supervision.core.timeutil import utcnow
    from supervision.reports.weeks import Week, due_at_for

    with app_session(live_server):
        due = due_at_for(db.session.get(Campaign, campaign_id), Week.current())
        # A minute of margin: the journey takes a few seconds to submit.
        return due, due > utcnow() + timedelta(minutes=1)
