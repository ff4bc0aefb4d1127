"""Administration of the region tree 区 → 街道 → 社区."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import scope
from ..auth.roles import ADMIN
from ..core.errors import DomainError, check_version
from ..core.forms import apply_domain_error
from ..extensions import db
from . import services
from .forms import DistrictForm, RegionForm
from .models import Community, District, Street

bp = Blueprint("regions", __name__, url_prefix="/admin/regions")


@bp.get("/")
@scope.role_required(ADMIN)
def index():
    """The tree: every street with its first communities; ``?street=<id>`` pages one street's communities."""
    street_id = request.args.get("street", type=int)
    if street_id is not None:
        street = scope.load(Street, street_id)
        page, estate_counts = services.street_communities(street)
        return render_template("regions/index.html", street=street, page=page, estate_counts=estate_counts)
    districts, communities, totals, estate_counts = services.district_tree()
    return render_template("regions/index.html", districts=districts, communities=communities, totals=totals,
                           estate_counts=estate_counts, street=None)


def _save(form, action, success_message):
    if form.validate_on_submit():
        try:
            action()
        except DomainError as error:
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
            return False
        db.session.commit()
        flash(success_message, "success")
        return True
    return False


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def district_edit(district_id):
    district = scope.load(District, district_id)
    form = DistrictForm(obj=district)

    def action():
        check_version(district, form.version.data)
        services.update_district(district, name=form.name.data, code=form.code.data,
                                 bureau_name=form.bureau_name.data)

    if _save(form, action, _("已保存。")):
        return redirect(url_for(".index"))
    return render_template("regions/form.html", form=form, title=_("编辑区"), parent=None)


@bp.route("/districts/<int:district_id>/streets/new", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def street_new(district_id):
    district = scope.load(District, district_id)
    form = RegionForm()
    if request.method == "GET":
        form.active.data = True
    if _save(form, lambda: services.create_street(district, name=form.name.data, code=form.code.data,
                                                  active=form.active.data), _("已添加街道。")):
        return redirect(url_for(".index"))
    return render_template("regions/form.html", form=form, title=_("添加街道"), parent=district)


@bp.route("/streets/<int:street_id>/edit", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def street_edit(street_id):
    street = scope.load(Street, street_id)
    form = RegionForm(obj=street)

    def action():
        check_version(street, form.version.data)
        services.update_street(street, name=form.name.data, code=form.code.data, active=form.active.data)

    if _save(form, action, _("已保存。")):
        return redirect(url_for(".index"))
    return render_template("regions/form.html", form=form, title=_("编辑街道"), parent=street.district)


@bp.route("/streets/<int:street_id>/communities/new", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def community_new(street_id):
    street = scope.load(Street, street_id)
    form = RegionForm()
    if request.method == "GET":
        form.active.data = True
    if _save(form, lambda: services.create_community(street, name=form.name.data, code=form.code.data,
                                                     active=form.active.data), _("已添加社区。")):
        return redirect(url_for(".index"))
    return render_template("regions/form.html", form=form, title=_("添加社区"), parent=street)


@bp.route("/communities/<int:community_id>/edit", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def community_edit(community_id):
    community = scope.load(Community, community_id)
    form = RegionForm(obj=community)

    def action():
        check_version(community, form.version.data)
        services.update_community(community, name=form.name.data, code=form.code.data,
                                  active=form.active.data)

    if _save(form, action, _("已保存。")):
        return redirect(url_for(".index"))
    return render_template("regions/form.html", form=form, title=_("编辑社区"), parent=community.street)
