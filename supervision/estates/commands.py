"""``flask estates …``: import and export the estate register, sweep committee terms."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..documents.imports import import_options, run_import_command
from ..extensions import db
from .models import Estate
from .notices import notify_committee_alerts
from .services import expire_due_terms, sort_estates
from .spreadsheet import estate_columns, export_bytes, import_estates, template_bytes

cli = AppGroup("estates", help="小区台账 / Estate register.")


@cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@import_options
def import_command(path, options, mapping_file):
    """Import estates from an .xlsx, .xls or .csv file — the template or a ledger of
    one's own — (all rows or none; exit 1 on any error or an unrecognised header: map it with --map)."""
    run_import_command(path, import_estates, "小区", columns=estate_columns(),
                       options=options, mapping_file=mapping_file)


@cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--include-archived", is_flag=True, help="同时导出已归档的小区")
def export_command(path, include_archived):
    """Export the estate register to an .xlsx file in the import template's columns."""

    statement = select(Estate)
    if not include_archived:
        statement = statement.where(Estate.archived_at.is_(None))
    Path(path).write_bytes(export_bytes(sort_estates(statement, "street")))
    click.echo(f"已导出到 {path}")


@cli.command("template")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def template_command(path):
    """Write the empty import template (with one example row)."""

    Path(path).write_bytes(template_bytes())
    click.echo(f"已生成模板 {path}")


@cli.command("sweep-committees")
def sweep_committees_command():
    """Mark 届满 the committees whose term has ended and notify the bureau and streets.

    Also notifies, once per committee and term, of terms ending within 90 days and of
    committees overdue under the two-month rule. Run it daily (cron).
    """

    expired = expire_due_terms()
    sent = notify_committee_alerts()
    db.session.commit()
    click.echo(f"标记届满 {len(expired)} 个业主委员会；发送提醒 {sent} 条。")
