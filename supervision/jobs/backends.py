"""Where jobs run: RQ on Redis when REDIS_URL (or JOB_REDIS_URL) is set, else threads in this process.

RQ: each job is an RQ job calling ``run_job_in_app(job_id)`` on the queue ``JOB_QUEUE``; ``flask
worker`` runs the workers. Without Redis (``make run``, the embedded default) a small thread pool in
the web process runs them, each in an app context of its own, so nothing needs installing.
"""
from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from flask import current_app
from redis import Redis
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .services import run_job


class InProcessBackend:
    """A background thread pool inside the app process."""

    name = "inprocess"

    def __init__(self, app):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=app.config["JOB_THREADS"], thread_name_prefix="job")
        self.futures: list[Future] = []
        self.lock = threading.Lock()

    def submit(self, job_id: int) -> None:
        future = self.executor.submit(self._run, job_id)
        with self.lock:
            self.futures = [f for f in self.futures if not f.done()] + [future]

    def _run(self, job_id: int) -> None:
        with self.app.app_context():
            run_job(job_id)

    def wait(self, timeout: float = 30) -> None:
        """Wait for the jobs submitted so far (tests; a clean shutdown)."""
        with self.lock:
            futures = list(self.futures)
        for future in futures:
            future.result(timeout=timeout)


class RQBackend:
    """Jobs on an RQ queue in Redis."""

    name = "rq"

    def __init__(self, app):
        self.connection = Redis.from_url(app.config["JOB_REDIS_URL"])
        self.queue = Queue(app.config["JOB_QUEUE"], connection=self.connection)

    def submit(self, job_id: int) -> None:
        # One RQ job per dispatch: a re-queued job gets a new one, the old one is history.
        self.queue.enqueue("supervision.jobs.backends.run_job_in_app", job_id,
                           job_id=f"supervision-job-{job_id}-{secrets.token_hex(4)}",
                           job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"], result_ttl=3600,
                           failure_ttl=86400)


def run_job_in_app(job_id: int) -> None:
    """The function RQ calls: inside ``flask worker`` an app context is already pushed; each job
    starts and ends with a clean session (the worker lives long)."""
    db.session.remove()
    try:
        run_job(job_id)
    finally:
        db.session.remove()


def backend():
    """This app's backend, made once."""
    app = current_app._get_current_object()
    made = app.extensions.get("jobs_backend")
    if made is None:
        made = RQBackend(app) if app.config.get("JOB_REDIS_URL") else InProcessBackend(app)
        app.extensions["jobs_backend"] = made
    return made


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session) -> None:
    """Hand the jobs a transaction added (or re-queued) to the backend once they are committed."""
    for job_id in session.info.pop("jobs_to_dispatch", None) or ():
        backend().submit(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    session.info.pop("jobs_to_dispatch", None)
