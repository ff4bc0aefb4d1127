"""``flask notifications digest``: send the due digests (run it hourly from cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..auth.models import User
from ..auth.roles import Role
from ..core.timeutil import utcnow
from ..extensions import db
from ..jobs.services import enqueue
from .delivery import send_digests

cli = AppGroup("notifications", help="消息提醒 / Notifications.")


@cli.command("digest")
@click.option("--inline", is_flag=True, help="在本进程内直接发送，不放入任务队列")
def digest_command(inline):
    """Send the daily and weekly digests that are due (idempotent: each is sent once)."""
    if inline:
        result = send_digests()
        click.echo(f"已发送 {result.sent} 份；失败待重试 {result.failed} 份；放弃 {result.abandoned} 份")
        for line in result.errors:
            click.echo(f"  {line}")
        return
    owner = db.session.scalar(select(User).where(User.role == Role.BUREAU_ADMIN, User.active.is_(True))
                              .order_by(User.id).limit(1))
    if owner is None:
        raise click.ClickException("没有可用的管理员账户：任务需要一个归属账户。")
    job = enqueue("notifications.digests", owner, {}, idempotency_key=f"digests:{utcnow():%Y%m%d%H}",
                  title="发送消息摘要")
    db.session.commit()
    click.echo(f"已放入任务队列：任务 #{job.id}")
