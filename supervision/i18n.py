"""Locale and time-zone choice: Simplified Chinese unless the user chose English."""
from __future__ import annotations

from functools import wraps

from flask import has_request_context, request, session
from flask_babel import force_locale
from flask_login import current_user

LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # command line and background jobs speak Chinese
    if request.path.startswith("/api/"):
        return DEFAULT_LOCALE  # the API's messages are Chinese for every client, whatever its user chose
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def select_timezone() -> str:
    return "Asia/Shanghai"


def in_chinese(view):
    """Run a view in Simplified Chinese whatever the user's language.

    For views that produce documents (PDF notices, reports, bulletins; Excel exports and
    import templates): they are official Chinese documents, and the import templates' headers
    are parsed back, so they must not follow an English user's choice.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        with force_locale(DEFAULT_LOCALE):
            return view(*args, **kwargs)

    return wrapper
