"""The rules of 前期物业, service contracts and their filing (备案), and party building.

Services check a whole record and report every problem at once (``InvalidValues``, each message naming
its field), stamp times, write an audit row, flush — and never commit.

Filing workflow of a service contract::

    submitted ──check──▶ checked ──file──▶ filed
        │  ▲                │
        │  └──resubmit──┐   │
        └──return──▶ returned ◀──return──┘

Only a filed contract is the estate's fee standard in force (``current_fee_standard``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record, record_change, snapshot
from ..core.errors import TransitionError
from ..core.timeutil import local_today, utcnow
from ..estates.errors import InvalidValues
from ..estates.management import EstateManagement
from ..estates.models import Estate
from ..extensions import db
from ..notifications.services import company_users, notify, street_users
from .models import (
    ContractFee,
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
    fee_unit,
)

MAX_FEE = Decimal("10000")  # 元 a month per m² or per parking space: anything above is a typo


# --- 前期物业 ----------------------------------------------------------------------------

PRELIMINARY_FIELDS = ("developer", "company_id", "selection_method", "selected_on", "approval_ref",
                      "contract_signed_on", "covenant_signed_on", "notes")


# 000-P12 L850: a new estate of 5万㎡ or more must choose its preliminary company by public tender; a
# smaller one may use an invited tender or an agreement with the bureau's approval.
PUBLIC_TENDER_AREA = Decimal("50000")


def preliminary_errors(values: dict, today: date, area: Decimal | None = None) -> list[tuple[str, str]]:
    errors = []
    method = values.get("selection_method")
    if method is not None and values.get("selected_on") is None:
        errors.append(("selected_on", _("选聘方式已填写时，请填写招投标（选聘）日期。")))
    if method in (SelectionMethod.INVITED_TENDER, SelectionMethod.AGREEMENT) \
            and not (values.get("approval_ref") or "").strip():
        errors.append(("approval_ref", _("邀请招标、协议选聘须经房产行政主管部门批准，请填写批准文号。")))
    if method is not None and method is not SelectionMethod.OPEN_TENDER and area is not None \
            and area >= PUBLIC_TENDER_AREA:
        errors.append(("selection_method",
                       _("建筑面积5万平方米以上（含）的新建住宅区必须公开招标选聘前期物业服务企业。")))
    for key, label in (("selected_on", _("招投标（选聘）日期")), ("contract_signed_on", _("前期物业服务合同签订日期")),
                       ("covenant_signed_on", _("临时管理规约签订日期"))):
        day = values.get(key)
        if day is not None and day > today:
            errors.append((key, _("%(field)s不能晚于今天。", field=label)))
    if values.get("contract_signed_on") is not None and values.get("company_id") is None:
        errors.append(("company_id", _("已签订前期物业服务合同时，请选择前期物业服务企业。")))
    return errors


def save_preliminary(estate: Estate, values: dict, *, actor=None) -> PreliminaryService:
    """Create or change the estate's 前期物业 record."""
    values = {key: values.get(key) for key in PRELIMINARY_FIELDS}
    errors = preliminary_errors(values, local_today(), estate.floor_area)
    if errors:
        raise InvalidValues(errors)
    row = db.session.scalar(select(PreliminaryService).where(PreliminaryService.estate_id == estate.id))
    if row is None:
        row = PreliminaryService(estate_id=estate.id, estate=estate, **values)
        db.session.add(row)
        db.session.flush()
        record("preliminary.create", row, after=snapshot(row, list(PRELIMINARY_FIELDS)), actor=actor)
        return row
    before = snapshot(row, list(PRELIMINARY_FIELDS))
    for key, value in values.items():
        setattr(row, key, value)
    db.session.flush()
    record_change("preliminary.update", row, before, actor=actor)
    return row


# --- party building ----------------------------------------------------------------------

PARTY_FIELDS = ("has_party_org", "org_name", "org_founded_on", "red_property", "red_property_note", "notes")


