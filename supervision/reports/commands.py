"""``flask reports …``: reminders and missing-report notices."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .services.reminders import remind

cli = AppGroup("reports", help="每周报送 / Weekly progress reports.")


@cli.command("remind")
@click.option("--verbose", "-v", is_flag=True, help="列出每条新通知")
def remind_command(verbose):
    """Remind streets on the due day; after the due time, notify missing reports.

    Idempotent: run it as often as you like (e.g. hourly, or daily at 09:00 and
    18:30). On the due day before the due time it reminds the streets that have
    not submitted this week's report; after a due time (looking back two weeks)
    it notifies each street whose report is missing and, once per campaign and
    week, the bureau.
    """
    result = remind()
    db.session.commit()
    click.echo(f"报送提醒 {result.reminded} 条，逾期未报通知 {result.missing} 条。")
    if verbose:
        for line in result.details:
            click.echo(line)
