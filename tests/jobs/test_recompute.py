"""The credit and indicator recomputations as jobs: an admin's button and a command start them; the
same request again gives the same job."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.credit.reference import load_reference
from supervision.extensions import db
from supervision.jobs.models import Job
from supervision.targets.models import TargetSnapshot


def _job_id(response) -> int:
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _job(job_id) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_an_admin_starts_the_credit_recomputation_once(world, inprocess, login_as):
    load_reference()
    db.session.commit()
    client = login_as(world.admin)
    assert 'data-testid="recompute"' in client.get("/jobs/").get_data(as_text=True)
    first = _job_id(client.post("/jobs/recompute/credit"))
    assert _job_id(client.post("/jobs/recompute/credit")) == first  # the credit data did not change
    inprocess.wait()
    job = _job(first)
    assert job.kind == "credit.recompute" and job.status == "finished", job.message
    assert "已重算" in job.message and _job_id(client.post("/jobs/recompute/credit")) == first
    assert db.session.scalar(select(func.count(Job.id))) == 1


def test_the_indicator_recomputation_stores_the_weeks_snapshot(world, inprocess, login_as):
    client = login_as(world.admin)
    first = _job_id(client.post("/jobs/recompute/indicators"))
    assert _job_id(client.post("/jobs/recompute/indicators")) == first
    inprocess.wait()
    assert _job(first).status == "finished", _job(first).message
    assert db.session.scalar(select(func.count(TargetSnapshot.id))) > 0


def test_only_an_admin_may_recompute(world, login_as):
    assert login_as(world.officer).post("/jobs/recompute/credit").status_code == 403
    assert 'data-testid="recompute"' not in login_as(world.officer).get("/jobs/").get_data(as_text=True)
    assert login_as(world.admin).post("/jobs/recompute/nothing").status_code == 404
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_the_command_enqueues_the_same_job_twice(app, world, inprocess):
    load_reference()
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "recompute", "credit"])
    second = runner.invoke(args=["jobs", "recompute", "credit"])
    assert first.exit_code == 0 and "重算信用评价" in first.output
    assert first.output.split("：")[0] == second.output.split("：")[0]  # "任务 <id>": the same job (its state moves on)
    inprocess.wait()
    job = db.session.scalar(select(Job))
    assert job.user_id == world.admin.id and db.session.scalar(select(func.count(Job.id))) == 1
