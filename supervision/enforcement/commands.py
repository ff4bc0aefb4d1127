"""``flask enforcement sweep``: run the triggers daily; it proposes, people decide (idempotent)."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..extensions import db
from .services import sweep

cli = AppGroup("enforcement", help="执法阶梯 / The escalation ladder.")


@cli.command("sweep")
@click.option("--date", "day", default=None, help="按该日运行（YYYY-MM-DD），默认今天")
def sweep_command(day):
    """Find new facts, propose the next rung per company and estate, close the rectified cases."""
    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD") from None
    result = sweep(on=on)
    db.session.commit()
    for name, count in result.per_trigger.items():
        click.echo(f"{name}: 新发现 {count} 项")
    click.echo(f"新建议 {result.proposals} 条，并入已有建议或案件 {result.attached} 项，自动结案 {result.closed} 件")
