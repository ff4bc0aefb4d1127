"""The service worker and the web app manifest, from static files.

The worker is served from the site's root so that its scope covers every page; both are
re-checked by the browser on each visit (no-cache) so a new version reaches phones at once.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, send_from_directory
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db, limiter
from .models import SubmissionKey
from .services import valid_key

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
@limiter.exempt
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
@limiter.exempt
def manifest():
    response = send_from_directory(current_app.static_folder, "manifest.webmanifest",
                                   mimetype="application/manifest+json", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/submissions/<key>")
@login_required
def submission_status(key: str):
    """Whether a queued submission arrived (the page asks after sending it): the user's own keys only."""
    if not valid_key(key):
        return jsonify(received=False)
    row = db.session.scalar(select(SubmissionKey).where(SubmissionKey.user_id == current_user.id,
                                                        SubmissionKey.key == key))
    if row is None or row.result_url is None:
        return jsonify(received=False)
    return jsonify(received=True, url=row.result_url)
