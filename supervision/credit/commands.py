"""``flask credit …``: automatic events, lapsed objection windows, scores on the command line."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from ..companies.models import Company
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..extensions import db
from . import scoring
from .automatic import discover_detectors, run_detectors
from .explanation import explain
from .models import CreditRuleSet, CreditRuleSetYear
from .services import confirm_lapsed, rule_set_for, set_rule_set_for_year

cli = AppGroup("credit", help="信用评价 / Company credit evaluation.")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD") from None


@cli.command("auto-events")
@click.option("--date", "day", default=None, help="按该日运行（YYYY-MM-DD），默认今天")
@click.option("--detector", "names", multiple=True, help="只运行指定的检测器")
def auto_events_command(day, names):
    """Record automatic credit events from registered detectors (idempotent)."""

    detectors = discover_detectors()
    if not detectors and not names:
        click.echo("尚无已注册的检测器（专项行动模块注册后自动生效）。")
        return
    results = run_detectors(on=_day(day), names=names or None)
    db.session.commit()
    for result in results:
        if result.error:
            click.echo(f"{result.name}: {result.error}")
        else:
            click.echo(f"{result.name}: 新增 {result.created} 条，已存在 {result.existing} 条"
                       + (f"，未能记录 {len(result.failed)} 条" if result.failed else ""))
            for line in result.failed:
                click.echo(f"  {line}")


@cli.command("confirm-lapsed")
@click.option("--date", "day", default=None, help="按该日运行（YYYY-MM-DD），默认今天")
def confirm_lapsed_command(day):
    """Confirm notified deductions whose objection window closed without objection."""

    count = confirm_lapsed(on=_day(day))
    db.session.commit()
    click.echo(f"异议期满确认 {count} 条记录。")


@cli.command("score")
@click.argument("company")
@click.option("--as-of", default=None, help="评价日（YYYY-MM-DD），默认今天")
@click.option("--rule-set", "rule_set_code", default=None, help="按指定规则集（code 或 code:version）试算")
def score_command(company, as_of, rule_set_code):
    """Explain one company's score, event by event."""

    found = db.session.scalar(select(Company).where(or_(Company.name == company, Company.credit_code == company)))
    if found is None:
        raise click.ClickException(f"找不到企业：{company}")
    day = _day(as_of)
    if rule_set_code:
        code, _sep, version = rule_set_code.partition(":")
        statement = select(CreditRuleSet).where(CreditRuleSet.code == code)
        statement = statement.where(CreditRuleSet.version == int(version)) if version else \
            statement.order_by(CreditRuleSet.version.desc())
        rule_set = db.session.scalars(statement).first()
        if rule_set is None:
            raise click.ClickException(f"找不到规则集：{rule_set_code}")
        rule_set = scoring.load_rule_set(rule_set.id)
    else:

        rule_set = rule_set_for(day or local_today())
    explanation = explain(found, rule_set, day)
    click.echo(f"{found.name}  评价日 {explanation.as_of}  规则集 {rule_set}")
    click.echo(f"  基础分 {explanation.base}")
    for part in explanation.parts:
        cap = f"（上限 {part.cap}）" if part.cap is not None else ""
        click.echo(f"  {part.name}{cap}: {part.value}" + (f"（原始 {part.raw}）" if part.capped else ""))
        for line in part.lines:
            weight = f" ×{line.weight:.4f}" if line.weight is not None else ""
            click.echo(f"    {line.event.occurred_on} {line.item.code} {line.item.description} "
                       f"{scoring.q(line.points)}{weight}")
    click.echo(f"  总分 {explanation.total}  等级 {explanation.grade.label}")
    if explanation.override:
        click.echo(f"  {scoring.override_note(rule_set, explanation.override)}")


@cli.command("rule-sets")
def rule_sets_command():
    """List the rule sets and the years they are in force."""

    years = {}
    for row in db.session.scalars(select(CreditRuleSetYear)):
        years.setdefault(row.rule_set_id, []).append(str(row.year))
    for rule_set in db.session.scalars(select(CreditRuleSet).order_by(CreditRuleSet.code, CreditRuleSet.version)):
        flags = "默认 " if rule_set.is_default else ""
        click.echo(f"{rule_set.code}:{rule_set.version}  {rule_set.name}  {flags}"
                   f"{'年度 ' + ','.join(sorted(years.get(rule_set.id, []))) if rule_set.id in years else ''}")


@cli.command("use-rule-set")
@click.option("--year", type=int, required=True)
@click.option("--rule-set", "rule_set_code", required=True, help="code 或 code:version")
def use_rule_set_command(year, rule_set_code):
    """Put a rule set in force for a year."""

    code, _sep, version = rule_set_code.partition(":")
    statement = select(CreditRuleSet).where(CreditRuleSet.code == code)
    statement = statement.where(CreditRuleSet.version == int(version)) if version else \
        statement.order_by(CreditRuleSet.version.desc())
    rule_set = db.session.scalars(statement).first()
    if rule_set is None:
        raise click.ClickException(f"找不到规则集：{rule_set_code}")
    try:
        set_rule_set_for_year(year, rule_set)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{year} 年度适用：{rule_set}")
