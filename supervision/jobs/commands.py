"""``flask worker`` (an RQ worker) and ``flask jobs requeue-stale``."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select

from ..auth.models import User
from ..auth.roles import Role
from ..extensions import db
from .services import RECOMPUTATIONS, requeue_stale

cli = AppGroup("jobs", help="后台任务 / Background jobs.")


@cli.command("requeue-stale")
def requeue_stale_command():
    """Put back in the queue the running jobs whose worker died (at most JOB_MAX_ATTEMPTS tries)."""
    ids = requeue_stale()
    click.echo(f"已重新排队 {len(ids)} 个任务" + (f"：{', '.join(map(str, ids))}" if ids else ""))


@cli.command("recompute")
@click.argument("name", type=click.Choice(["credit", "indicators"]))
@click.option("--user", "username", default=None, help="任务所属用户（默认第一个住建局管理员）")
def recompute_command(name, username):
    """Enqueue a recomputation (credit scores, indicators); the same one again soon after: the same job."""
    statement = select(User).where(User.username == username) if username else \
        select(User).where(User.role == Role.BUREAU_ADMIN, User.active.is_(True)).order_by(User.id)
    owner = db.session.scalars(statement).first()
    if owner is None:
        raise click.ClickException("找不到任务所属用户")
    job = RECOMPUTATIONS[name][1](owner)
    db.session.commit()
    click.echo(f"任务 {job.id}：{job.title}（{job.state.label}）")


@click.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
@click.option("--queue", "queue_name", default=None, help="队列名，默认 JOB_QUEUE")
@with_appcontext
def worker_command(burst, queue_name):
    """Start an RQ worker for the job queue (needs REDIS_URL)."""
    url = current_app.config.get("JOB_REDIS_URL")
    if not url:
        raise click.ClickException("未设置 REDIS_URL：没有 Redis 时任务在 Web 进程内的后台线程中运行，"
                                   "无需启动 worker。")
    connection = Redis.from_url(url)
    queue = Queue(queue_name or current_app.config["JOB_QUEUE"], connection=connection)
    ids = requeue_stale()
    if ids:
        click.echo(f"已重新排队 {len(ids)} 个中断的任务：{', '.join(map(str, ids))}")
    # SimpleWorker runs each job in this process, inside the app context pushed above: a forked
    # work horse would inherit the database pool's connections.
    SimpleWorker([queue], connection=connection).work(burst=burst, with_scheduler=False)


extra_commands = (worker_command,)
