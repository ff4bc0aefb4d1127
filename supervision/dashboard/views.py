"""工作台: the landing page of every role, its charts, and the monthly report PDF.

- bureau, administrators and leaders: the district's key figures, the target table per
  street (every number links to its drill-down), trend and per-street charts, the
  monthly report;
- street officers: the same for their own street only;
- company users: their own certification and credit.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, get_template_attribute, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth import scope
from ..auth.roles import ADMIN, BUREAU, COMPANY, DISTRICT_READERS, STREET
from ..companies.models import Company
from ..core.holidays.services import missing_year_warning
from ..core.timeutil import local_today, to_local
from ..documents.pdf import render_pdf
from ..i18n import in_chinese
from ..jobs import pdfs
from ..targets import services as target_services
from ..targets.indicators import all_indicators, get_indicator
from ..targets.views import street_in_scope, year_and_day
from . import hooks, services, todo

bp = Blueprint("dashboard", __name__)

READERS = DISTRICT_READERS | STREET
CHART_MAX_AGE = 300  # seconds a browser may reuse a chart


@bp.get("/")
@login_required
def index():
    if current_user.role in COMPANY:
        return _company_dashboard()
    if current_user.role not in READERS:
        abort(403)
    street = street_in_scope(None)
    today = local_today()
    street_id = street.id if street else None
    services.read_generations()

    def compute():
        # What the committing transaction stored for these figures (the scorecard's inputs and counts, the key
        # figures), read in one query, with the to-do list's figures of the same generation: a street officer's
        # committee alerts, the district's overdue items by street (a street officer's its street's row), answers
        # and reports to review.
        also = {services.KEY_FIGURES: [services.figures_key(street_id, today)]}
        if current_user.role in STREET:
            also[todo.TODO_COMMITTEES] = [todo.committees_key(current_user.street_id, today)]
        if current_user.role in STREET | BUREAU:
            also[todo.TODO_DISTRICT] = [todo.district_todo_key(today)]
        target_services.prefetch_stored(today, also=also)
        if street is None:
            card = target_services.scorecard(today)
            row = card.district
        else:
            card = target_services.scorecard(today, street_ids=[street_id], include_district=False)
            row = card.streets[0]
        figures = services.key_figures(today, street_id)
        return card, row, figures

    # The indicators and key figures are the district's (or the street's) whole data: reused until
    # that data changes (the page says when they were computed); drill-downs are live.
    (card, row, figures), computed_at = services.landing(("landing", street_id, today), compute)
    # The table of every street × indicator (a link per cell) is the same HTML for every reader of the
    # scope: rendered once per data generation and language, as the figures it shows.
    table = get_template_attribute("targets/_macros.html", "scorecard_table")
    scorecard_html = services.landing_html(("scorecard", street_id, today, str(get_locale())), lambda: table(card))
    chart_code = request.args.get("chart") or "coverage"
    if get_indicator(chart_code) is None:
        chart_code = "coverage"
    # From 1 November the admin is told when the coming year's holiday arrangement is not entered.
    holiday_missing = missing_year_warning(today) if current_user.role in ADMIN else None
    # What the user has to do comes first, live (never from the cache); the indicators follow.
    entries = todo.entries_for(current_user, today=today, scorecard=card if street is None else None)
    return render_template(
        "dashboard/index.html", card=card, row=row, street=street, today=today, figures=figures, todo=entries,
        scorecard_html=scorecard_html,
        computed_at=to_local(computed_at), holiday_missing=holiday_missing,
        chart_code=chart_code, indicators=all_indicators(), months=_recent_months(today),
        # the charts' figures as tables under them, for screen readers (the same rows the charts draw)
        indicator_rows=services.indicator_chart_rows(row),
        street_rows=services.street_chart_rows(card, chart_code) if street is None else [],
    )


def _recent_months(today: date, count: int = 12) -> list[tuple[str, str]]:
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append((f"{year}-{month:02d}", _("%(year)s年%(month)s月", year=year, month=month)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _company_dashboard():
    services.read_company_generations()
    company = scope.load(Company, current_user.company_id)
    today = local_today()
    certification = services.company_certification(company.id, today)
    entries = todo.entries_for(current_user, today=today)
    return render_template("dashboard/company.html", company=company, today=today, todo=entries,
                           certification=certification, credit=hooks.company_credit(company),
                           staff_indicator=get_indicator("staff_cert"),
                           manager_threshold=get_indicator("manager_cert").default_threshold,
                           staff_threshold=get_indicator("staff_cert").default_threshold)


def _svg(svg: str):
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"private, max-age={CHART_MAX_AGE}"
    return response


@bp.get("/dashboard/charts/trend.svg")
@scope.role_required(READERS)
def chart_trend():
    street = street_in_scope(request.args.get("street", type=int))
    code = request.args.get("indicator") or None
    if code is not None and get_indicator(code) is None:
        abort(404)
    weeks = min(max(request.args.get("weeks", 26, type=int), 4), 104)
    year, day = year_and_day(request.args.get("year", type=int))
    return _svg(services.trend_svg(street.id if street else None, street.name if street else _("全区"),
                                   until=day, indicator_code=code, weeks=weeks, year=year))


@bp.get("/dashboard/charts/streets.svg")
@scope.role_required(DISTRICT_READERS)
def chart_streets():
    code = request.args.get("indicator") or "coverage"
    if get_indicator(code) is None:
        abort(404)
    year, day = year_and_day(request.args.get("year", type=int))
    card = target_services.scorecard(day, year=year, include_district=False, indicators=[get_indicator(code)])
    return _svg(services.streets_svg(card, code))


@bp.get("/dashboard/charts/indicators.svg")
@scope.role_required(READERS)
def chart_indicators():
    street = street_in_scope(request.args.get("street", type=int))
    year, day = year_and_day(request.args.get("year", type=int))
    if street is None:
        row = target_services.scorecard(day, year=year, street_ids=[]).district
    else:
        row = target_services.scorecard(day, year=year, street_ids=[street.id], include_district=False).streets[0]
    return _svg(services.indicators_chart(row, street.name if street else _("全区")))


@bp.get("/dashboard/report.pdf")
@scope.role_required(READERS)
@in_chinese
def monthly_report():
    """The month's report; expected over ``PDF_JOB_PAGES`` pages it is made by a job (``jobs.pdfs``)."""
    return pdfs.pdf_or_job("dashboard.monthly_report")


