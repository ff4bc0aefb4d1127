"""节假日安排: the admin's pages under /admin/holidays (list years, edit a year, Excel import)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import scope
from ...auth.roles import ADMIN
from ...documents.excel import xlsx_response
from ...extensions import db
from ...i18n import in_chinese
from ..errors import DomainError
from ..forms import ConfirmForm
from ..markup import status_badge
from ..timeutil import local_today
from . import report_weeks, services, spreadsheet
from .forms import HolidayDayForm, HolidayImportForm, ReportWeekForm
from .models import DayKind, HolidayYear

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")


def _moved_message(change) -> str:
    if not change.moved:
        message = _("没有需要调整的截止日期。")
    else:
        message = _("已按新安排重新计算 %(n)s 个未到期的截止日期，并已通知相关单位。", n=len(change.moved))
    complaints = getattr(change, "complaints", None)
    if complaints is not None and complaints.job is not None:
        message += _("未办结诉求的办理时限正在后台重新计算。")
    elif complaints is not None and complaints.moved:
        message += _("%(n)s 件未办结诉求的办理时限已按新安排调整。", n=complaints.moved)
    return message


@bp.get("/")
@scope.role_required(ADMIN)
def index():
    today = local_today()
    years = services.year_rows()
    return render_template("admin/holidays.html", years=years, import_form=HolidayImportForm(),
                           missing=services.missing_year_warning(today, {row.year for row in years}),
                           this_year=today.year)


@bp.get("/<int:year>")
@scope.role_required(ADMIN)
def year_detail(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    row = db.session.get(HolidayYear, year)
    form = HolidayDayForm()
    return render_template("admin/holiday_year.html", year=year, row=row, form=form, remove_form=ConfirmForm(),
                           import_form=HolidayImportForm(year=year), quiet_weeks=report_weeks.quiet_weeks(year),
                           week_form=ReportWeekForm(), kind_badges={kind: status_badge(kind) for kind in DayKind})


@bp.post("/<int:year>/days")
@scope.role_required(ADMIN)
def add_day(year: int):
    form = HolidayDayForm()
    if form.validate_on_submit():
        try:
            change = services.add_day(year, services.DayInput(form.day.data, DayKind(form.kind.data),
                                                              form.name.data), actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已录入 %(day)s。", day=form.day.data.isoformat()) + _moved_message(change), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return redirect(url_for(".year_detail", year=year))


@bp.post("/<int:year>/days/<day>/remove")
@scope.role_required(ADMIN)
def remove_day(year: int, day: str):

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            change = services.remove_day(year, parsed, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已删除 %(day)s。", day=parsed.isoformat()) + _moved_message(change), "success")
    return redirect(url_for(".year_detail", year=year))


@bp.post("/<int:year>/report-weeks")
@scope.role_required(ADMIN)
def require_report_week(year: int):
    form = ReportWeekForm()
    if form.validate_on_submit():
        try:
            report_weeks.require(date.fromisoformat(form.monday.data), form.reason.data, actor=current_user)
        except (DomainError, ValueError) as error:
            db.session.rollback()
            flash(getattr(error, "message", _("请选择一周的周一。")), "danger")
        else:
            db.session.commit()
            flash(_("已要求报送该周周报，并已通知各街道。"), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
    return redirect(url_for(".year_detail", year=year))


@bp.post("/<int:year>/report-weeks/<monday>/withdraw")
@scope.role_required(ADMIN)
def withdraw_report_week(year: int, monday: str):
    try:
        parsed = date.fromisoformat(monday)
    except ValueError:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            report_weeks.withdraw(parsed, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已撤销该周的报送要求。"), "success")
    return redirect(url_for(".year_detail", year=year))


@bp.get("/template.xlsx")
@scope.role_required(ADMIN)
@in_chinese
def template():
    year = request.args.get("year", type=int)
    row = db.session.get(HolidayYear, year) if year else None
    data = spreadsheet.template_bytes(row.days if row is not None else ())
    return xlsx_response(data, f"节假日安排{year or ''}.xlsx")


@bp.post("/import")
@scope.role_required(ADMIN)
def import_year():
    form = HolidayImportForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return redirect(request.referrer or url_for(".index"))
    upload = form.file.data
    result = spreadsheet.import_year(form.year.data, upload.read(), upload.filename, actor=current_user,
                                     notice=form.notice.data)
    if not result.ok:
        db.session.rollback()
        return render_template("admin/holiday_import_errors.html", year=form.year.data, errors=result.errors), 422
    db.session.commit()
    flash(_("已导入 %(year)s 年节假日安排（%(n)s 天）。", year=form.year.data,
            n=len(db.session.get(HolidayYear, form.year.data).days)) + _moved_message(result.created), "success")
    return redirect(url_for(".year_detail", year=form.year.data))

