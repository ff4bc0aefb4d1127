"""Three indicators on the targets page (``targets.indicators`` registry), all counting estates:

- 前期物业招投标率 (``preliminary_tender``): estates (not archived) whose 前期物业 is registered, of which
  the preliminary company was chosen by tender (公开招标 / 邀请招标) on or before the day ÷ those estates.
  协议选聘 — lawful with the bureau's approval — is not a tender and counts in the gap.
- 前期物业服务合同签订率 (``preliminary_contract``): of the same estates, those whose 《前期物业服务合同》
  was signed on or before the day ÷ those estates.
- 党组织覆盖率 (``party_coverage``): estates (not archived) with a party organisation (founded on or before
  the day, or without a recorded date) ÷ all estates (not archived).

The municipal plan sets 100 % for the first two (seeds/targets/defaults.json gives the basis).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from ..core import generations
from ..dashboard.services import DASHBOARD_TOPIC
from ..estates.models import Estate
from ..targets.indicators import Base, Indicator, _estate_columns, register
from .models import TENDER_METHODS, PartyBuilding, PreliminaryService


def _preliminary_base(achieved) -> Base:
    return Base(subject=Estate, street=Estate.street_id, company=Estate.company_id,
                where=[Estate.archived_at.is_(None)], achieved=achieved,
                joins=[(PreliminaryService, PreliminaryService.estate_id == Estate.id, False)])


def _tender_base(day: date) -> Base:
    return _preliminary_base(and_(PreliminaryService.selection_method.in_(TENDER_METHODS),
                                  PreliminaryService.selected_on.is_not(None), PreliminaryService.selected_on <= day))


def _contract_base(day: date) -> Base:
    return _preliminary_base(and_(PreliminaryService.contract_signed_on.is_not(None),
                                  PreliminaryService.contract_signed_on <= day))


def _party_base(day: date) -> Base:
    achieved = and_(PartyBuilding.has_party_org.is_(True),
                    PartyBuilding.org_founded_on.is_(None) | (PartyBuilding.org_founded_on <= day))
    return Base(subject=Estate, street=Estate.street_id, company=Estate.company_id,
                where=[Estate.archived_at.is_(None)], achieved=achieved,
                joins=[(PartyBuilding, PartyBuilding.estate_id == Estate.id, True)])


register(Indicator(
    code="preliminary_tender", street_scoped=True, name=_l("前期物业招投标率"), short_name=_l("前期招标"),
    subject="estate",
    numerator_label=_l("招投标选聘"), denominator_label=_l("已登记前期物业的小区"),
    gap_label=_l("未经招投标选聘的小区"),
    definition=_l("已登记前期物业信息（未归档）的小区中，建设单位在统计日当天或之前通过公开招标或邀请招标选聘前期物业"
                  "服务企业的小区数 ÷ 这些小区数。经批准协议选聘的不计入招投标。"),
    base=_tender_base, gap_columns=_estate_columns,
))
register(Indicator(
    code="preliminary_contract", street_scoped=True, name=_l("前期物业服务合同签订率"), short_name=_l("前期合同"),
    subject="estate",
    numerator_label=_l("已签订"), denominator_label=_l("已登记前期物业的小区"),
    gap_label=_l("未签订前期物业服务合同的小区"),
    definition=_l("已登记前期物业信息（未归档）的小区中，统计日当天或之前已签订《前期物业服务合同》的小区数"
                  " ÷ 这些小区数。"),
    base=_contract_base, gap_columns=_estate_columns,
))
register(Indicator(
    code="party_coverage", street_scoped=True, name=_l("党组织覆盖率"), short_name=_l("党组织"), subject="estate",
    numerator_label=_l("已建党组织"), denominator_label=_l("小区总数"), gap_label=_l("未建党组织的小区"),
    definition=_l("未归档小区中，统计日已建立党组织（成立日期在统计日当天或之前，或未登记成立日期）的小区数"
                  " ÷ 小区总数。"),
    base=_party_base, gap_columns=_estate_columns,
))

# The landing page caches its figures per data generation: these indicators read two more tables.
generations.watch(DASHBOARD_TOPIC, PreliminaryService, PartyBuilding)