def party_errors(values: dict) -> list[tuple[str, str]]:
    errors = []
    if values.get("has_party_org") and not (values.get("org_name") or "").strip():
        errors.append(("org_name", _("已建立党组织时，请填写党组织名称。")))
    if values.get("org_founded_on") and values["org_founded_on"] > local_today():
        errors.append(("org_founded_on", _("党组织成立日期不能晚于今天。")))
    if values.get("red_property") and not (values.get("red_property_note") or "").strip():
        errors.append(("red_property_note", _("已开展红色物业时，请简述具体做法（如交叉任职、党员先锋岗）。")))
    return errors


def save_party(estate: Estate, values: dict, *, actor=None) -> PartyBuilding:
    values = {key: values.get(key) for key in PARTY_FIELDS}
    values["has_party_org"] = bool(values["has_party_org"])
    values["red_property"] = bool(values["red_property"])
    errors = party_errors(values)
    if errors:
        raise InvalidValues(errors)
    if not values["has_party_org"]:
        values["org_name"] = values["org_founded_on"] = None
    row = db.session.scalar(select(PartyBuilding).where(PartyBuilding.estate_id == estate.id))
    if row is None:
        row = PartyBuilding(estate_id=estate.id, estate=estate, **values)
        db.session.add(row)
        db.session.flush()
        record("party.create", row, after=snapshot(row, list(PARTY_FIELDS)), actor=actor)
        return row
    before = snapshot(row, list(PARTY_FIELDS))
    for key, value in values.items():
        setattr(row, key, value)
    db.session.flush()
    record_change("party.update", row, before, actor=actor)
    return row


# --- service contracts -------------------------------------------------------------------

CONTRACT_FIELDS = ("company_id", "owner_party", "signed_on", "starts_on", "ends_on", "service_level", "notes")


def period_for(estate_id: int, day: date) -> EstateManagement | None:
    """The management period of the estate in force on ``day``."""
    return db.session.scalars(
        select(EstateManagement).where(EstateManagement.estate_id == estate_id, EstateManagement.in_force_clause(day))
        .order_by(EstateManagement.started_on.desc(), EstateManagement.id.desc())).first()


def contract_errors(estate: Estate, values: dict, fees: dict) -> list[tuple[str, str]]:
    errors = []
    if not (values.get("owner_party") or "").strip():
        errors.append(("owner_party", _("请填写合同甲方（业主大会、业主委员会或建设单位）。")))
    if values.get("company_id") is None:
        errors.append(("company_id", _("请选择物业服务企业（合同乙方）。")))
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if starts is None:
        errors.append(("starts_on", _("请填写合同期限起始日期。")))
    if ends is None:
        errors.append(("ends_on", _("请填写合同期限截止日期。")))
    if starts and ends and ends < starts:
        errors.append(("ends_on", _("合同期限截止日期不能早于起始日期。")))
    signed = values.get("signed_on")
    if signed and signed > local_today():
        errors.append(("signed_on", _("签订日期不能晚于今天。")))
    priced = {kind: amount for kind, amount in fees.items() if amount is not None}
    if not priced:
        errors.append(("fee_residential", _("请至少填写一类物业的收费标准。")))
    for kind, amount in priced.items():
        if amount <= 0 or amount > MAX_FEE:
            errors.append((f"fee_{kind.value}", _("%(kind)s收费标准应大于 0 且不超过 %(max)s 元。",
                                                   kind=kind.label, max=MAX_FEE)))
    if starts and values.get("company_id") is not None:
        period = period_for(estate.id, starts)
        if period is not None and period.company_id is not None and period.company_id != values["company_id"]:
            errors.append(("company_id", _("合同起始日小区的物业服务企业是“%(name)s”（物业管理履历），"
                                           "与合同乙方不一致。",
                                           name=period.company.name)))
    return errors


def _fees_snapshot(contract: ServiceContract) -> dict:
    return {fee.kind.value: str(fee.amount) for fee in contract.fees}


def _set_fees(contract: ServiceContract, fees: dict) -> None:
    existing = {fee.kind: fee for fee in contract.fees}
    for kind in FeeKind:
        amount = fees.get(kind)
        if amount is None:
            if kind in existing:
                contract.fees.remove(existing[kind])
        elif kind in existing:
            existing[kind].amount = amount
        else:
            contract.fees.append(ContractFee(kind=kind, amount=amount, unit=fee_unit(kind)))


