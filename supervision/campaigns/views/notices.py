"""整改通知书: issue one for an estate's open items, list them, print the PDF."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...auth.roles import ALL_ROLES, BUREAU
from ...core.errors import DomainError
from ...core.pagination import paginate
from ...core.timeutil import local_today
from ...documents.pdf import pdf_response
from ...estates.models import Estate
from ...extensions import db
from ...i18n import in_chinese
from ..forms import NoticeFilterForm, NoticeForm
from ..models import Campaign, RectificationItem, RectificationNotice
from ..services import notices as notice_service
from . import bp
from ._helpers import arg_int, show_error


@bp.get("/notices")
@scope.role_required(ALL_ROLES)
def notices():
    filters = NoticeFilterForm(request.args)
    filters.validate()  # a year outside 2000–2100 is not looked up
    statement = scope.visible(RectificationNotice).options(
        joinedload(RectificationNotice.estate), joinedload(RectificationNotice.street),
        joinedload(RectificationNotice.company), joinedload(RectificationNotice.campaign))
    if filters.q.data:
        like = f"%{filters.q.data.strip()}%"
        statement = statement.where(or_(RectificationNotice.number.ilike(like),
                                        RectificationNotice.estate.has(Estate.name.ilike(like))))
    if filters.year.data and not filters.year.errors:
        statement = statement.where(RectificationNotice.year == filters.year.data)
    if arg_int("campaign"):
        statement = statement.where(RectificationNotice.campaign_id == arg_int("campaign"))
    if filters.awaiting.data == "1":
        statement = statement.where(notice_service.awaiting_reply_clause())
    page = paginate(statement.order_by(RectificationNotice.year.desc(), RectificationNotice.sequence.desc()))
    return render_template("campaigns/notices.html", page=page, filters=filters)


@bp.route("/notices/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def notice_new():
    estate_id = arg_int("estate")
    if not estate_id:
        abort(404)
    estate = scope.load(Estate, estate_id, roles=BUREAU)
    campaign = scope.load(Campaign, arg_int("campaign")) if arg_int("campaign") else None
    eligible = db.session.scalars(notice_service.eligible_items_statement(
        estate.id, campaign.id if campaign else None)).all()
    form = NoticeForm()
    form.item_ids.choices = [(i.id, f"#{i.id}") for i in eligible]
    if request.method == "GET":
        form.issued_on.data = local_today()
        form.deadline_workdays.data = campaign.default_deadline_workdays if campaign else 15
        form.item_ids.data = [i.id for i in eligible]
        form.remarks.data = _("请你单位对下列问题认真整改，于整改期限前整改完毕，并将整改情况及佐证材料通过系统报送。"
                              "逾期未整改的，将依法依规处理并记入信用档案。")
    if form.validate_on_submit():
        chosen = [i for i in eligible if i.id in set(form.item_ids.data)]
        try:
            notice = notice_service.issue_notice(
                estate=estate, items=chosen, actor=current_user, deadline_workdays=form.deadline_workdays.data,
                campaign=campaign, remarks=form.remarks.data, issued_on=form.issued_on.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已下达整改通知书 %(number)s。", number=notice.number), "success")
            return redirect(url_for(".notice_detail", notice_id=notice.id))
    return render_template("campaigns/notice_form.html", form=form, estate=estate, campaign=campaign,
                           eligible=eligible)


def _load(notice_id):
    return scope.load(RectificationNotice, notice_id, options=(
        joinedload(RectificationNotice.estate), joinedload(RectificationNotice.company),
        joinedload(RectificationNotice.campaign), joinedload(RectificationNotice.issued_by)))


@bp.get("/notices/<int:notice_id>")
@scope.role_required(ALL_ROLES)
def notice_detail(notice_id: int):
    notice = _load(notice_id)
    items = db.session.scalars(scope.visible(RectificationItem).where(RectificationItem.notice_id == notice.id)
                               .order_by(RectificationItem.id)).all()
    return render_template("campaigns/notice.html", notice=notice, items=items, today=local_today())


@bp.get("/notices/<int:notice_id>.pdf")
@scope.role_required(ALL_ROLES)
@in_chinese
def notice_pdf(notice_id: int):
    notice = _load(notice_id)
    data = notice_service.render_notice_pdf(notice)
    return pdf_response(data, f"整改通知书-{notice.number}.pdf")