def _monthly_report_choice() -> tuple:
    """``(year, month, street, scorecard)`` of the request (404 for a month not begun), once per request: the
    page estimate and the PDF both read the scorecard. Kept in the request's environ, not ``g``: a job's
    request context may share a worker's app context."""
    chosen = request.environ.get(MONTHLY_REPORT_KEY)
    if chosen is None:
        street = street_in_scope(request.args.get("street", type=int))
        today = local_today()
        raw = request.args.get("month") or f"{today.year}-{today.month:02d}"
        try:
            year, month = (int(part) for part in raw.split("-", 1))
            first = date(year, month, 1)
        except ValueError:
            abort(404)
        if first > today or year < 2000:
            abort(404)
        chosen = year, month, street, services.report_scorecard(year, month, street)
        request.environ[MONTHLY_REPORT_KEY] = chosen
    return chosen


MONTHLY_REPORT_KEY = "supervision.dashboard.monthly_report"


def _monthly_report_pages() -> int:
    _year, _month, street, (_day, card, row) = _monthly_report_choice()
    return services.expected_pages(street, card, row)


@in_chinese
def _render_monthly_report() -> tuple[bytes, str]:
    year, month, street, scorecard = _monthly_report_choice()
    data = services.monthly_report(year, month, street, scorecard)
    pdf = render_pdf("pdf/dashboard/monthly.html", **services.with_charts(data))
    scope_name = data["street"].name if data["street"] else "全区"
    return pdf, f"{scope_name}{data['year']}年{data['month']}月物业监管工作报告.pdf"


pdfs.register(pdfs.PdfMaker("dashboard.monthly_report", "月度工作报告", _monthly_report_pages,
                            _render_monthly_report))


@bp.get("/dashboard/charts/trend")
@scope.role_required(READERS)
def chart_trend_table():
    """The trend chart's data as a table: its text equivalent for screen readers and for printing."""
    street = street_in_scope(request.args.get("street", type=int))
    weeks = min(max(request.args.get("weeks", 26, type=int), 4), 104)
    year, day = year_and_day(request.args.get("year", type=int))
    chosen = [get_indicator(code) for code in services.TREND_INDICATORS]
    series = target_services.trend(chosen, street.id if street else None, until=day, weeks=weeks)
    week_starts = sorted({week for s in series for week, _value in s.points})
    values = {s.indicator.code: dict(s.points) for s in series}
    return render_template("dashboard/trend_table.html", street=street, series=series, week_starts=week_starts,
                           values=values, year=year)