def submit_contract(estate: Estate, values: dict, fees: dict, *, actor=None,
                    status: FilingStatus = FilingStatus.SUBMITTED, filing_number: str | None = None) -> ServiceContract:
    """Register a contract and submit it for filing (the import may register one already filed)."""
    values = {key: values.get(key) for key in CONTRACT_FIELDS}
    errors = contract_errors(estate, values, fees)
    if filing_number and _filing_number_taken(filing_number):
        errors.append(("filing_number", _("备案编号“%(number)s”已被使用。", number=filing_number)))
    if errors:
        raise InvalidValues(errors)
    now = utcnow()
    period = period_for(estate.id, values["starts_on"])
    contract = ServiceContract(estate_id=estate.id, estate=estate, street_id=estate.street_id, status=status,
                               management_id=period.id if period else None, submitted_at=now,
                               submitted_by_id=getattr(actor, "id", None), **values)
    if status is FilingStatus.FILED:
        contract.filing_number = filing_number
        contract.filed_at = contract.checked_at = now
    _set_fees(contract, fees)
    db.session.add(contract)
    db.session.flush()
    record("contract.submit", contract, after=dict(snapshot(contract, ["status", *CONTRACT_FIELDS]),
                                                   fees=_fees_snapshot(contract)), actor=actor)
    if status is FilingStatus.FILED:
        _sync_period(contract, actor)
    return contract


def update_contract(contract: ServiceContract, values: dict, fees: dict, *, actor=None) -> ServiceContract:
    """Correct a contract not yet checked; a returned one is thereby submitted again."""
    if not contract.is_editable:
        raise TransitionError(_("合同已审核或已备案，不能再修改；如需变更请重新提交一份合同。"))
    values = {key: values.get(key) for key in CONTRACT_FIELDS}
    errors = contract_errors(contract.estate, values, fees)
    if errors:
        raise InvalidValues(errors)
    before = dict(snapshot(contract, ["status", *CONTRACT_FIELDS]), fees=_fees_snapshot(contract))
    for key, value in values.items():
        setattr(contract, key, value)
    period = period_for(contract.estate_id, contract.starts_on)
    contract.management_id = period.id if period else None
    _set_fees(contract, fees)
    action = "contract.update"
    if contract.status is FilingStatus.RETURNED:
        contract.status = FilingStatus.SUBMITTED
        contract.submitted_at = utcnow()
        contract.submitted_by_id = getattr(actor, "id", None)
        action = "contract.resubmit"
    db.session.flush()
    after = dict(snapshot(contract, ["status", *CONTRACT_FIELDS]), fees=_fees_snapshot(contract))
    record(action, contract, before={k: v for k, v in before.items() if after.get(k) != v},
           after={k: v for k, v in after.items() if before.get(k) != v}, actor=actor)
    return contract


def _move(contract: ServiceContract, allowed: tuple, target: FilingStatus, message: str) -> FilingStatus:
    if contract.status not in allowed:
        raise TransitionError(message % {"status": contract.status.label})
    before = contract.status
    contract.status = target
    return before


def check_contract(contract: ServiceContract, *, actor=None) -> None:
    before = _move(contract, (FilingStatus.SUBMITTED,), FilingStatus.CHECKED,
                   _("合同当前状态为“%(status)s”，只有待审核的合同可以审核。"))
    contract.checked_at = utcnow()
    contract.reviewed_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("contract.check", contract, before={"status": before.value}, after={"status": contract.status.value},
           actor=actor)


def _filing_number_taken(number: str, contract_id: int | None = None) -> bool:
    statement = select(func.count(ServiceContract.id)).where(ServiceContract.filing_number == number)
    if contract_id is not None:
        statement = statement.where(ServiceContract.id != contract_id)
    return bool(db.session.scalar(statement))


