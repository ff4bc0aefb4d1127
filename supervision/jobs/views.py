"""A user's jobs: the list, one job's progress page (and its JSON for the polling script), the
result download and retry. Every job is its owner's only (``Job.scope_clause``: 404 for others)."""
from __future__ import annotations

import importlib
import importlib.util

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import scope
from ..auth.roles import ADMIN, ALL_ROLES
from ..core.errors import DomainError
from ..core.pagination import paginate
from ..extensions import db
from ..seeding import FEATURES
from . import services
from .models import Job, JobStatus

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("/")
@scope.role_required(ALL_ROLES)
def index():
    statement = scope.visible(Job).order_by(Job.created_at.desc(), Job.id.desc())
    recomputations = services.RECOMPUTATIONS if current_user.role in ADMIN else {}
    return render_template("jobs/index.html", page=paginate(statement), recomputations=recomputations)


@bp.post("/recompute/<word>")
@scope.role_required(ADMIN)
def recompute(word: str):
    """Start a recomputation (the same one again soon after: the same job)."""
    if word not in services.RECOMPUTATIONS:
        abort(404)
    job = services.RECOMPUTATIONS[word][1](current_user)
    db.session.commit()
    return redirect(url_for(".detail", job_id=job.id))


@bp.get("/<int:job_id>")
@scope.role_required(ALL_ROLES)
def detail(job_id: int):
    job = scope.load(Job, job_id)
    done, total = services.live_progress(job)
    return render_template("jobs/detail.html", job=job, running=job.status in _ACTIVE, done=done, total=total,
                           percent=min(100, done * 100 // total) if total else None)


_ACTIVE = {JobStatus.QUEUED.value, JobStatus.RUNNING.value}


@bp.get("/<int:job_id>.json")
@scope.role_required(ALL_ROLES)
def status(job_id: int):
    job = scope.load(Job, job_id)
    done, total = services.live_progress(job)
    return jsonify(id=job.id, status=job.status, status_label=job.state.label, done=done, total=total,
                   percent=min(100, done * 100 // total) if total else None, message=job.message,
                   finished=job.status not in _ACTIVE,
                   download_url=url_for(".download", job_id=job.id) if job.result_path else None)


@bp.get("/<int:job_id>/download")
@scope.role_required(ALL_ROLES)
def download(job_id: int):
    job = scope.load(Job, job_id)
    if job.status != JobStatus.FINISHED.value or not job.result_path:
        abort(404)
    path = services.result_dir() / job.result_path
    if not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.result_name or path.name, max_age=0)


@bp.post("/<int:job_id>/retry")
@scope.role_required(ALL_ROLES)
def retry(job_id: int):
    job = scope.load(Job, job_id)
    try:
        services.retry(job, current_user)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        db.session.commit()
        flash(_("任务已重新排队。"), "success")
    return redirect(url_for(".detail", job_id=job.id))


def register(app) -> None:
    """The blueprint, and every feature's ``tasks.py`` (and JOB_MODULES), so the registry is full."""
    app.register_blueprint(bp)
    names = [f"supervision.{feature}.tasks" for feature in FEATURES]
    names += [name.strip() for name in app.config.get("JOB_MODULES", "").split(",") if name.strip()]
    for name in names:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
