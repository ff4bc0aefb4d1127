"""Jobs on the in-process backend, end to end through the pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supervision import jobs
from supervision.audit.models import AuditLog
from supervision.core.errors import DomainError
from supervision.core.timeutil import utcnow
from supervision.extensions import db
from supervision.jobs.models import Job, JobStatus
from supervision.jobs.services import requeue_stale, retry


def _job(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_a_job_runs_reports_progress_and_its_result_is_its_owners_only(world, inprocess, login_as):
    job = jobs.enqueue("test.count", world.officer, {"n": 40}, title="数数")
    assert job.status == "queued"
    db.session.commit()
    inprocess.wait()
    job = _job(job.id)
    assert (job.status, job.done, job.total, job.attempts) == ("finished", 40, 40, 1)
    assert job.message == "已数到 40" and job.started_at and job.finished_at
    assert job.result_path.startswith(f"{job.id}-") and job.result_path != "结果.txt"

    owner = login_as(world.officer)
    page = owner.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<progress" in page and f"/jobs/{job.id}/download" in page and "job-progress.js" in page
    assert "<script>" not in page
    status = owner.get(f"/jobs/{job.id}.json").get_json()
    assert status["finished"] and status["done"] == 40 and status["percent"] == 100
    download = owner.get(f"/jobs/{job.id}/download")
    assert download.status_code == 200 and download.data == b"counted 40"
    assert "数数" in owner.get("/jobs/").get_data(as_text=True)

    other = login_as(world.admin)
    for url in (f"/jobs/{job.id}", f"/jobs/{job.id}.json", f"/jobs/{job.id}/download"):
        assert other.get(url).status_code == 404
    assert other.post(f"/jobs/{job.id}/retry").status_code == 404
    assert "数数" not in other.get("/jobs/").get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "job.enqueue")).object_id == job.id


def test_a_running_job_shows_a_refresh_link_and_no_download(world, login_as):
    job = Job(kind="test.count", user_id=world.officer.id, title="数数", status="running", done=3, total=10)
    db.session.add(job)
    db.session.commit()
    page = login_as(world.officer).get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="3"' in page and 'max="10"' in page and "刷新查看最新进度" in page
    assert f"/jobs/{job.id}/download" not in page or "hidden" in page
    assert login_as(world.officer).get(f"/jobs/{job.id}/download").status_code == 404


def test_the_same_idempotency_key_gives_the_same_job(world, inprocess):
    first = jobs.enqueue("test.count", world.officer, {"n": 10}, idempotency_key="file-abc")
    db.session.commit()
    again = jobs.enqueue("test.count", world.officer, {"n": 10}, idempotency_key="file-abc")
    db.session.commit()
    other_owner = jobs.enqueue("test.count", world.admin, {"n": 10}, idempotency_key="file-abc")
    db.session.commit()
    inprocess.wait()
    assert again.id == first.id and other_owner.id != first.id
    assert db.session.scalar(select(db.func.count(Job.id))) == 2
    assert _job(first.id).attempts == 1  # dispatched once


def test_a_job_is_not_dispatched_when_its_transaction_rolls_back(world, inprocess):
    jobs.enqueue("test.count", world.officer, {"n": 10})
    db.session.rollback()
    inprocess.wait()
    assert db.session.scalar(select(Job)) is None


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(DomainError):
        jobs.enqueue("no.such.kind", world.officer, {})


def test_a_failed_job_says_why_and_its_owner_can_retry_it(world, inprocess, login_as, tmp_path):
    marker = tmp_path / "marker"
    job = jobs.enqueue("test.fail_until_marker", world.officer, {"marker": str(marker)}, title="标记")
    db.session.commit()
    inprocess.wait()
    job = _job(job.id)
    assert job.status == "failed" and job.message == "缺少标记文件，任务失败"
    owner = login_as(world.officer)
    page = owner.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "缺少标记文件，任务失败" in page and f"/jobs/{job.id}/retry" in page

    marker.write_text("1")
    assert owner.post(f"/jobs/{job.id}/retry").status_code == 302
    backend_wait = inprocess.wait
    backend_wait()
    job = _job(job.id)
    assert job.status == "finished" and job.message == "标记文件已就绪" and job.attempts == 1
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "job.retry")).object_id == job.id
    # a finished job is not retried
    with pytest.raises(DomainError):
        retry(job, world.officer)


def test_an_unexpected_error_fails_with_a_chinese_message(world, inprocess):
    job = jobs.enqueue("test.crash", world.officer, {})
    db.session.commit()
    inprocess.wait()
    job = _job(job.id)
    assert job.status == "failed" and "任务执行出错" in job.message and "boom" not in job.message


def _running(world, worker_id, heartbeat, attempts=1) -> Job:
    job = Job(kind="test.count", user_id=world.officer.id, payload={"n": 20}, status="running",
              worker_id=worker_id, heartbeat_at=heartbeat, attempts=attempts, started_at=heartbeat)
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_left_running_by_a_dead_worker_is_requeued_and_finishes(world, inprocess, runner):
    import socket

    dead = _running(world, f"{socket.gethostname()}:999999", utcnow())  # no such process
    silent = _running(world, "otherhost:12", utcnow() - timedelta(hours=2))
    alive = _running(world, "otherhost:13", utcnow())  # another host, recent heartbeat: still working
    result = runner.invoke(args=["jobs", "requeue-stale"])
    assert result.exit_code == 0 and "已重新排队 2 个任务" in result.output
    inprocess.wait()
    for job_id in (dead.id, silent.id):
        job = _job(job_id)
        assert (job.status, job.attempts, job.done) == ("finished", 2, 20)
    assert _job(alive.id).status == "running"
    assert db.session.scalar(select(db.func.count(AuditLog.id)).where(AuditLog.action == "job.requeue")) == 2


def test_a_job_interrupted_three_times_fails(world, inprocess):
    job = _running(world, "otherhost:12", utcnow() - timedelta(hours=2), attempts=3)
    assert requeue_stale() == []
    job = _job(job.id)
    assert job.status == JobStatus.FAILED.value and "3 次" in job.message


def test_a_job_is_claimed_once(world):
    from supervision.jobs.services import claim

    job = Job(kind="test.count", user_id=world.officer.id, payload={"n": 1}, status="queued")
    db.session.add(job)
    db.session.commit()
    assert claim(job.id) is True
    assert claim(job.id) is False
    assert _job(job.id).attempts == 1
