"""Jobs: enqueue, the registry of job functions, running one job, retry and re-queue.

A job is dispatched to its backend only after the transaction that added it commits (a worker
must be able to read it). Running it: the worker *claims* the job (queued → running, one UPDATE, so
two deliveries of one job never both run), calls the registered function with a ``JobContext`` in
the app context's own session, commits its work and marks it finished; on an exception the work is
rolled back and the job fails with a Chinese message its owner can act on (retry).

A job left ``running`` by a worker that died (its process is gone, or no heartbeat for
``JOB_STALE_SECONDS``) is put back in the queue by ``requeue_stale`` — ``flask jobs requeue-stale``
and every worker's start run it — at most ``JOB_MAX_ATTEMPTS`` times in all.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import create_engine, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from .models import Job, JobStatus

log = logging.getLogger(__name__)

REGISTRY: dict[str, Callable] = {}


def task(kind: str):
    """Register ``fn(ctx, payload)`` as the function that runs jobs of ``kind``."""

    def decorate(fn):
        REGISTRY[kind] = fn
        return fn

    return decorate


# Recomputations an admin may start (a button on /jobs, ``flask jobs recompute NAME``): name → (label,
# ``start(actor)`` giving the job, idempotent).
RECOMPUTATIONS: dict[str, tuple[str, Callable]] = {}


def recomputation(name: str, label):
    """Register ``start(actor) -> Job`` as the recomputation ``name``."""

    def decorate(fn):
        RECOMPUTATIONS[name] = (label, fn)
        return fn

    return decorate


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def result_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_input(data: bytes, suffix: str = ".xlsx") -> str:
    """Keep an uploaded file for a job to read (under a generated name in UPLOAD_DIR/jobs); its name."""
    name = f"input-{secrets.token_hex(16)}{suffix}"
    fd = os.open(result_dir() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return name


def input_path(name: str) -> Path:
    """The file ``store_input`` kept (a bare generated name: never a path the payload could steer)."""
    return result_dir() / Path(name).name


# --- adding a job -------------------------------------------------------------------------

def enqueue(kind: str, owner, payload: dict | None = None, idempotency_key: str | None = None,
            title: str | None = None) -> Job:
    """The job of ``owner`` for ``kind``: a new one, or the one already made with this key (the same
    key from the same owner gives the same job). Flushed, not committed; it is dispatched on commit."""
    if kind not in REGISTRY:
        raise DomainError(_("未知的任务类型：%(kind)s", kind=kind))
    key = f"{owner.id}:{idempotency_key}" if idempotency_key else None
    if key is not None:
        existing = db.session.scalar(select(Job).where(Job.idempotency_key == key))
        if existing is not None:
            return existing
    job = Job(kind=kind, user_id=owner.id, payload=payload or {}, title=title or kind, idempotency_key=key,
              status=JobStatus.QUEUED.value, attempts=0, done=0)
    if key is None or db.session.get_bind().dialect.name == "sqlite":
        # SQLite takes one writer at a time (and pysqlite's SAVEPOINT outside a transaction commits).
        db.session.add(job)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:  # the same key, added at the same moment by another request
            return db.session.scalar(select(Job).where(Job.idempotency_key == key))
    record("job.enqueue", job, actor=owner, after={"kind": kind})
    _dispatch_after_commit(job.id)
    return job


def retry(job: Job, actor) -> Job:
    """Put a failed job back in the queue (its owner's choice), with a fresh count of attempts."""
    if job.status != JobStatus.FAILED.value:
        raise DomainError(_("只有失败的任务可以重试。"))
    job.status, job.attempts, job.done, job.message = JobStatus.QUEUED.value, 0, 0, None
    job.started_at = job.finished_at = job.worker_id = job.heartbeat_at = None
    record("job.retry", job, actor=actor, before={"status": "failed"}, after={"status": "queued"})
    _dispatch_after_commit(job.id)
    return job


def _dispatch_after_commit(job_id: int) -> None:
    db.session.info.setdefault("jobs_to_dispatch", []).append(job_id)


# --- running a job ------------------------------------------------------------------------

class JobContext:
    """What a job function gets: its job, its payload, progress reports and the result file.

    ``progress`` writes in a session of its own and commits it at once, so the user sees it while
    the job's own work is still uncommitted."""

    def __init__(self, job: Job):
        self.job_id = job.id
        self.owner = job.user
        self.kind = job.kind

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        values = {"done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        if _holds_sqlite_write_lock() or not _write_progress(self.job_id, values):
            # SQLite has one writer, and an open reader blocks a writer's commit: while the job's own
            # transaction holds a lock (an import's uncommitted chunks, an export's open cursor) the
            # figures go to a side file the job's page reads meanwhile.
            _progress_file(self.job_id).write_text(json.dumps({"done": done, "total": total}))
        else:
            _progress_file(self.job_id).unlink(missing_ok=True)  # the database has the latest figures

    def save_result(self, data: bytes, download_name: str, suffix: str = ".xlsx") -> None:
        """Keep ``data`` as the job's result, under a generated name in UPLOAD_DIR/jobs."""
        name = f"{self.job_id}-{secrets.token_hex(16)}{suffix}"
        path = result_dir() / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        job = db.session.get(Job, self.job_id)
        job.result_path, job.result_name = name, download_name


def _holds_sqlite_write_lock() -> bool:
    session = db.session()
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def _progress_engine():
    """Where progress is written: the app's engine; on SQLite one that gives up on a lock at once."""
    if db.engine.dialect.name != "sqlite":
        return db.engine
    made = current_app.extensions.get("jobs_progress_engine")
    if made is None:
        made = create_engine(db.engine.url, connect_args={"timeout": 0.05}, poolclass=NullPool)
        current_app.extensions["jobs_progress_engine"] = made
    return made


def _write_progress(job_id: int, values: dict) -> bool:
    """Write the figures in a transaction of their own, seen at once; False when SQLite is locked."""
    try:
        with Session(_progress_engine()) as session:
            session.execute(update(Job).where(Job.id == job_id).values(**values))
            session.commit()
    except OperationalError:
        if db.engine.dialect.name != "sqlite":
            raise
        return False
    return True


def _progress_file(job_id: int) -> Path:
    return result_dir() / f"progress-{int(job_id)}.json"


def live_progress(job: Job) -> tuple[int, int | None]:
    """``(done, total)`` of a job, with the side file's figures while a SQLite job holds the lock."""
    if job.status == JobStatus.RUNNING.value:
        figures = _side_figures(job.id)
        if figures is not None:
            return figures[0], figures[1] or job.total
    return job.done, job.total


def _side_figures(job_id: int) -> tuple[int, int | None] | None:
    try:
        figures = json.loads(_progress_file(job_id).read_text())
        return int(figures["done"]), figures.get("total")
    except (ValueError, KeyError, TypeError, OSError):
        return None


class JobFailure(Exception):
    """Raised by a job function to fail with this (Chinese) message for its owner."""


def claim(job_id: int) -> bool:
    """Mark the job running by this process, if it is queued; False when another has it."""
    now = utcnow()
    with Session(db.engine) as session:
        claimed = session.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, started_at=now, heartbeat_at=now, worker_id=worker_id(),
                    attempts=Job.attempts + 1, message=None)).rowcount
        session.commit()
    return bool(claimed)


