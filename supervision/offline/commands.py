"""``flask offline forget-keys``: drop the keys of submissions received long ago (run nightly)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .services import KEEP_DAYS, forget_old

cli = AppGroup("offline", help="离线提交 / Offline submissions.")


@cli.command("forget-keys")
@click.option("--days", default=KEEP_DAYS, show_default=True, type=click.IntRange(min=1),
              help="保留最近多少天的提交记录")
def forget_keys_command(days):
    """Remove the idempotency keys of submissions older than DAYS."""
    removed = forget_old(days)
    db.session.commit()
    click.echo(f"已清理 {removed} 条提交记录")
