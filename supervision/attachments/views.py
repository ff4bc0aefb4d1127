"""Downloading a file: allowed to whoever may see the row it belongs to (``load_visible``: the rule of the
file's own owner type, not ``scope.load``'s OR over every owner type, whose SQL took ~10 ms to build for a
street office or a company)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from .models import Attachment, load_visible
from .photos import DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_DISTANCE_M, place_of
from .services import path_for

bp = Blueprint("attachments", __name__, url_prefix="/files")


def _visible(attachment_id: int) -> Attachment:
    attachment = load_visible(attachment_id, current_user)
    if attachment is None:
        abort(404)
    return attachment


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = _visible(attachment_id)
    path = path_for(attachment.stored_name)
    if not path.exists():
        abort(404)
    return send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=not (attachment.is_image or attachment.content_type == "application/pdf"),
        download_name=attachment.original_name,
        max_age=0,
    )


@bp.get("/<int:attachment_id>/preview")
@login_required
def preview(attachment_id: int):
    attachment = _visible(attachment_id)
    if not attachment.reduced_name:
        abort(404)
    return send_file(path_for(attachment.reduced_name), mimetype="image/jpeg", max_age=0)


@bp.get("/<int:attachment_id>/thumb")
@login_required
def thumb(attachment_id: int):
    """The 320 px copy for lists (the 1600 px one for photos stored before thumbnails existed)."""
    attachment = _visible(attachment_id)
    name = attachment.thumb_name or attachment.reduced_name
    if not name or not path_for(name).exists():
        abort(404)
    response = send_file(path_for(name), mimetype="image/jpeg", max_age=3600)
    response.cache_control.private = True
    response.cache_control.public = False
    return response


@bp.app_template_global("photo_place")
def photo_place(attachment, estate=None):
    """Where and when a photo was taken relative to ``estate``, with the configured limits."""
    config = current_app.config
    return place_of(attachment, estate,
                    max_distance_m=config.get("EVIDENCE_MAX_DISTANCE_M", DEFAULT_MAX_DISTANCE_M),
                    max_age_days=config.get("EVIDENCE_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS))
