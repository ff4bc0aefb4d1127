"""The complaint register as seen by two other features: its rates on the public portal's estate sheet,
and an enforcement trigger — a company with ``ENFORCEMENT_COMPLAINTS_K`` (default 3) or more complaints
verified as true within 30 days is proposed for the next rung of the ladder (once per company and month;
rectified when the count falls below K). Figures only, never personal data."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.numbers import percent
from ..enforcement.triggers import Fact, register
from ..portal.sources import ESTATE_SHEET_SECTIONS
from .public import estate_rates, verified_counts_by_company
from .rates import RATES_TOPIC

WINDOW_DAYS = 30


def _percent(value) -> str:
    return percent(value)


def estate_sheet_section(estate_id: int) -> dict | None:
    figures = estate_rates(estate_id)
    if figures is None:
        return None
    return {"title": _("业主投诉办理（近12个月）"), "rows": [
        (_("受理投诉"), _("%(n)s 件", n=figures["received"])),
        (_("响应率"), _percent(figures["response_rate"])),
        (_("按期办结率"), _percent(figures["resolution_rate"])),
    ]}


class VerifiedComplaints:
    """A company with K or more complaints verified as true in the last 30 days."""

    name = "complaints"
    label = _l("30日内经核实的有效投诉达到规定件数")

    @staticmethod
    def threshold() -> int:
        return int(current_app.config.get("ENFORCEMENT_COMPLAINTS_K", 3))

    def facts(self, on: date):
        k = self.threshold()
        for company_id, count in sorted(verified_counts_by_company(on - timedelta(days=WINDOW_DAYS)).items()):
            if count >= k:
                yield Fact(key=f"{self.name}:{company_id}:{on:%Y-%m}", company_id=company_id, occurred_on=on,
                           summary=_("%(d)s日内经核实的有效投诉 %(n)s 件（达到 %(k)s 件）",
                                     d=WINDOW_DAYS, n=count, k=k),
                           ref={"company_id": company_id})

    def rectified(self, ref: dict, on: date) -> bool:
        counts = verified_counts_by_company(on - timedelta(days=WINDOW_DAYS))
        return counts.get(ref.get("company_id"), 0) < self.threshold()


ESTATE_SHEET_SECTIONS.register("complaints", estate_sheet_section, topics=(RATES_TOPIC,), order=20)
register(VerifiedComplaints())
