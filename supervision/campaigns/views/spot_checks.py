"""抽查记录: bureau officers record spot checks of any estate; leaders read them."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ...attachments.services import attachments_of
from ...auth import scope
from ...auth.roles import BUREAU, DISTRICT_READERS
from ...core.errors import DomainError
from ...core.pagination import paginate_keys
from ...core.search import contains
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from ...offline import services as offline
from ...regions.choices import street_choices
from ..forms import SpotCheckFilterForm, SpotCheckForm
from ..models import Campaign, ItemSource, RectificationItem, SpotCheck, SpotCheckSample
from ..services import spot_checks as spot_service
from . import bp
from ._helpers import arg_int, show_error
from .enrolments import _problems


@bp.get("/spot-checks")
@scope.role_required(DISTRICT_READERS)
def spot_checks():
    filters = SpotCheckFilterForm(request.args)
    filters.street.choices = street_choices(blank=_("全部"))
    # Pages first: the page's ids by the filters and the date, then those 50 checks with their findings (the
    # correlated count ran for every check before the sort).
    keys = scope.visible(SpotCheck, statement=select(SpotCheck.id))
    if filters.street.data:
        keys = keys.where(SpotCheck.street_id == filters.street.data)
    if filters.q.data:
        keys = keys.where(SpotCheck.estate_id.in_(select(Estate.id).where(
            contains(Estate.name, f"%{filters.q.data.strip()}%"))))
    if filters.since.data:
        keys = keys.where(SpotCheck.checked_on >= filters.since.data)
    if filters.until.data:
        keys = keys.where(SpotCheck.checked_on <= filters.until.data)
    page = paginate_keys(keys.order_by(SpotCheck.checked_on.desc(), SpotCheck.id.desc()), _checks_by_id,
                         count_with_keys=bool(filters.q.data))
    return render_template("campaigns/spot_checks.html", page=page, filters=filters)


def _checks_by_id(ids) -> dict:
    findings = (select(func.count(RectificationItem.id))
                .where(RectificationItem.source == ItemSource.SPOT_CHECK, RectificationItem.source_id == SpotCheck.id)
                .correlate(SpotCheck).scalar_subquery())
    rows = db.session.execute(select(SpotCheck, findings.label("findings")).where(SpotCheck.id.in_(ids)).options(
        joinedload(SpotCheck.estate), joinedload(SpotCheck.street), joinedload(SpotCheck.campaign),
        joinedload(SpotCheck.checked_by)))
    return {check.id: (check, count) for check, count in rows}


@bp.route("/spot-checks/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def spot_check_new():
    form = SpotCheckForm() if request.method == "POST" else SpotCheckForm(estate_id=arg_int("estate"))
    estate_id = form.estate_id.data
    campaigns = spot_service.campaigns_for_estate(estate_id) if estate_id else []
    form.campaign_id.choices = [(None, _("（不计入专项行动）"))] + [(c.id, f"{c.year} · {c.name}") for c in campaigns]
    if request.method == "GET":
        form.sample_id.data = arg_int("sample")
        if campaigns:
            form.campaign_id.data = campaigns[0].id
        estate = db.session.get(Estate, estate_id) if estate_id else None
        for row in form.findings:
            row.form.deadline_workdays.data = campaigns[0].default_deadline_workdays if campaigns else 15
            if estate is not None and estate.company_id is None:
                row.form.responsible_party.data = "street"
    if request.form.get("pick_estate"):  # without JavaScript: the campaigns of the estate just typed
        return render_template("campaigns/spot_check_form.html", form=form, campaigns=campaigns)
    key, earlier = offline.once() if request.method == "POST" else (None, None)
    if earlier is not None:
        return offline.repeated(earlier, url_for(".spot_checks"))
    if form.validate_on_submit():
        if (earlier := offline.claim_current(key)) is not None:
            return offline.repeated(earlier, url_for(".spot_checks"))
        estate = scope.load(Estate, form.estate_id.data, roles=BUREAU)
        campaign = db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None
        sample = scope.load(SpotCheckSample, form.sample_id.data, roles=BUREAU) if form.sample_id.data else None
        try:
            check = spot_service.record_spot_check(
                estate=estate, actor=current_user, checked_on=form.checked_on.data, summary=form.summary.data,
                findings=_problems(form.findings), campaign=campaign, photos=form.photos.data or [], sample=sample)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            offline.settle(current_user, key, url_for(".spot_check_detail", spot_check_id=check.id))
            db.session.commit()
            flash(_("已录入抽查记录。"), "success")
            return redirect(url_for(".spot_check_detail", spot_check_id=check.id))
    return render_template("campaigns/spot_check_form.html", form=form, campaigns=campaigns)


@bp.get("/spot-checks/<int:spot_check_id>")
@scope.role_required(DISTRICT_READERS)
def spot_check_detail(spot_check_id: int):
    check = scope.load(SpotCheck, spot_check_id, options=(joinedload(SpotCheck.estate),
                                                          joinedload(SpotCheck.checked_by)))
    items = db.session.scalars(scope.visible(RectificationItem).where(
        RectificationItem.source == ItemSource.SPOT_CHECK, RectificationItem.source_id == check.id)
        .order_by(RectificationItem.id)).all()
    return render_template("campaigns/spot_check.html", check=check, items=items, photos=attachments_of(check),
                           today=local_today())
