"""A database outage answered cleanly.

When the database cannot be reached (connection refused or cut, pool exhausted, SQLite file
unreadable or locked), every request answers 503 with the app's own page (JSON under
``/api/``) and a ``Retry-After`` header, and the log gets one line per kind of failure per
``DB_FAILURE_LOG_INTERVAL`` seconds in each process, not a traceback per request.

The page is drawn without the database: no ``current_user``, no context processors (they
count the user's notifications), and the request's session is invalidated rather than rolled
back, so nothing touches the dead connection again on the way out. Recovery needs nothing
from here: ``pool_pre_ping`` replaces the pooled connections that died with the server.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, jsonify, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exc

from .extensions import db
from .i18n import DEFAULT_LOCALE, LOCALES

logger = logging.getLogger("supervision.database")

# The exceptions that mean "the database cannot be used now", not "this query is wrong".
OUTAGE_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def failure_kind(error: BaseException) -> str:
    """``OperationalError(psycopg.OperationalError)``: SQLAlchemy's class and the driver's."""
    original = getattr(error, "orig", None)
    if original is None:
        return type(error).__name__
    return f"{type(error).__name__}({type(original).__module__.split('.')[0]}.{type(original).__name__})"


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return (text.splitlines() or [""])[0][:200]


class ThrottledLog:
    """One log line per kind per interval; the line says how many were left out since the last."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def failure(self, kind: str, detail: str, interval: float) -> bool:
        """Log the failure unless one of its kind was logged less than ``interval`` seconds ago."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < interval:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False
            suppressed = self._suppressed.pop(kind, 0)
            self._last[kind] = now
        more = f" ({suppressed} more in the last {now - last:.0f} s)" if suppressed and last is not None else ""
        self.log.error("database unavailable: %s: %s%s", kind, detail, more)
        return True

    def reset(self) -> None:
        with self._lock:
            self._last.clear()
            self._suppressed.clear()


failures = ThrottledLog(logger)


def note_failure(error: BaseException) -> None:
    failures.failure(failure_kind(error), _first_line(error),
                     current_app.config.get("DB_FAILURE_LOG_INTERVAL", 30))


def release_session() -> None:
    """Drop the request's session without a ROLLBACK on a connection that may be dead."""
    try:
        db.session.invalidate()
    except Exception:  # the connection is gone either way; nothing else to free
        pass


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def unavailable(error: BaseException | None = None):
    """The 503 answer for an outage (logs it, throttled)."""
    release_session()
    if error is not None:
        note_failure(error)
    retry_after = str(current_app.config.get("DB_RETRY_AFTER", 30))
    # The user's own choice needs the database; a visitor's is in the session. The API speaks Chinese.
    chosen = None if request.path.startswith("/api/") else session.get("locale")
    with force_locale(chosen if chosen in LOCALES else DEFAULT_LOCALE):
        message = _("数据库暂时无法访问，系统正在自动重连，请稍后再试。")
        if _wants_json():
            response = jsonify(code="unavailable", message=message)
        else:
            # Not render_template: the context processors would ask the database about the user.
            template = current_app.jinja_env.get_template("unavailable.html")
            response = current_app.response_class(template.render(message=message, retry_after=retry_after),
                                                  mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = retry_after
    return response


def end_session(_error=None) -> None:
    """End the request's session; a connection that died after the page was drawn (the ROLLBACK
    of the session's close fails) is logged like any outage and dropped, not raised past the
    error handlers as a bare 500 with a traceback."""
    try:
        db.session.remove()
    except OUTAGE_ERRORS as failure:
        note_failure(failure)
        release_session()
        try:
            db.session.remove()
        except OUTAGE_ERRORS:
            pass  # invalidated above: nothing is left to roll back


def register(app) -> None:
    app.config.setdefault("DB_RETRY_AFTER", 30)
    app.config.setdefault("DB_FAILURE_LOG_INTERVAL", 30)
    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, unavailable)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (teardowns run in
    # reverse order) and that one then finds the session already ended.
    app.teardown_appcontext(end_session)
