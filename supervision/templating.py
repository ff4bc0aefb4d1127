"""Filters and globals for the templates."""
from __future__ import annotations

from datetime import date, datetime

from flask import g, request
from flask_babel import get_locale, gettext
from flask_login import current_user

from .audit.wording import entries as audit_entries
from .auth.roles import Role
from .core.markup import status_badge
from .core.numbers import area, money, number, percent, score
from .core.pagination import url_args
from .core.timeutil import local_today, to_local, utcnow
from .core.urls import url_template
from .core.workdays import provisional_years
from .i18n import LOCALES
from .navigation import fixed_url, nav_for, nav_html, nav_url
from .notifications.services import unread_count


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value).strftime(fmt)


def datefmt(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d")


def provisional_text(*days) -> str:
    """``（2027年节假日安排未录入，日期为暂定）`` when a date shown was computed in a year without a holiday
    arrangement (``core.workdays.is_provisional``); "" otherwise. Dates, datetimes (local) or None."""


    plain = [to_local(d).date() if isinstance(d, datetime) else d for d in days]
    years = provisional_years(*plain)
    if not years:
        return ""
    return gettext("（%(year)s年节假日安排未录入，日期为暂定）", year="、".join(str(y) for y in years))


def field_aria(field, help_text=None) -> dict:
    """The ARIA attributes tying a form field to its error and help texts (rendered with ids
    ``<field id>-error-<n>`` and ``<field id>-help`` by templates/_macros.html)."""
    described = [f"{field.id}-error-{n}" for n in range(1, len(field.errors or ()) + 1)]
    if help_text:
        described.append(f"{field.id}-help")
    attributes = {}
    if field.errors:
        attributes["aria-invalid"] = "true"
    if described:
        attributes["aria-describedby"] = " ".join(described)
    return attributes


def register(app) -> None:

    app.jinja_env.filters.update(localtime=localtime, datefmt=datefmt, number=number, score=score, money=money,
                                 area=area, percent=percent)

    app.jinja_env.globals.update(url_args=url_args, nav_url=nav_url, nav_html=nav_html, fixed_url=fixed_url,
                                 Role=Role, LOCALES=LOCALES,
                                 local_today=local_today, get_locale=get_locale, provisional_text=provisional_text,
                                 url_template=url_template, status_badge=status_badge,
                                 audit_entries=audit_entries, field_aria=field_aria)
    app.jinja_env.add_extension("jinja2.ext.do")

    def _unread_this_request() -> int:
        """Counted once a request: a page renders its sections as templates of their own."""
        if "unread_notifications" not in g:
            g.unread_notifications = unread_count(current_user)
        return g.unread_notifications

    @app.context_processor
    def inject_user_context():
        if not current_user.is_authenticated:
            return {}

        return {
            "navigation": nav_for(current_user),
            "unread_notifications": _unread_this_request(),
            "current_path": request.full_path if request.query_string else request.path,
            "now_utc": utcnow(),
        }
