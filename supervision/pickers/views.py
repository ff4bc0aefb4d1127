"""The pickers' search: GET /pickers/estates?q=…, /pickers/companies?q=…, /pickers/staff?q=… and
/pickers/communities?q=… answer JSON options the user may choose (id, value to put in the box, label, hint),
at most 20."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from ..extensions import limiter
from . import services

bp = Blueprint("pickers", __name__, url_prefix="/pickers")


def _limit() -> str:
    return current_app.config.get("PICKER_RATE_LIMIT", "240 per minute")


def _per_user() -> str:
    return f"picker:{current_user.get_id() or request.remote_addr}"


def _search(kind: str):
    picker = services.PICKERS[kind]
    params = {key: request.args.get(key) for key in picker.params}
    options = services.search(picker, current_user, request.args.get("q", ""), params)
    response = jsonify([option.as_json() for option in options])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/estates")
@login_required
@limiter.limit(_limit, key_func=_per_user)
def estates():
    """Estates the user may see matching ``q`` (name or address); ``street``, ``company`` narrow them."""
    return _search("estates")


@bp.get("/companies")
@login_required
@limiter.limit(_limit, key_func=_per_user)
def companies():
    """Companies the user may see matching ``q`` (name, credit code or address); ``all=1`` lets the bureau
    and streets choose among every company (assigning an estate's company)."""
    return _search("companies")


@bp.get("/staff")
@login_required
@limiter.limit(_limit, key_func=_per_user)
def staff():
    """Staff the user may see (``scope.visible``: a street its estates' staff, a company its own) of active
    companies matching ``q`` (name or phone); ``company`` narrows them to one company's staff."""
    return _search("staff")


@bp.get("/communities")
@login_required
@limiter.limit(_limit, key_func=_per_user)
def communities():
    """Active communities matching ``q`` (name or code), with their street; ``street`` narrows them."""
    return _search("communities")
