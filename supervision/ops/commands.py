"""``flask backup create`` and ``flask backup restore``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from .backup import create_backup, restore_backup

cli = AppGroup("backup", help="备份与恢复 / Backup and restore.")


@cli.command("create")
@click.option("--output", "output", default="backups", type=click.Path(file_okay=False),
              help="存放备份的目录")
def create_command(output):
    """Back up the database and the uploaded files into one archive."""
    path = create_backup(Path(output))
    click.echo(f"备份已写入 {path}")


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="不再确认")
def restore_command(archive, yes):
    """Replace the database and uploads with a backup (stop the app first)."""
    if not yes:
        click.confirm("恢复将覆盖当前数据库和上传文件，确定继续吗？", abort=True)
    restore_backup(Path(archive))
    click.echo("已从备份恢复。")
