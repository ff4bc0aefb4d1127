"""``flask companies …``: import and export the company register; certificate reminders."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..documents.imports import import_options, run_import_command
from ..extensions import db
from .models import Company
from .notices import notify_expiring_certificates
from .spreadsheet import company_columns, export_bytes, import_companies, template_bytes

cli = AppGroup("companies", help="物业企业台账 / Company register.")


@cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@import_options
def import_command(path, options, mapping_file):
    """Import companies from an .xlsx, .xls or .csv file — the template or a ledger of
    one's own — (all rows or none; exit 1 on any error or an unrecognised header: map it with --map)."""
    run_import_command(path, import_companies, "企业", columns=company_columns(),
                       options=options, mapping_file=mapping_file)


@cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--include-archived", is_flag=True, help="同时导出已归档的企业")
def export_command(path, include_archived):
    """Export the company register to an .xlsx file in the import template's columns."""

    statement = select(Company).order_by(Company.name_sort)
    if not include_archived:
        statement = statement.where(Company.archived_at.is_(None))
    Path(path).write_bytes(export_bytes(statement))
    click.echo(f"已导出到 {path}")


@cli.command("template")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def template_command(path):
    """Write the empty import template (with one example row)."""

    Path(path).write_bytes(template_bytes())
    click.echo(f"已生成模板 {path}")


@cli.command("remind-certificates")
def remind_certificates_command():
    """Notify company users of certificates expiring within 60 days (once per certificate and expiry)."""

    sent = notify_expiring_certificates()
    db.session.commit()
    click.echo(f"发送证书到期提醒 {sent} 条。")
