"""整改通知书: issue one for an estate's open items, list them, print the PDF."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...auth.roles import ALL_ROLES, BUREAU
from ...companies.models import Company
from ...core.errors import DomainError
from ...core.pagination import paginate_keys
from ...core.timeutil import local_today
from ...documents.pdf import pdf_response
from ...estates.models import Estate
from ...extensions import db
from ...i18n import in_chinese
from ...regions.models import Street
from ..forms import NoticeFilterForm, NoticeForm
from ..models import Campaign, RectificationItem, RectificationNotice
from ..services import notices as notice_service
from . import bp
from ._helpers import arg_int, show_error

Notice = RectificationNotice


@bp.get("/notices")
@scope.role_required(ALL_ROLES)
def notices():
    filters = NoticeFilterForm(request.args)
    filters.validate()  # a year outside 2000–2100 is not looked up
    # Pages first: the page's ids by the filters and the order, then those notices' columns with their names.
    statement = scope.visible(RectificationNotice, statement=select(Notice.id))
    searching = bool(filters.q.data and filters.q.data.strip())
    if searching:
        like = f"%{filters.q.data.strip()}%"
        statement = statement.where(or_(Notice.number.ilike(like),
                                        Notice.estate_id.in_(select(Estate.id).where(Estate.name.ilike(like)))))
    if filters.year.data and not filters.year.errors:
        statement = statement.where(Notice.year == filters.year.data)
    if arg_int("campaign"):
        statement = statement.where(Notice.campaign_id == arg_int("campaign"))
    if filters.awaiting.data == "1":
        statement = statement.where(notice_service.awaiting_reply_clause())
    page = paginate_keys(statement.order_by(Notice.year.desc(), Notice.sequence.desc()), _notices_by_id,
                         count_with_keys=searching)
    return render_template("campaigns/notices.html", page=page, filters=filters)


def _notices_by_id(ids) -> dict:
    """The list's columns of these notices, names joined (plain rows, no ORM objects)."""
    rows = db.session.execute(
        select(Notice.id, Notice.number, Estate.name.label("estate"), Street.name.label("street"),
               Company.name.label("company"), Campaign.name.label("campaign"), Notice.issued_on, Notice.deadline)
        .join(Estate, Estate.id == Notice.estate_id).join(Street, Street.id == Notice.street_id)
        .outerjoin(Company, Company.id == Notice.company_id).outerjoin(Campaign, Campaign.id == Notice.campaign_id)
        .where(Notice.id.in_(ids)))
    return {row.id: row for row in rows}


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


