"""``flask`` commands: users, seed, and each feature's own group.

A feature adds commands in ``<feature>/commands.py`` by defining a click group
named ``cli`` (for example ``flask campaigns sweep``).
"""
from __future__ import annotations

import importlib
import importlib.util

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from .auth.roles import Role
from .auth.services import create_user
from .companies.models import Company
from .core.errors import DomainError
from .extensions import db
from .regions.models import Street
from .seeding import FEATURES, load_reference, seed_demo

users_cli = AppGroup("users", help="用户账户 / User accounts.")
seed_cli = AppGroup("seed", help="参考数据与演示数据 / Reference and demo data.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", default=None, help="姓名，默认同用户名")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--street", default=None, help="街道名称（街道办账户）")
@click.option("--company", default=None, help="企业名称或统一社会信用代码（企业账户）")
@click.option("--password", default=None, help="不提供时交互输入")
def create_user_command(username, display_name, role, street, company, password):
    """Create a user account."""


    if password is None:
        password = click.prompt("密码 / Password", hide_input=True, confirmation_prompt=True)
    street_id = company_id = None
    if street:
        street_id = db.session.scalar(select(Street.id).where(Street.name == street))
        if street_id is None:
            raise click.ClickException(f"找不到街道：{street}")
    if company:
        company_id = db.session.scalar(
            select(Company.id).where(or_(Company.name == company, Company.credit_code == company))
        )
        if company_id is None:
            raise click.ClickException(f"找不到企业：{company}")
    try:
        user = create_user(username=username, display_name=display_name or username, role=Role(role),
                           password=password, street_id=street_id, company_id=company_id,
                           must_change_password=False)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{user.role.label}）")


@seed_cli.command("reference")
def seed_reference_command():
    """Load reference data from seeds/ (idempotent)."""

    done = load_reference()
    db.session.commit()
    click.echo("参考数据已加载：" + ", ".join(done))


@seed_cli.command("demo")
def seed_demo_command():
    """Build the demo district (deterministic and idempotent)."""

    done = seed_demo()
    db.session.commit()
    click.echo("演示数据已就绪：" + ", ".join(done))
    click.echo("演示账户（密码均为 supervision-demo）：admin 管理员 / officer 科员 / leader 领导 / "
               "street 街道办 / company 物业企业")


def register(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    for feature in FEATURES:
        name = f"supervision.{feature}.commands"
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            app.cli.add_command(module.cli)
            for command in getattr(module, "extra_commands", ()):  # top-level ones, e.g. `flask worker`
                app.cli.add_command(command)
