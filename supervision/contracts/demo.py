"""Demo 前期物业, service contracts and party building for the demo district's estates.

Deterministic (one draw per estate, in the order of their ids) and idempotent (an estate that already
has a row of a kind gets none). The mix gives every list and indicator something to show: most estates
tendered, some by agreement, a few unrecorded; contracts filed, awaiting check, checked and returned;
about 60 % with a party organisation, some with 红色物业.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..core.timeutil import local_today, utcnow
from ..estates.management import EstateManagement
from ..estates.models import Estate, ManagementMode
from ..extensions import db
from .models import (
    ContractFee,
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
    ServiceLevel,
    fee_unit,
)

METHODS = [SelectionMethod.OPEN_TENDER] * 6 + [SelectionMethod.INVITED_TENDER] * 2 + [SelectionMethod.AGREEMENT] * 2
STATUSES = [FilingStatus.FILED] * 6 + [FilingStatus.SUBMITTED] * 2 + [FilingStatus.CHECKED, FilingStatus.RETURNED]
RETURN_REASONS = ("合同未加盖业主委员会印章，请补盖后重新提交。", "收费标准与物价部门核定标准不一致，请核实。",
                  "合同附件缺少物业服务事项清单。")
RED_NOTES = ("社区党委书记兼任业委会主任，物业项目经理任党支部委员（交叉任职）。",
             "物业项目设立党员先锋岗，每月开展党员志愿服务日。")


def _draws(rng: random.Random, estate: Estate, today: date) -> dict:
    built = estate.year_built or 2000
    selected_on = date(max(built - 1, 2004), rng.randint(1, 12), rng.randint(1, 28))
    method = rng.choice(METHODS)
    if estate.floor_area is not None and estate.floor_area >= Decimal("50000"):
        method = SelectionMethod.OPEN_TENDER
    starts_on = today - timedelta(days=rng.randint(30, 900))
    return {
        "record_preliminary": rng.random() < 0.85,
        "method": method if rng.random() < 0.9 else None,
        "selected_on": selected_on,
        "signed": rng.random() < 0.85,
        "covenant": rng.random() < 0.8,
        "contract": rng.random() < 0.8,
        "status": rng.choice(STATUSES),
        "starts_on": starts_on,
        "years": rng.choice((1, 2, 3, 3, 5)),
        "level": rng.choice(list(ServiceLevel)[:4]),
        "residential": Decimal(rng.randint(60, 280)) / 100,
        "commercial": Decimal(rng.randint(200, 600)) / 100 if rng.random() < 0.4 else None,
        "parking": Decimal(rng.choice((40, 50, 60, 80))) if rng.random() < 0.5 else None,
        "reason": rng.choice(RETURN_REASONS),
        "party": rng.random() < 0.6,
        "red": rng.random() < 0.5,
        "red_note": rng.choice(RED_NOTES),
        "founded": date(rng.randint(2016, max(today.year - 1, 2016)), rng.randint(1, 12), 1),
    }


def _preliminary(estate: Estate, d: dict) -> PreliminaryService | None:
    if not d["record_preliminary"]:
        return None
    method = d["method"]
    return PreliminaryService(
        estate_id=estate.id, developer=f"{estate.name[:2]}置业有限公司", company_id=estate.company_id,
        selection_method=method, selected_on=d["selected_on"] if method else None,
        approval_ref=f"区住建批〔{d['selected_on'].year}〕{estate.id % 97 + 1}号"
        if method in (SelectionMethod.INVITED_TENDER, SelectionMethod.AGREEMENT) else None,
        contract_signed_on=d["selected_on"] + timedelta(days=60) if d["signed"] and estate.company_id else None,
        covenant_signed_on=d["selected_on"] + timedelta(days=75) if d["covenant"] else None)


def _contract(estate: Estate, d: dict, periods: dict) -> ServiceContract | None:
    if not d["contract"] or estate.company_id is None or estate.management_mode is not ManagementMode.PROFESSIONAL:
        return None
    starts_on = d["starts_on"]
    ends_on = date(starts_on.year + d["years"], starts_on.month, min(starts_on.day, 28)) - timedelta(days=1)
    status = d["status"]
    now = utcnow()
    contract = ServiceContract(
        estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id,
        management_id=periods.get(estate.id), owner_party=f"{estate.name}业主委员会",
        signed_on=starts_on - timedelta(days=10),
        starts_on=starts_on, ends_on=ends_on, service_level=d["level"], status=status, submitted_at=now)
    if status in (FilingStatus.CHECKED, FilingStatus.FILED):
        contract.checked_at = now
    if status is FilingStatus.FILED:
        contract.filed_at = now
        contract.filing_number = f"物合备〔{starts_on.year}〕{estate.id:04d}号"
    if status is FilingStatus.RETURNED:
        contract.returned_at, contract.return_reason = now, d["reason"]
    for kind, amount in ((FeeKind.RESIDENTIAL, d["residential"]), (FeeKind.COMMERCIAL, d["commercial"]),
                         (FeeKind.PARKING, d["parking"])):
        if amount is not None:
            contract.fees.append(ContractFee(kind=kind, amount=amount, unit=fee_unit(kind)))
    return contract


def seed_demo(rng: random.Random) -> None:
    estates = list(db.session.scalars(select(Estate).where(Estate.archived_at.is_(None)).order_by(Estate.id)))
    if not estates:
        return
    today = local_today()
    draws = [(estate, _draws(rng, estate, today)) for estate in estates]
    have_preliminary = set(db.session.scalars(select(PreliminaryService.estate_id)))
    have_contract = set(db.session.scalars(select(ServiceContract.estate_id)))
    have_party = set(db.session.scalars(select(PartyBuilding.estate_id)))
    periods = {estate_id: period_id for estate_id, period_id in db.session.execute(
        select(EstateManagement.estate_id, EstateManagement.id).where(EstateManagement.ended_on.is_(None)))}
    for estate, d in draws:
        if estate.id not in have_preliminary and (row := _preliminary(estate, d)) is not None:
            db.session.add(row)
        if estate.id not in have_contract and (contract := _contract(estate, d, periods)) is not None:
            db.session.add(contract)
        if estate.id not in have_party:
            db.session.add(PartyBuilding(
                estate_id=estate.id, has_party_org=d["party"], org_name=f"{estate.name}党支部" if d["party"] else None,
                org_founded_on=d["founded"] if d["party"] else None, red_property=d["party"] and d["red"],
                red_property_note=d["red_note"] if d["party"] and d["red"] else None))
    db.session.flush()