def file_contract(contract: ServiceContract, filing_number: str, *, has_copy: bool, actor=None) -> None:
    """Checked → filed, with its filing number and the filed copy (uploaded by the caller)."""
    number = (filing_number or "").strip()
    errors = []
    if not number:
        errors.append(("filing_number", _("请填写备案编号。")))
    elif _filing_number_taken(number, contract.id):
        errors.append(("filing_number", _("备案编号“%(number)s”已被使用。", number=number)))
    if not has_copy:
        errors.append(("filed_copy", _("请上传备案后的合同文本（PDF 或扫描件）。")))
    if contract.status is not FilingStatus.CHECKED:
        raise TransitionError(_("合同当前状态为“%(status)s”，只有已审核的合同可以备案。", status=contract.status.label))
    if errors:
        raise InvalidValues(errors)
    contract.status = FilingStatus.FILED
    contract.filing_number = number
    contract.filed_at = utcnow()
    contract.reviewed_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("contract.file", contract, before={"status": FilingStatus.CHECKED.value},
           after={"status": contract.status.value, "filing_number": number}, actor=actor)
    notify(company_users(contract.company_id), kind="contract_filed",
           title=_("物业服务合同已备案：%(estate)s，备案编号 %(number)s", estate=contract.estate.name, number=number),
           dedup_key=f"contract-filed:{contract.id}", link=f"/contracts/{contract.id}")
    _sync_period(contract, actor)


def _sync_period(contract: ServiceContract, actor) -> None:
    """The management period's contract dates follow its filed contract (the history shows them)."""
    period = contract.management
    if period is None:
        return
    before = {"contract_start": period.contract_start, "contract_end": period.contract_end}
    if before == {"contract_start": contract.starts_on, "contract_end": contract.ends_on}:
        return
    period.contract_start, period.contract_end = contract.starts_on, contract.ends_on
    db.session.flush()
    record("estate.management.contract", period, before=before,
           after={"contract_start": contract.starts_on, "contract_end": contract.ends_on}, actor=actor)


def return_contract(contract: ServiceContract, reason: str, *, actor=None) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValues([("reason", _("请填写退回原因。"))])
    before = _move(contract, (FilingStatus.SUBMITTED, FilingStatus.CHECKED), FilingStatus.RETURNED,
                   _("合同当前状态为“%(status)s”，不能退回。"))
    contract.returned_at = utcnow()
    contract.return_reason = reason
    contract.reviewed_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("contract.return", contract, before={"status": before.value},
           after={"status": contract.status.value, "return_reason": reason}, actor=actor)
    notify(company_users(contract.company_id) + street_users(contract.street_id), kind="contract_returned",
           title=_("物业服务合同备案被退回：%(estate)s", estate=contract.estate.name), body=reason,
           dedup_key=f"contract-returned:{contract.id}:{contract.returned_at.isoformat()}"[:128],
           link=f"/contracts/{contract.id}")


# --- the fee standard in force ------------------------------------------------------------

@dataclass(frozen=True)
class FeeLine:
    kind: str  # FeeKind value
    label: str
    amount: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{self.label} {self.amount}{self.unit}"


@dataclass(frozen=True)
class FeeStandard:
    """The fee standard of an estate's filed contract in force: plain values (the public portal shows them)."""

    estate_id: int
    contract_id: int
    company_name: str
    filing_number: str
    starts_on: date
    ends_on: date
    service_level: str
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "；".join(str(line) for line in self.lines)


def _in_force_filed(day: date):
    return (ServiceContract.status == FilingStatus.FILED, ServiceContract.starts_on <= day,
            ServiceContract.ends_on >= day)


def _standard(contract: ServiceContract) -> FeeStandard:
    return FeeStandard(
        estate_id=contract.estate_id, contract_id=contract.id, company_name=contract.company.name,
        filing_number=contract.filing_number or "", starts_on=contract.starts_on, ends_on=contract.ends_on,
        service_level=contract.service_level.label if contract.service_level else "",
        lines=[FeeLine(fee.kind.value, fee.kind.label, fee.amount, fee.unit)
               for fee in sorted(contract.fees, key=lambda f: list(FeeKind).index(f.kind))])


