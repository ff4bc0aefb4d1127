"""Locale and time-zone choice: Simplified Chinese unless the user chose English."""
from __future__ import annotations

from functools import wraps

from babel import Locale
from babel.support import NullTranslations
from flask import has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import Babel, Domain, force_locale, get_locale
from flask_babel import _get_current_context as babel_context
from flask_login import current_user
from werkzeug.utils import cached_property

LOCALES = {"zh_CN": "简体中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
# Parsed once: Flask-Babel parses a selector's string on every request, and Locale.parse
# scans Babel's locale-data folder (about 0.3 ms a request).
_PARSED = {code: Locale.parse(code) for code in LOCALES}


def select_locale() -> Locale:
    if not has_request_context():
        return _PARSED[DEFAULT_LOCALE]  # command line and background jobs speak Chinese
    if request.path.startswith("/api/"):
        return _PARSED[DEFAULT_LOCALE]  # the API's messages are Chinese for every client, whatever its user chose
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return _PARSED[current_user.locale]
    chosen = session.get("locale")
    return _PARSED[chosen if chosen in LOCALES else DEFAULT_LOCALE]


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's catalogue remembered on the request.

    Flask-Babel finds the catalogue anew for every message (three look-ups of the request
    context and ``str(locale)``); a page translates a few hundred messages, so that cost a few
    milliseconds a page. The catalogue is looked up again whenever the locale changes
    (``force_locale``).
    """

    def get_translations(self):
        app_ctx = _cv_app.get(None)  # the g proxy costs more than the rest of the look-up
        ctx = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
        if ctx is None:
            ctx = babel_context()
            if ctx is None:
                return NullTranslations()
        locale = getattr(ctx, "babel_locale", None) or get_locale()
        remembered = getattr(ctx, "supervision_translations", None)
        if remembered is not None and remembered[0] is locale:
            return remembered[1]
        translations = super().get_translations()
        ctx.supervision_translations = (locale, translations)
        return translations


class SupervisionBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        # The templates' messages skip Flask-Babel's per-message domain look-up.
        app.jinja_env.install_gettext_callables(
            gettext=lambda s: self.domain_instance.get_translations().ugettext(s),
            ngettext=lambda s, p, n: self.domain_instance.get_translations().ungettext(s, p, n),
            pgettext=lambda c, s: self.domain_instance.get_translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: self.domain_instance.get_translations().unpgettext(c, s, p, n),
            newstyle=True,
        )


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
