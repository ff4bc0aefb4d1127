"""Helpers shared by the campaign services."""
from __future__ import annotations

from flask_babel import gettext as _

from ...auth.roles import BUREAU, Role
from ...core.errors import DomainError
from ..models import Campaign, CampaignStatus, Enrolment, EnrolmentStatus


def is_bureau(user) -> bool:
    return user is not None and user.role in BUREAU


def require_bureau(user, action: str) -> None:
    if not is_bureau(user):
        raise DomainError(_("只有住建局工作人员可以%(action)s。", action=action))


def require_active_campaign(campaign: Campaign) -> None:
    if campaign.status is CampaignStatus.DRAFT:
        raise DomainError(_("专项行动“%(name)s”尚在筹备中，请先启动。", name=campaign.name))
    if campaign.status is CampaignStatus.CLOSED:
        raise DomainError(_("专项行动“%(name)s”已结束。", name=campaign.name))


def require_open_enrolment(enrolment: Enrolment) -> None:
    if enrolment.status is EnrolmentStatus.WITHDRAWN:
        raise DomainError(_("该小区已退出本次专项行动。"))
    if enrolment.status is EnrolmentStatus.CLOSED:
        raise DomainError(_("该小区已销号，不能再修改。"))


def may_survey(user, enrolment: Enrolment) -> bool:
    """The bureau, or the street officer of the enrolment's street."""
    if is_bureau(user):
        return True
    return user.role is Role.STREET_OFFICER and user.street_id == enrolment.street_id


def may_fill_self_inspection(user, enrolment: Enrolment) -> bool:
    return user.role is Role.COMPANY_USER and enrolment.company_id is not None \
        and user.company_id == enrolment.company_id
