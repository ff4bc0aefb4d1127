"""``flask campaigns …``: the overdue sweep (run it hourly from cron)."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .services.sweep import sweep_overdue

cli = AppGroup("campaigns", help="专项行动 / Campaigns.")


@cli.command("sweep")
@click.option("--today", default=None, help="按此日期判断逾期（YYYY-MM-DD），默认今天（北京时间）")
def sweep_command(today):
    """Notify the responsible users and the bureau of newly overdue items (idempotent).

    Example crontab line: ``7 * * * * cd /srv/supervision && .venv/bin/flask campaigns sweep``
    """

    day = date.fromisoformat(today) if today else None
    for attempt in range(3):
        try:
            result = sweep_overdue(day)
            db.session.commit()
            break
        except IntegrityError:
            # Another sweep inserted the same notifications meanwhile: start again, it skips them.
            db.session.rollback()
            if attempt == 2:
                raise
    click.echo(f"逾期事项 {result.overdue_items} 项；本次新通知 {result.newly_notified_items} 项事项，"
               f"共 {result.notifications} 条通知。")
