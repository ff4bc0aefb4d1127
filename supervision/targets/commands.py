"""``flask targets …``: weekly snapshots of the indicators and default targets."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from ..core.timeutil import local_today
from ..extensions import db
from .services import ensure_default_targets, take_snapshot, week_of

cli = AppGroup("targets", help="目标考核 / Targets and indicators.")


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD") from None


@cli.command("snapshot")
@click.option("--date", "day", default=None, help="统计日（YYYY-MM-DD），默认今天（北京时间）")
def snapshot_command(day):
    """Store this week's indicator values (idempotent: once per ISO week; run weekly, e.g. by cron)."""

    day = _parse_day(day)
    result = take_snapshot(day)
    db.session.commit()

    iso_year, iso_week, _start = week_of(day or local_today())
    click.echo(f"{iso_year} 年第 {iso_week} 周快照：新增 {result.created}，更新 {result.updated}，"
               f"未变 {result.unchanged}")
    if result.skipped:
        click.echo("未接入的指标（跳过）：" + ", ".join(result.skipped))


@cli.command("defaults")
@click.option("--year", type=int, default=None, help="年度，默认今年")
def defaults_command(year):
    """Create the district's default targets for a year where none exist (from seeds/)."""

    year = year or local_today().year
    made = ensure_default_targets(year)
    db.session.commit()
    click.echo(f"{year} 年：新建默认目标 {made} 项")
