"""The campaigns blueprint: thin views over ``campaigns.services``.

Every object is loaded through ``scope.load`` / ``scope.visible``; a service
refusal (``DomainError``) is shown next to its field or flashed.
"""
from __future__ import annotations

from flask import Blueprint

from ...estates.sections import estate_sections
from ..models import EnrolmentStage
from ..services.estate_section import estate_section

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

# The view modules attach their routes to ``bp``, so they can only be imported once it exists.
from . import campaigns, enrolments, items, notices, rhythm, schemes, self_inspection, spot_checks  # noqa: E402,F401


@bp.context_processor
def _helpers():

    return {"stage_enum": EnrolmentStage}


def _register_estate_section() -> None:
    """The estate page shows the estate's campaigns and open rectification items."""

    estate_sections.register("campaigns", "campaigns/_estate_section.html", order=20,
                             context=lambda estate, user: {"campaign_section": estate_section(estate, user)})


_register_estate_section()
