"""The rules of campaigns, one module per step. Other features use:

- ``progress``: ``campaign_progress``, ``stage_expression``, ``stage_of``;
- ``facts``: ``overdue_items_beyond``, ``failed_acceptances``,
  ``missing_self_inspections`` (credit's automatic events, ``credit_detectors.py``);

The district's rates (整改率, 按期整改率, 销号率) are the targets feature's indicators
(``targets/indicators.py``) and the weekly figures are the reports feature's
(``reports/figures.py``): one definition each.
- ``estate_section.estate_section`` with ``templates/campaigns/_estate_section.html``;
- ``items.transition``: the only way an item changes state.
"""
from . import (  # noqa: F401
               acceptance,
               campaigns,
               enrolment,
               estate_section,
               facts,
               items,
               notices,
               progress,
               self_inspection,
               spot_checks,
               survey,
               sweep,
)
