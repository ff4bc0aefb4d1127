"""Operational endpoints: /healthz for load balancers and monitoring."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from ..extensions import db, limiter
from ..outage import OUTAGE_ERRORS, note_failure, release_session

bp = Blueprint("ops", __name__)


def _unreachable(error: BaseException):
    """503 with Retry-After; logged like any outage (throttled)."""
    release_session()
    note_failure(error)
    response = jsonify(status="error", database="unreachable")
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config.get("DB_RETRY_AFTER", 30))
    return response


# The database may fail before the view runs (loading a signed-in caller): still the health answer.
for _error_class in OUTAGE_ERRORS:
    bp.register_error_handler(_error_class, _unreachable)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when the app can reach its database, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any failure of the database is "unhealthy"
        return _unreachable(error)
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; a week in their cache."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)
