"""Configuration read from the environment.

Only three settings normally need to be set in production: ``DATABASE_URL``,
``SECRET_KEY`` and ``UPLOAD_DIR``. Everything else has a sensible default.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/.

    The key is never a constant in the code: a fresh installation generates its
    own and keeps it, so sessions survive restarts.
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def default_config(instance_path: Path) -> dict:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'supervision.db'}"
    https = env_flag("HTTPS")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(instance_path / "uploads"),
        # The largest request body; individual upload kinds have smaller limits.
        "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
        # A photo taken further than this from its estate, or this long before its upload, is flagged.
        "EVIDENCE_MAX_DISTANCE_M": int(os.environ.get("EVIDENCE_MAX_DISTANCE_M") or 500),
        "EVIDENCE_MAX_AGE_DAYS": int(os.environ.get("EVIDENCE_MAX_AGE_DAYS") or 30),
        # Excel imports are bounded by the sheet's real size: at most this many data rows and header
        # columns, this many seconds, and this many consecutive blank rows end the table.
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "50000")),
        "IMPORT_MAX_COLUMNS": int(os.environ.get("IMPORT_MAX_COLUMNS", "100")),
        "IMPORT_MAX_SECONDS": float(os.environ.get("IMPORT_MAX_SECONDS", "30")),
        "IMPORT_BLANK_ROWS_END": int(os.environ.get("IMPORT_BLANK_ROWS_END", "100")),
        # Long work runs as a job (supervision/jobs): on RQ in Redis when REDIS_URL (or JOB_REDIS_URL) is set,
        # started by `flask worker`; else in a background thread of the web process. Imports over
        # IMPORT_JOB_THRESHOLD rows become jobs; an export is written in the request only up to
        # EXPORT_INLINE_CELLS cells (rows × columns) and EXPORT_JOB_THRESHOLD rows, else it is a job (jobs/exports.py).
        "JOB_REDIS_URL": os.environ.get("JOB_REDIS_URL") or os.environ.get("REDIS_URL") or None,
        "JOB_QUEUE": os.environ.get("JOB_QUEUE", "supervision"),
        "JOB_THREADS": int(os.environ.get("JOB_THREADS", "2")),
        "JOB_TIMEOUT_SECONDS": int(os.environ.get("JOB_TIMEOUT_SECONDS", "3600")),
        # A running job whose worker process is gone, or silent this long, is re-queued (at most
        # JOB_MAX_ATTEMPTS runs in all) by `flask jobs requeue-stale` and at every worker's start.
        "JOB_STALE_SECONDS": int(os.environ.get("JOB_STALE_SECONDS", "600")),
        "JOB_MAX_ATTEMPTS": int(os.environ.get("JOB_MAX_ATTEMPTS", "3")),
        # Further modules holding @jobs.task functions (comma-separated), besides <feature>/tasks.py.
        "JOB_MODULES": os.environ.get("JOB_MODULES", ""),
        "IMPORT_JOB_THRESHOLD": int(os.environ.get("IMPORT_JOB_THRESHOLD", "2000")),
        "EXPORT_JOB_THRESHOLD": int(os.environ.get("EXPORT_JOB_THRESHOLD", "5000")),  # rows, a cap over the budget
        # An export costs ~1.5–8 µs a cell (XlsxWriter and the columns' values: estates 2.7, contracts 1.6–2.5,
        # companies 5, items 6.5, lifts 8): 750 cells (50 rows of 15 columns) is ≤ ~6 ms of CPU in the request on
        # top of the export's fixed cost; a job above (bench/README.md, bench/export_budget.py).
        "EXPORT_INLINE_CELLS": int(os.environ.get("EXPORT_INLINE_CELLS", "750")),
        # A clock or holiday change recomputes open complaints' deadlines in the request up to this many, else in a job.
        "DEADLINE_RECOMPUTE_JOB_THRESHOLD": int(os.environ.get("DEADLINE_RECOMPUTE_JOB_THRESHOLD", "500")),
        # An import job reads, checks and writes IMPORT_CHUNK_ROWS rows at a time (bounded memory), and
        # may take IMPORT_JOB_MAX_SECONDS (a web request's import: IMPORT_MAX_SECONDS).
        "IMPORT_CHUNK_ROWS": int(os.environ.get("IMPORT_CHUNK_ROWS", "2000")),
        "IMPORT_JOB_MAX_SECONDS": float(os.environ.get("IMPORT_JOB_MAX_SECONDS", "600")),
        # PDFs expected over PDF_JOB_PAGES pages are made by a job (jobs/pdfs.py): a page costs ~120 ms of CPU
        # over the first (~175 ms, the floor /_bench/pdf20.pdf), so 3 pages (~2.2× the floor) stay within 3×.
        "PDF_JOB_PAGES": int(os.environ.get("PDF_JOB_PAGES", "3")),
        # Notifications leave the system as digests (supervision/notifications/delivery.py): by e-mail when
        # MAIL_SERVER is set and the user gave an address, and to NOTIFY_WEBHOOK_URL (an enterprise messaging
        # or SMS gateway; signed with NOTIFY_WEBHOOK_SECRET) when set. `flask notifications digest` (hourly).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "") == "1",
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "wuye-jianguan@localhost"),
        "NOTIFY_WEBHOOK_URL": os.environ.get("NOTIFY_WEBHOOK_URL") or None,
        "NOTIFY_WEBHOOK_SECRET": os.environ.get("NOTIFY_WEBHOOK_SECRET") or None,
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),  # links in digests, e.g. https://wuye.example.cn
        "DIGEST_HOUR": int(os.environ.get("DIGEST_HOUR", "8")),  # local hour the day's (Monday's) digest is due
        "DELIVERY_MAX_ATTEMPTS": int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "5")),
        # Items overdue this many working days or more are reported to the leaders (the second threshold).
        "LEADER_OVERDUE_WORKDAYS": int(os.environ.get("LEADER_OVERDUE_WORKDAYS", "10")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Rate-limit counts shared by every worker and host when REDIS_URL is set (see rate_limit_storage_uri);
        # if Redis fails, each process counts on its own until it is back, rather than refusing logins.
        "RATELIMIT_STORAGE_URI": rate_limit_storage_uri(),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "supervision"),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "20 per minute"),
        # argon2 parameters; tests lower them to keep the suite fast.
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_COST": 65536,
        # How many proxies (nginx, the bureau's gateway) stand in front of the app: the client address
        # (login throttles, rate limits, audit) is then taken from their X-Forwarded-For. 0 = none.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "PASSWORD_MIN_LENGTH": 10,
        # Production (SUPERVISION_ENV=production): the app refuses to start while a demo account
        # still has the demo password, and `flask seed demo` refuses to run.
        "PRODUCTION": os.environ.get("SUPERVISION_ENV", "").strip().lower() == "production",
        # Failed logins are counted per (account name, client address): after LOGIN_THROTTLE_AFTER
        # failures that pair waits 1 minute, then twice as long after each further failure, up to
        # LOGIN_THROTTLE_MAX_MINUTES. The count is forgotten after LOGIN_THROTTLE_FORGET_MINUTES quiet.
        "LOGIN_THROTTLE_AFTER": 5,
        "LOGIN_THROTTLE_FIRST_MINUTES": 1,
        "LOGIN_THROTTLE_MAX_MINUTES": 15,
        "LOGIN_THROTTLE_FORGET_MINUTES": 60,
        # A login ends after this long without a request, and this long after it began at the latest.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "120")),
        "SESSION_MAX_HOURS": int(os.environ.get("SESSION_MAX_HOURS", "12")),
        # A session's "last seen" is written at most this often (seconds), not on every request.
        "SESSION_TOUCH_SECONDS": 60,
        "PER_PAGE": 50,
        # Registers without bound (complaints, staff, the audit log) count a list's total only this far.
        "LIST_COUNT_LIMIT": int(os.environ.get("LIST_COUNT_LIMIT", "10000")),
        # A database outage answers 503 with this Retry-After (seconds), and logs one line per kind of
        # failure per interval (seconds) in each process (supervision/outage.py).
        "DB_RETRY_AFTER": int(os.environ.get("DB_RETRY_AFTER", "30")),
        "DB_FAILURE_LOG_INTERVAL": int(os.environ.get("DB_FAILURE_LOG_INTERVAL", "30")),
        # Landing-dashboard figures kept per process, keyed by the dashboard data generation; 0 = always live.
        "DASHBOARD_CACHE_SIZE": int(os.environ.get("DASHBOARD_CACHE_SIZE", "16")),
        # Credit score tables kept per process, keyed by the credit data generation; 0 = always live.
        "CREDIT_SCORE_CACHE_SIZE": int(os.environ.get("CREDIT_SCORE_CACHE_SIZE", "8")),
        # Campaign-page progress tables kept per process, keyed by a data generation; 0 = always live.
        "CAMPAIGN_PROGRESS_CACHE_SIZE": int(os.environ.get("CAMPAIGN_PROGRESS_CACHE_SIZE", "16")),
        # Weekly-report grids' street spans kept per process, keyed by the same generation; 0 = always live.
        "REPORT_SPANS_CACHE_SIZE": int(os.environ.get("REPORT_SPANS_CACHE_SIZE", "16")),
        # The public portal (/public): requests per client address, and rendered pages kept per process
        # (keyed by data generations, so a publication is shown at once by every worker).
        "PICKER_RATE_LIMIT": os.environ.get("PICKER_RATE_LIMIT", "240 per minute"),
        "PORTAL_RATE_LIMIT": os.environ.get("PORTAL_RATE_LIMIT", "300 per minute"),
        "PORTAL_CACHE_SIZE": int(os.environ.get("PORTAL_CACHE_SIZE", "2000")),
        # Check that every table a generation-cached computation reads is watched by its topic
        # (core/generations.py ``cached``); on in the tests and in debug mode.
        "CHECK_CACHE_INPUTS": os.environ.get("CHECK_CACHE_INPUTS", "0") == "1",
    }


def rate_limit_storage_uri(environ=None) -> str:
    """Where flask-limiter keeps its counts: ``RATELIMIT_STORAGE_URI``, else ``REDIS_URL``, else
    ``memory://`` — per process, so N workers would each allow the whole limit (see
    ``per_worker_limits``)."""
    environ = os.environ if environ is None else environ
    return environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or "memory://"


ALLOW_PER_WORKER_LIMITS = "ALLOW_PER_WORKER_RATE_LIMITS"


def per_worker_limits(workers: int, environ=None) -> str | None:
    """What it means to run ``workers`` processes with these settings, when their rate limits would
    not be shared (None when they are, or there is one process). ``make serve`` refuses to start
    then, unless ``ALLOW_PER_WORKER_RATE_LIMITS=1`` says it is meant (gunicorn.conf.py)."""
    environ = os.environ if environ is None else environ
    if workers <= 1 or not rate_limit_storage_uri(environ).startswith("memory"):
        return None
    limit = environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    return (f"{workers} workers with in-memory rate-limit storage: each worker counts on its own, so the login "
            f"limit ({limit}) is in fact {workers}x that. Set REDIS_URL (or RATELIMIT_STORAGE_URI) so that the "
            f"workers share their counts, or run GUNICORN_WORKERS=1.")


def engine_options(url: str, options: dict) -> dict:
    """The engine's options for the database in use.

    PostgreSQL: JIT off. Its compiler spends ~20 ms on each of the dashboard's and the campaign
    page's aggregates to save less than that; the app's queries are short, the usual OLTP advice.
    A connection attempt gives up after 5 s, so that an unreachable server answers 503 quickly
    instead of holding every worker thread.
    """
    if url.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", "-c jit=off")
        connect_args.setdefault("connect_timeout", 5)
        options = dict(options, connect_args=connect_args)
    return options


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
