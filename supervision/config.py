"""Configuration read from the environment.

Only three settings normally need to be set in production: ``DATABASE_URL``,
``SECRET_KEY`` and ``UPLOAD_DIR``. Everything else has a sensible default.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool = False) -> bool:
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
    https = _env_flag("HTTPS")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(instance_path / "uploads"),
        # The largest request body; individual upload kinds have smaller limits.
        "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
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
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "20 per minute"),
        # argon2 parameters; tests lower them to keep the suite fast.
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_COST": 65536,
        "PASSWORD_MIN_LENGTH": 8,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "PER_PAGE": 50,
        # Seconds the landing dashboard's indicator values are reused (per process); 0 = always live.
        "DASHBOARD_CACHE_SECONDS": int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300")),
        # Credit score tables kept per process, keyed by the credit data generation; 0 = always live.
        "CREDIT_SCORE_CACHE_SIZE": int(os.environ.get("CREDIT_SCORE_CACHE_SIZE", "8")),
        # Campaign-page progress tables kept per process, keyed by a data generation; 0 = always live.
        "CAMPAIGN_PROGRESS_CACHE_SIZE": int(os.environ.get("CAMPAIGN_PROGRESS_CACHE_SIZE", "16")),
        # Weekly-report grids' street spans kept per process, keyed by the same generation; 0 = always live.
        "REPORT_SPANS_CACHE_SIZE": int(os.environ.get("REPORT_SPANS_CACHE_SIZE", "16")),
        # Check that every table a generation-cached computation reads is watched by its topic
        # (core/generations.py ``cached``); on in the tests and in debug mode.
        "CHECK_CACHE_INPUTS": os.environ.get("CHECK_CACHE_INPUTS", "0") == "1",
    }


def engine_options(url: str, options: dict) -> dict:
    """The engine's options for the database in use.

    PostgreSQL: JIT off. Its compiler spends ~20 ms on each of the dashboard's and the campaign
    page's aggregates to save less than that; the app's queries are short, the usual OLTP advice.
    """
    if url.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", "-c jit=off")
        options = dict(options, connect_args=connect_args)
    return options


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
