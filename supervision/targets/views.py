"""目标考核: targets per scope and year, the measured values and the drill-down to the gap."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import history_for
from ..auth import scope
from ..auth.roles import ADMIN, DISTRICT_READERS, STREET, Role
from ..core import generations
from ..core.errors import DomainError
from ..core.forms import MAX_INT, apply_domain_error
from ..core.holidays.models import HOLIDAYS_TOPIC
from ..core.pagination import paginate_keys, paginate_rows
from ..core.timeutil import local_today
from ..extensions import db
from ..regions.choices import street_choices
from ..regions.models import Street
from . import markup, services
from .forms import ScopeFilterForm, TargetForm
from .indicators import gap_page, gap_rows, subject_model

bp = Blueprint("targets", __name__, url_prefix="/targets")

READERS = DISTRICT_READERS | STREET
bp.add_app_template_global(markup.score_cell, "score_cell_html")


def street_in_scope(street_id: int | None, user=None):
    """The street a request may look at: a street office only ever its own (404 for another)."""

    user = user or current_user
    if street_id is not None and not 0 < street_id <= MAX_INT:
        abort(404)  # names no street (and would overflow the database's integers)
    if user.role is Role.STREET_OFFICER:
        if street_id is not None and street_id != user.street_id:
            abort(404)
        return db.session.get(Street, user.street_id)
    if user.role not in DISTRICT_READERS:
        abort(403)
    if street_id is None:
        return None
    street = db.session.get(Street, street_id)
    if street is None:
        abort(404)
    return street


def year_and_day(year: int | None):
    """The year asked for and the day to measure on: today, or the last day of a past year."""
    today = local_today()
    year = year or today.year
    if not (2000 <= year <= 2100):
        abort(404)
    day = today if year >= today.year else today.replace(year=year, month=12, day=31)
    return year, day


def _scope_filter(street, year):

    form = ScopeFilterForm(request.args)
    this_year = local_today().year
    form.year.choices = [(y, _("%(year)s年", year=y)) for y in range(this_year + 1, this_year - 4, -1)]
    if current_user.role is Role.STREET_OFFICER:
        form.street.choices = [(street.id, street.name)]
    else:
        form.street.choices = [(None, _("全区"))] + street_choices()
    form.year.data = year
    form.street.data = street.id if street else None
    return form


def _cards(year, day, street):
    if street is None:
        card = services.scorecard(day, year=year, include_district=True, street_ids=[])
        return card, card.district
    card = services.scorecard(day, year=year, include_district=False, street_ids=[street.id])
    return card, card.streets[0]


@bp.get("/")
@scope.role_required(READERS)
def index():
    street = street_in_scope(request.args.get("street", type=int))
    year, day = year_and_day(request.args.get("year", type=int))
    card, row = _cards(year, day, street)
    return render_template("targets/index.html", card=card, row=row, street=street, year=year,
                           filters=_scope_filter(street, year), can_edit=current_user.role in ADMIN)


@dataclass(frozen=True)
class _Viewer:
    """What the drill-down's statement depends on of the user (the scope rules ask only these)."""

    sees_district: bool
    is_street: bool
    is_company: bool
    street_id: int | None
    company_id: int | None

    @classmethod
    def of(cls, user) -> _Viewer:
        return cls(bool(user.sees_district), bool(user.is_street), bool(user.is_company), user.street_id,
                   user.company_id)


@lru_cache(maxsize=64)
def _gap_statement(code: str, day, street_id: int | None, viewer: _Viewer, _holidays: int | None,
                   _day_is_current: bool):
    """The drill-down's rows by pages first (``gap_page``: the page's ids, then their rows) or, for rows without
    an id, in one statement (``gap_rows``), and the scope conditions added to them: ``(pages, statement,
    extra_where)``, built once per process for each indicator, day, street, viewer and calendar (building them
    cost about as much as running them)."""
    indicator = services.get_indicator(code)
    subject = subject_model(indicator, day)
    extra_where = _in_scope(subject, indicator, street_id, viewer)
    pages = gap_page(indicator, day, street_id=street_id, extra_where=extra_where)
    statement = gap_rows(indicator, day, street_id=street_id, extra_where=extra_where) if pages is None else None
    return pages, statement, tuple(extra_where)


