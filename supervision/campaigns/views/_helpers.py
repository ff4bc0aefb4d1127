"""Small helpers shared by the campaign views."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select

from ...auth import scope
from ...core import generations
from ...core.forms import MAX_INT, apply_domain_error
from ...extensions import db
from ..models import Campaign, CampaignStatus
from ..services import progress

RECENT_CAMPAIGNS = 20  # a filter's campaign choices: every open one, then the latest closed ones


def show_error(form, error) -> None:
    """A service refusal next to its field, else as a message at the top."""
    if form is None or not apply_domain_error(form, error):
        flash(error.message, "danger")


def flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors if isinstance(errors, list) else [errors]:
            if isinstance(message, dict):
                continue
            flash(str(message), "danger")


def arg_int(name: str):

    value = request.args.get(name, "")
    return int(value) if value.isdigit() and int(value) <= MAX_INT else None


def arg_bool(name: str):
    value = request.args.get(name)
    return {"1": True, "0": False}.get(value)


def visible_campaign_choices(blank=None):
    rows = db.session.execute(scope.visible(Campaign, statement=select(Campaign.id, Campaign.name, Campaign.year))
                              .order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return ([(None, blank)] if blank is not None else []) + [(r.id, f"{r.year} · {r.name}") for r in rows]


def recent_campaign_choices(blank=None, selected=None):
    """A bounded ``visible_campaign_choices`` for filters: the draft and active campaigns, then the latest closed
    ones up to ``RECENT_CAMPAIGNS``, and the selected one (an older campaign's link keeps its name shown).

    Kept per process under the user's scope and the "campaign_progress" generation (which watches the
    campaigns and the enrolments that decide what a street or company sees)."""
    rows = generations.cached(progress.PROGRESS_TOPIC, "campaign_filter_choices", 64,
                              (progress.scope_key(current_user), selected), lambda: _recent_campaigns(selected))
    return ([(None, blank)] if blank is not None else []) + [(row[0], f"{row[2]} · {row[1]}") for row in rows]


def _recent_campaigns(selected):
    columns = select(Campaign.id, Campaign.name, Campaign.year)
    closed_last = case((Campaign.status == CampaignStatus.CLOSED, 1), else_=0)
    rows = db.session.execute(scope.visible(Campaign, statement=columns)
                              .order_by(closed_last, Campaign.year.desc(), Campaign.id.desc())
                              .limit(RECENT_CAMPAIGNS)).all()
    if selected is not None and all(row.id != selected for row in rows):
        rows += db.session.execute(scope.visible(Campaign, statement=columns).where(Campaign.id == selected)).all()
    rows.sort(key=lambda row: (-row.year, -row.id))
    return tuple((row.id, row.name, row.year) for row in rows)


def drop_scoped_filters(form) -> None:
    """A street office does not filter by street, a company not by company."""
    if current_user.is_street and hasattr(form, "street"):
        delattr(form, "street")
    if current_user.is_company and hasattr(form, "company"):
        delattr(form, "company")


def value_of(form, name):
    field = getattr(form, name, None)
    return field.data if field is not None else None


def enum_or_none(enum_cls, value):
    try:
        return enum_cls.coerce(value)
    except ValueError:
        return None


def msg_saved():
    return _("已保存。")


class Labels(dict):
    """Enum member → its translated label, each translated once a request (a list shows the same few
    states on every row): ``labels[member]`` in a template."""

    def __missing__(self, member):
        self[member] = label = member.label
        return label
