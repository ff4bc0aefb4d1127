"""Factories for 前期物业, service contracts, party building and company filings."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from supervision.contracts.models import (
    ContractFee,
    FeeKind,
    FilingStatus,
    PartyBuilding,
    PreliminaryService,
    SelectionMethod,
    ServiceContract,
    fee_unit,
)
from supervision.extensions import db
from supervision.filings.models import CompanyFiling, CompanyFilingStatus, FilingRequirement

# The smallest file the upload check accepts as a PDF (by content).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def gen_preliminary(estate, method: SelectionMethod | None = SelectionMethod.OPEN_TENDER, *,
                    selected_on: date | None = date(2020, 3, 1), contract_signed_on: date | None = date(2020, 6, 1),
                    **kw) -> PreliminaryService:
    return _add(PreliminaryService(estate_id=estate.id, selection_method=method, selected_on=selected_on,
                                   contract_signed_on=contract_signed_on, company_id=estate.company_id, **kw))


def gen_party(estate, has_org: bool = True, red: bool = False, **kw) -> PartyBuilding:
    return _add(PartyBuilding(estate_id=estate.id, has_party_org=has_org, org_name="小区党支部" if has_org else None,
                              red_property=red, red_property_note="交叉任职" if red else None, **kw))


def gen_contract(estate, *, company=None, status: FilingStatus = FilingStatus.SUBMITTED,
                 starts_on: date = date(2026, 1, 1), ends_on: date = date(2028, 12, 31),
                 fees: dict | None = None, filing_number: str | None = None, **kw) -> ServiceContract:
    company_id = company.id if company is not None else estate.company_id
    contract = ServiceContract(estate_id=estate.id, street_id=estate.street_id, company_id=company_id,
                               owner_party="业主委员会", starts_on=starts_on, ends_on=ends_on, status=status,
                               submitted_at=datetime(2026, 1, 5, 2, tzinfo=UTC), **kw)
    if status is FilingStatus.FILED:
        contract.filing_number = filing_number or f"备{estate.id}-{starts_on:%Y%m%d}"
        contract.filed_at = datetime(2026, 1, 10, 2, tzinfo=UTC)
    for kind, amount in (fees or {FeeKind.RESIDENTIAL: "1.20"}).items():
        contract.fees.append(ContractFee(kind=kind, amount=Decimal(amount), unit=fee_unit(kind)))
    return _add(contract)


def gen_requirement(campaign, title: str = "整改提升方案", due_on: date = date(2026, 9, 30)) -> FilingRequirement:
    return _add(FilingRequirement(campaign_id=campaign.id, title=title, due_on=due_on))


def gen_filing(requirement, company, *, status: CompanyFilingStatus = CompanyFilingStatus.SUBMITTED,
               submitted_at: datetime = datetime(2026, 9, 20, 2, tzinfo=UTC)) -> CompanyFiling:
    return _add(CompanyFiling(requirement_id=requirement.id, company_id=company.id, status=status,
                              first_submitted_at=submitted_at, submitted_at=submitted_at))