def _in_scope(subject, indicator, street_id, user) -> list:
    """The viewer's scope on the drill-down's rows, as ``id IN (visible ids)``: none for district readers,
    nor for a street office on its street's rows of an indicator whose scope is the street's.

    The gap query joins other tables (a staff member's estate, an item's street), and a scope
    clause may be an EXISTS over one of those same tables: placed directly in the gap query it
    would be auto-correlated to the join and lose its FROM clause. A subquery of the subject
    alone keeps the clause's tables its own, whatever the clause names.
    """
    if subject is None or not hasattr(subject, "scope_clause") or user.sees_district:
        return []
    own_street = street_id is not None and user.is_street and street_id == user.street_id
    if indicator.street_scoped and own_street:
        return []
    return [subject.id.in_(scope.visible(subject, user, statement=select(subject.id)))]


@bp.get("/<code>/gap")
@scope.role_required(READERS)
def gap(code):
    indicator = services.indicator_or_404(code)
    street = street_in_scope(request.args.get("street", type=int))
    year, day = year_and_day(request.args.get("year", type=int))
    # This indicator only (kept by data generation): the district's figure with each street's for its
    # readers (one measurement grouped by street), or the street's.
    by_street = None
    if street is None:
        with_streets = current_user.role in DISTRICT_READERS and not indicator.district_only
        card = services.scorecard(day, year=year, indicators=[indicator], street_ids=None if with_streets else [])
        row, by_street = card.district, (card if with_streets else None)
    else:
        card = services.scorecard(day, year=year, include_district=False, street_ids=[street.id],
                                  indicators=[indicator])
        row = card.streets[0]
    cell = row.cells[indicator.code]
    page = None
    # Some indicators' rows are worked out on the working-day calendar (literals in the statement): its generation
    # is part of their key (None: changed in this transaction, or never written — built afresh).
    holidays = generations.current(HOLIDAYS_TOPIC) if indicator.reads_calendar else 0
    build = _gap_statement if holidays is not None else _gap_statement.__wrapped__
    # A day measured as today reads the live management data, the same day once past reads the periods in force
    # then (``indicators._coverage_base``): two statements for one date, so whether it is past is in the key.
    pages, statement, extra_where = build(indicator.code, day, street.id if street else None,
                                          _Viewer.of(current_user), holidays, day >= local_today())
    # The rows are the cell's gap exactly unless a scope narrows them: then they are counted.
    counter = (lambda: cell.gap) if not extra_where and cell.counts is not None else None
    if pages is not None:
        page = paginate_keys(pages.keys, pages.load, counter=counter)
    elif statement is not None:
        page = paginate_rows(statement, counter=counter)
    return render_template("targets/gap.html", indicator=indicator, cell=cell, card=card, street=street,
                           year=year, page=page, by_street=by_street)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def edit(code):
    indicator = services.indicator_or_404(code)
    street = street_in_scope(request.args.get("street", type=int))
    year, _day = year_and_day(request.args.get("year", type=int))
    target = services.find_target(indicator.code, year, street.id if street else None)
    form = TargetForm(obj=target)
    targets = services.year_targets(year)
    current = services.resolve_threshold(targets, indicator, street.id if street else None)
    if request.method == "GET":
        form.version.data = target.version if target else ""
        if target is not None:
            form.threshold.data = target.threshold * 100
        else:
            form.threshold.data = (Decimal(current.value.numerator * 100)
                                   / Decimal(current.value.denominator)).quantize(Decimal("0.01"))
            form.basis.data = current.basis or (indicator.basis if street is None else "")
    back = url_for(".index", year=year, street=street.id if street else None)
    if form.validate_on_submit():
        try:
            services.save_target(indicator, year, street, threshold_percent=form.threshold.data,
                                 basis=(form.basis.data or "").strip(), notes=(form.notes.data or "").strip(),
                                 version=form.version.data, actor=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        except IntegrityError:
            db.session.rollback()
            flash(_("该目标已被他人设置，请刷新页面后重新编辑。"), "danger")
        else:
            flash(_("已保存目标。"), "success")
            return redirect(back)
    history = history_for(target) if target is not None else []
    return render_template("targets/edit.html", form=form, indicator=indicator, street=street, year=year,
                           target=target, current=current, back=back, history=history)