def run_job(job_id: int) -> None:
    """Run one job in the current app context (a worker calls this); never raises."""
    if not claim(job_id):
        return
    try:
        _run_claimed(job_id)
    finally:
        _progress_file(job_id).unlink(missing_ok=True)


def _run_claimed(job_id: int) -> None:
    job = db.session.get(Job, job_id)
    fn = REGISTRY.get(job.kind)
    try:
        if fn is None:
            raise JobFailure(_("未知的任务类型：%(kind)s", kind=job.kind))
        outcome = fn(JobContext(job), dict(job.payload or {}))
        job = db.session.get(Job, job_id)
        db.session.refresh(job, ["done", "total"])
        figures = _side_figures(job_id)
        if figures is not None:
            job.done, job.total = figures[0], figures[1] or job.total
        job.status, job.finished_at = JobStatus.FINISHED.value, utcnow()
        if isinstance(outcome, str):
            job.message = outcome
        if job.total:
            job.done = job.total
        db.session.commit()
    except Exception as error:  # any failure of the work becomes the job's message
        db.session.rollback()
        if not isinstance(error, (JobFailure, DomainError)):
            log.exception("job %s (%s) failed", job_id, job.kind)
        message = getattr(error, "message", None) or (str(error) if isinstance(error, JobFailure) else
                                                      _("任务执行出错，请重试；仍不成功请联系管理员。"))
        _fail(job_id, message)


def _fail(job_id: int, message: str) -> None:
    with Session(db.engine) as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status=JobStatus.FAILED.value, message=message, finished_at=utcnow()))
        session.commit()


# --- jobs whose worker died ---------------------------------------------------------------

def _process_gone(worker: str | None) -> bool:
    host, _sep, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _last_heartbeat(job: Job):
    """The job's heartbeat, or the side file's time when its progress goes there (SQLite)."""
    path = _progress_file(job.id)
    try:
        side = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return job.heartbeat_at
    return max(side, job.heartbeat_at) if job.heartbeat_at else side


def requeue_stale() -> list[int]:
    """Put back in the queue the running jobs whose worker died; fail those out of attempts.
    Returns the ids re-queued (committed, and dispatched)."""
    limit = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    requeued = []
    for job in db.session.scalars(select(Job).where(Job.status == JobStatus.RUNNING.value)):
        if not (_process_gone(job.worker_id) or _last_heartbeat(job) is None or _last_heartbeat(job) < limit):
            continue
        before = {"status": job.status, "worker": job.worker_id, "attempts": job.attempts}
        if job.attempts >= max_attempts:
            job.status, job.finished_at = JobStatus.FAILED.value, utcnow()
            job.message = _("任务执行被中断 %(n)s 次，已停止；请重试。", n=job.attempts)
            record("job.give_up", job, before=before, after={"status": job.status})
            continue
        job.status, job.worker_id, job.heartbeat_at, job.done = JobStatus.QUEUED.value, None, None, 0
        record("job.requeue", job, before=before, after={"status": job.status})
        _dispatch_after_commit(job.id)
        requeued.append(job.id)
    db.session.commit()
    return requeued
