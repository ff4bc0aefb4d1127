"""The pickers' search: GET /pickers/<kind>?q=… answers JSON options the user may choose."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required

from ..extensions import limiter
from . import services

bp = Blueprint("pickers", __name__, url_prefix="/pickers")


def _limit() -> str:
    return current_app.config.get("PICKER_RATE_LIMIT", "240 per minute")


def _per_user() -> str:
    return f"picker:{current_user.get_id() or request.remote_addr}"


@bp.get("/<any(estates, companies):kind>")
@login_required
@limiter.limit(_limit, key_func=_per_user)
def search(kind: str):
    picker = services.PICKERS.get(kind)
    if picker is None:
        abort(404)
    params = {key: request.args.get(key) for key in picker.params}
    options = services.search(picker, current_user, request.args.get("q", ""), params)
    response = jsonify([option.as_json() for option in options])
    response.headers["Cache-Control"] = "private, no-store"
    return response
