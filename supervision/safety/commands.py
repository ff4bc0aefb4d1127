"""``flask safety …``: the daily inspection sweep, and import of the two registers."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.timeutil import local_today
from ..documents.imports import run_import_command
from ..extensions import db
from .services import sweep
from .spreadsheet import import_facilities, import_lifts

cli = AppGroup("safety", help="安全台账：电梯与消防设施 / Lifts and fire facilities.")


@cli.command("sweep")
def sweep_command():
    """Warn companies and street offices of inspections due within 30 days and of overdue ones.

    Idempotent: each lift or facility is notified once per due date and stage (due soon, overdue),
    however often it runs. Run it daily (cron).
    """
    result = sweep(local_today())
    db.session.commit()
    click.echo(f"30天内到期 {result.due_soon} 项，逾期 {result.overdue} 项；发送提醒 {result.notifications} 条。")


@cli.command("import-lifts")
@click.argument("path", type=click.Path(dir_okay=False))
def import_lifts_command(path):
    """Import lifts from an .xlsx file (all rows or none; exit 1 on any error)."""
    run_import_command(path, import_lifts, "电梯")


@cli.command("import-facilities")
@click.argument("path", type=click.Path(dir_okay=False))
def import_facilities_command(path):
    """Import fire facilities from an .xlsx file (all rows or none; exit 1 on any error)."""
    run_import_command(path, import_facilities, "消防设施")
