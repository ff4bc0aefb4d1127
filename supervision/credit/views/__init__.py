"""Credit pages: ranking, company credit file, events, notices, objections, clues, rules, publication.

Views only: each validates its form, calls the credit services (``services``, ``clues``, ``assessment``,
``company_file``, ``publication``, ``standings``) and renders or redirects.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from ...auth.roles import COMPANY, DISTRICT_READERS
from ...core.errors import DomainError
from ...estates.sections import company_sections, estate_sections
from ...extensions import db
from .. import company_file, markup

bp = Blueprint("credit", __name__, url_prefix="/credit")
for _name, _function in markup.TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)

from . import clues, events, publications, ranking  # noqa: E402,F401  (the routes register on bp)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """A refusal no form can show (e.g. no rule set loaded yet): an error page, not a 500."""
    db.session.rollback()
    return render_template("error.html", status=409, message=error.message), 409



def _register_sections() -> None:
    """The estate page lists the estate's credit records; the company page shows the grade."""
    estate_sections.register("credit", "credit/_estate_section.html", order=40, roles=DISTRICT_READERS | COMPANY,
                             context=lambda estate, user: {"credit_events": company_file.estate_events(estate, user)})
    company_sections.register("credit", "credit/_company_section.html", order=40,
                              roles=DISTRICT_READERS | COMPANY,
                              context=lambda company, user: {"credit": company_file.dashboard_summary(company)})


_register_sections()
