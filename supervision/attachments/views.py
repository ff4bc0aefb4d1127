"""Downloading a file: allowed to whoever may see the row it belongs to."""
from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import login_required

from ..auth import scope
from .models import Attachment
from .services import path_for

bp = Blueprint("attachments", __name__, url_prefix="/files")


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = scope.load(Attachment, attachment_id)
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
    attachment = scope.load(Attachment, attachment_id)
    if not attachment.reduced_name:
        abort(404)
    return send_file(path_for(attachment.reduced_name), mimetype="image/jpeg", max_age=0)
