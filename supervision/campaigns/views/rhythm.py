"""抽查节奏 and 抽查样本: the weekly rhythm of spot checks and the risk-weighted samples (bureau and leaders)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...auth import scope
from ...auth.roles import BUREAU, DISTRICT_READERS
from ...core.errors import DomainError
from ...core.markup import status_badge
from ...core.pagination import paginate_rows
from ...core.timeutil import local_today
from ...estates.models import Estate
from ...extensions import db
from ...regions.choices import street_choices
from ...regions.models import Street
from .. import indicators  # noqa: F401  (registers 每周抽查覆盖率 on the targets page)
from ..forms import SpotCheckRhythmFilterForm, SpotCheckSampleForm
from ..models import SpotCheckSample
from ..services import rhythm as rhythm_service
from ..services import sampling
from . import bp
from ._helpers import show_error


@bp.get("/spot-checks/rhythm")
@scope.role_required(DISTRICT_READERS)
def spot_check_rhythm():
    today = local_today()
    filters = SpotCheckRhythmFilterForm(request.args)
    filters.street.choices = street_choices(blank=_("全部"))
    last = rhythm_service.week_of_arg(filters.until.data, today)
    result = rhythm_service.rhythm(last, today=today, street_id=filters.street.data)
    args = {"street": filters.street.data}
    earlier = url_for(".spot_check_rhythm", until=last.prev(rhythm_service.WEEKS_SHOWN).key, **args)
    after = rhythm_service.week_after(last, today)
    later = url_for(".spot_check_rhythm", until=after.key, **args) if after is not None else None
    # Each state's badge drawn (and its label translated) once, not in each of the ~130 rows.
    badges = {status: status_badge(status) for status in rhythm_service.WeekStatus}
    return render_template("campaigns/spot_check_rhythm.html", rhythm=result, filters=filters, today=today,
                           earlier=earlier, later=later, status_of=rhythm_service.week_status, badges=badges)


@bp.get("/spot-checks/samples")
@scope.role_required(DISTRICT_READERS)
def spot_check_samples():
    statement = scope.visible(SpotCheckSample).options(
        joinedload(SpotCheckSample.street), joinedload(SpotCheckSample.created_by))
    page = paginate_rows(statement.order_by(SpotCheckSample.id.desc()))
    return render_template("campaigns/spot_check_samples.html", page=page)


@bp.route("/spot-checks/samples/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def spot_check_sample_new():
    form = SpotCheckSampleForm()
    form.street.choices = street_choices(blank=_("全区"))
    if form.validate_on_submit():
        street = db.session.get(Street, form.street.data) if form.street.data else None
        try:
            sample = sampling.create_sample(actor=current_user, size=form.size.data, street=street,
                                            seed=form.seed.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("已生成抽查样本。"), "success")
            return redirect(url_for(".spot_check_sample", sample_id=sample.id))
    return render_template("campaigns/spot_check_sample_form.html", form=form)


@bp.get("/spot-checks/samples/<int:sample_id>")
@scope.role_required(DISTRICT_READERS)
def spot_check_sample(sample_id: int):
    sample = scope.load(SpotCheckSample, sample_id,
                        options=(joinedload(SpotCheckSample.street), joinedload(SpotCheckSample.created_by)))
    estates = {e.id: e for e in db.session.scalars(
        select(Estate).where(Estate.id.in_(sample.estate_ids)).options(joinedload(Estate.street),
                                                                          joinedload(Estate.company)))}
    checked = sampling.checked_estates(sample)
    rows = [(n, entry, estates.get(entry["estate_id"]), checked.get(entry["estate_id"]))
            for n, entry in enumerate(sample.entries, start=1)]
    return render_template("campaigns/spot_check_sample.html", sample=sample, rows=rows,
                           checked_count=sum(1 for row in rows if row[3] is not None))
