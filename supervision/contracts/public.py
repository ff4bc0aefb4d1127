"""What the public portal shows of contracts: the fee standard of the filed contract in force, on the
estate sheet (no personal data: the company, the filing number, the period and the fees)."""
from __future__ import annotations

from flask_babel import gettext as _

from ..companies.models import Company
from ..core import generations
from ..portal.sources import ESTATE_SHEET_SECTIONS
from .models import ContractFee, ServiceContract
from .services import current_fee_standard

CONTRACTS_TOPIC = "contracts"
generations.watch(CONTRACTS_TOPIC, ServiceContract, ContractFee)
generations.watch(CONTRACTS_TOPIC, Company, attributes={"name"})


def fee_standard_section(estate_id: int) -> dict | None:
    standard = current_fee_standard(estate_id)
    if standard is None:
        return None
    return {"title": _("物业服务合同（已备案）"), "rows": [
        (_("物业服务企业"), standard.company_name),
        (_("备案编号"), standard.filing_number),
        (_("合同期限"), f"{standard.starts_on.isoformat()} — {standard.ends_on.isoformat()}"),
        (_("服务等级"), standard.service_level),
        (_("收费标准"), standard.text),
    ]}


ESTATE_SHEET_SECTIONS.register("contracts", fee_standard_section, topics=(CONTRACTS_TOPIC,), order=10)
