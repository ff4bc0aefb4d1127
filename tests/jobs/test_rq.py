"""Jobs on real RQ and Redis (127.0.0.1:6379, db 14, a queue name unique to the test)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, SimpleWorker

from supervision import jobs
from supervision.extensions import db
from supervision.jobs.backends import RQBackend, backend
from supervision.jobs.models import Job

REDIS_URL = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rq_queue(app):
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"test-jobs-{uuid.uuid4().hex}"
    saved = app.config.get("JOB_REDIS_URL"), app.config["JOB_QUEUE"]
    app.config["JOB_REDIS_URL"], app.config["JOB_QUEUE"] = REDIS_URL, name
    app.extensions.pop("jobs_backend", None)
    queue = Queue(name, connection=connection)
    yield queue
    queue.delete(delete_jobs=True)
    app.extensions.pop("jobs_backend", None)
    app.config["JOB_REDIS_URL"], app.config["JOB_QUEUE"] = saved


def _job(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_goes_through_rq_to_a_worker(world, rq_queue):
    job_id = jobs.enqueue("test.count", world.officer, {"n": 30}, title="数数").id
    assert isinstance(backend(), RQBackend)
    assert rq_queue.count == 0  # nothing is queued before the commit
    db.session.commit()
    assert rq_queue.count == 1
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    job = _job(job_id)
    assert (job.status, job.done, job.total, job.attempts, job.message) == ("finished", 30, 30, 1, "已数到 30")
    assert rq_queue.count == 0


def _worker(app, rq_queue, *extra):
    env = dict(os.environ, FLASK_APP="wsgi", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               UPLOAD_DIR=app.config["UPLOAD_DIR"], REDIS_URL=REDIS_URL, JOB_QUEUE=rq_queue.name,
               JOB_MODULES="tests.jobs.tasks", SECRET_KEY="test-secret-key", RATELIMIT_STORAGE_URI="memory://")
    return subprocess.Popen([sys.executable, "-m", "flask", "worker", *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_worker_s_job_is_requeued_and_finished_by_the_next(app, world, rq_queue, tmp_path):
    started = tmp_path / "started"
    job = jobs.enqueue("test.slow", world.officer, {"steps": 25, "sleep": 0.2, "started": str(started)})
    db.session.commit()
    job = SimpleNamespace(id=job.id)
    first = _worker(app, rq_queue)
    try:
        assert _wait_for(lambda: started.exists() and _job(job.id).done >= 2), first.stdout.read1().decode()
        running = _job(job.id)
        assert running.status == "running" and running.worker_id.endswith(f":{first.pid}")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        first.stdout.close()
    assert _job(job.id).status == "running"  # nobody finished it
    time.sleep(0.5)
    assert _job(job.id).status == "running"

    second = _worker(app, rq_queue, "--burst")
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output.decode()
    assert "已重新排队 1 个中断的任务" in output.decode()
    job = _job(job.id)
    assert (job.status, job.attempts, job.done, job.message) == ("finished", 2, 25, "完成"), output.decode()
    assert job.worker_id.endswith(f":{second.pid}")
