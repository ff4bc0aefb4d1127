"""The ranking, its export and one company's credit file and report."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import scope
from ...auth.roles import COMPANY, DISTRICT_READERS
from ...companies.models import Company
from ...core.pagination import page_number
from ...core.timeutil import local_today
from ...documents.pdf import pdf_response, render_pdf
from ...i18n import in_chinese
from ...jobs import exports
from ...regions.choices import street_choices
from ...regions.services import bureau_name
from .. import company_file, services, standings
from .. import publication as publication_services
from ..explanation import company_records
from ..forms import RankingFilterForm
from . import bp
from ._helpers import Labels, _as_of_arg

# --- ranking -----------------------------------------------------------------

def _ranking_filters():
    """The ranking's filters, rule set in force and asked for, day and sort, read from ``request.args``."""
    filters = RankingFilterForm(request.args)
    filters.rule_set.choices = [(None, _("当年适用规则集"))] + [(r.id, str(r)) for r in services.rule_sets()]
    filters.street.choices = street_choices(blank=_("全部街道"))
    today = local_today()
    as_of = filters.as_of.data or today
    if as_of > today:
        flash(_("评价日不能晚于今天，已按今天计算。"), "warning")
        as_of = today
    in_force = services.rule_set_for(as_of)
    rule_set = standings.rule_set_for_ranking(filters.rule_set.data, in_force)
    if rule_set is None:
        abort(404)
    filters.grade.choices = [("", _("全部等级"))] + [(g.code, g.label) for g in rule_set.grades]
    filters.validate()  # the fields' data are already parsed: the rule set and day above use them
    sort = request.args.get("sort", "-total")
    return filters, rule_set, in_force, as_of, sort


def _ranking_query():
    """The ranking's filters, rule set, day and rows, shared by the page and the export."""
    filters, rule_set, in_force, as_of, sort = _ranking_filters()
    rows = standings.ranking(rule_set, as_of, q=filters.q.data, grade=filters.grade.data,
                             street_id=filters.street.data, sort=sort)
    return filters, rule_set, in_force, as_of, rows, sort


@bp.get("/")
@scope.role_required(DISTRICT_READERS)
def ranking():
    filters, rule_set, in_force, as_of, ranked, sort = _ranking_query()
    page = standings.ListPagination(rows=ranked, page=page_number(), per_page=current_app.config["PER_PAGE"],
                                    max_per_page=200, error_out=False)
    rows = [row.score(rule_set) for row in page.items]
    lists: dict = {}
    return render_template("credit/ranking.html", filters=filters, page=page, rows=rows, rule_set=rule_set,
                           cells=[standings.ranking_cells(row, rule_set, lists) for row in rows],
                           in_force=in_force, as_of=as_of, counts=standings.grade_counts(rule_set, as_of),
                           sort=sort, publications=publication_services.latest())


def _export_filters():
    """The export's filters, rule set and day, read once per request or job (no scores)."""
    return exports.memo("credit.ranking.filters", _ranking_filters)


def _export_ranking():
    """The ranking's rows as exported (the score table's own rows, filtered and sorted: no score is built
    until the row is written), worked out once per request or job."""
    def compute():
        filters, rule_set, _in_force, as_of, sort = _export_filters()
        return standings.ranking(rule_set, as_of, q=filters.q.data, grade=filters.grade.data,
                                 street_id=filters.street.data, sort=sort)
    return exports.memo("credit.ranking", compute)


def _export_count():
    """How many rows the export holds, known without the score table when no filter needs a score or the
    ranking's matching (grade, search): the active companies (of the street)."""
    filters = _export_filters()[0]
    if filters.grade.data or (filters.q.data or "").strip():
        return None
    return standings.ranked_count(street_id=filters.street.data)


def _export_rows(rows, _statement):
    rule_set = _export_filters()[1]
    return (row.score(rule_set) for row in rows)


exports.register(exports.Exporter(
    "credit.ranking", "信用评价", lambda: standings.ranking_columns(_export_filters()[1]),
    _export_ranking, in_memory=True, rows=_export_rows, count=_export_count, sheet_title=lambda: _("信用评价"),
    download=lambda: f"信用评价-{_export_filters()[3].isoformat()}.xlsx"))


@bp.get("/export.xlsx")
@scope.role_required(DISTRICT_READERS)
@in_chinese
def ranking_export():
    return exports.export_response("credit.ranking")


# --- company credit file -----------------------------------------------------

@bp.get("/mine")
@scope.role_required(COMPANY)
def mine():
    return redirect(url_for(".company", company_id=current_user.company_id))


@bp.get("/companies/<int:company_id>")
@scope.role_required(DISTRICT_READERS | COMPANY)
def company(company_id: int):
    company = scope.load(Company, company_id)
    as_of = _as_of_arg()
    records = company_records(company, include_drafts=current_user.sees_district)  # loaded once for both
    history = company_file.score_history(company, records=records)
    in_force = {day.year: explanation.rule_set for day, explanation in history}  # one rule set a year
    data = company_file.credit_file(company, as_of, include_drafts=current_user.sees_district, records=records,
                                    rule_set=in_force.get(as_of.year))
    today = local_today()
    objectable = request.args.get("objectable") == "1"
    if objectable:  # only the deductions the company may still object to (the home page's to-do links here)
        data["lines"] = [line for line in data["lines"] if company_file.objectable(line.event, today)]
    return render_template("credit/company.html", history=history, today=today, objectable=objectable,
                           status_labels=Labels(), **data)


@bp.get("/companies/<int:company_id>/report.pdf")
@scope.role_required(DISTRICT_READERS | COMPANY)
@in_chinese
def report_pdf(company_id: int):
    company = scope.load(Company, company_id)
    data = company_file.credit_file(company, _as_of_arg(), include_drafts=current_user.sees_district)
    pdf = render_pdf("pdf/credit/report.html", generated_on=local_today(), bureau_name=bureau_name(), **data)
    return pdf_response(pdf, f"信用报告-{company.name}-{data['as_of'].isoformat()}.pdf")