def fee_standard_among(contracts, day: date) -> FeeStandard | None:
    """``current_fee_standard`` from an estate's contracts already loaded (with company and fees): the
    filed contract in force on ``day`` that started last (``_in_force_filed``, in Python)."""
    in_force = [c for c in contracts if c.status is FilingStatus.FILED and c.starts_on <= day <= c.ends_on]
    return _standard(max(in_force, key=lambda c: (c.starts_on, c.id))) if in_force else None


def fee_standards(estate_ids, day: date | None = None) -> dict[int, FeeStandard]:
    """Estate id → the fee standard in force on ``day`` (today), for many estates in two queries.

    When two filed contracts cover the day, the one that started last wins."""
    day = day or local_today()
    ids = list(estate_ids)
    if not ids:
        return {}
    contracts = db.session.scalars(_fee_standards_statement(), {"estate_ids": ids, "day": day})
    return {contract.estate_id: _standard(contract) for contract in contracts}



def fee_lines(contract_ids: list[int]) -> dict[int, list[tuple]]:
    """Contract id → its fees as (kind, amount, unit), in the order ``ServiceContract.fees`` has them: one query
    of plain columns for a page of contracts."""
    lines: dict[int, list[tuple]] = {}
    if contract_ids:
        for contract_id, kind, amount, unit in db.session.execute(
                select(ContractFee.contract_id, ContractFee.kind, ContractFee.amount, ContractFee.unit)
                .where(ContractFee.contract_id.in_(contract_ids)).order_by(ContractFee.id)):
            lines.setdefault(contract_id, []).append((kind, amount, unit))
    return lines


def fee_standard_texts(estate_ids, day: date | None = None) -> dict[int, str]:
    """Estate id → the text of its fee standard in force on ``day`` (``FeeStandard.text``), for the estates
    of ``estate_ids`` (a subquery, e.g. an export's scoped list): one query of plain columns, however
    many estates."""
    return {estate_id: text for estate_id, (text, _number) in fee_standard_lines(estate_ids, day).items()}


def fee_standard_lines(estate_ids, day: date | None = None) -> dict[int, tuple[str, str]]:
    """Estate id → (``FeeStandard.text``, ``FeeStandard.filing_number``) of its fee standard in force on
    ``day``, for the estates of ``estate_ids`` (a list or a subquery): one query of plain columns."""
    day = day or local_today()
    order = {kind: index for index, kind in enumerate(FeeKind)}
    labels = {kind: kind.label for kind in FeeKind}
    rows = db.session.execute(
        select(ServiceContract.estate_id, ServiceContract.id, ServiceContract.filing_number, ContractFee.kind,
               ContractFee.amount, ContractFee.unit)
        .outerjoin(ContractFee, ContractFee.contract_id == ServiceContract.id)
        .where(ServiceContract.estate_id.in_(estate_ids), *_in_force_filed(day))
        .order_by(ServiceContract.estate_id, ServiceContract.starts_on, ServiceContract.id))
    lines: dict[int, tuple[int, str, list]] = {}
    for estate_id, contract_id, number, kind, amount, unit in rows:
        current = lines.get(estate_id)
        if current is None or current[0] != contract_id:  # the contract that started last wins
            current = lines[estate_id] = (contract_id, number or "", [])
        if kind is not None:
            current[2].append((order[kind], f"{labels[kind]} {amount}{unit}"))
    return {estate_id: ("；".join(text for _order, text in sorted(fees)), number)
            for estate_id, (_id, number, fees) in lines.items()}


@lru_cache(maxsize=1)
def _fee_standards_statement():
    """Built once: the public portal's estate sheet asks for one estate's standard at a time (building the
    statement cost more than running it)."""
    return (select(ServiceContract)
            .where(ServiceContract.estate_id.in_(bindparam("estate_ids", expanding=True)),
                   *_in_force_filed(bindparam("day", type_=Date)))
            .options(selectinload(ServiceContract.fees), joinedload(ServiceContract.company))
            .order_by(ServiceContract.estate_id, ServiceContract.starts_on, ServiceContract.id))


def current_fee_standard(estate_id: int, day: date | None = None) -> FeeStandard | None:
    """The fee standard in force for one estate (from its filed contract), or None.

    The public portal calls this; it carries no personal data."""
    return fee_standards([estate_id], day).get(estate_id)
