"""``flask complaints import FILE`` (a 12345 export) and ``flask complaints sweep``."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..documents.imports import run_import_command
from ..extensions import db
from .intake import HotlineImport
from .sweep import sweep_overdue

cli = AppGroup("complaints", help="投诉与报修 / Complaints and repair requests.")


@cli.command("import")
@click.argument("path")
def import_command(path):
    """Import a 12345 hotline work-order export (.xlsx); tickets already registered are skipped."""
    run_import_command(path, lambda data, name, **options: HotlineImport().run(data, name, **options), "12345工单")


@cli.command("sweep")
def sweep_command():
    """Notify the handlers and streets of complaints past their response or resolution deadline."""
    result = sweep_overdue()
    db.session.commit()
    click.echo(f"超时诉求 {result.overdue} 件，新发通知 {result.notifications} 条")
