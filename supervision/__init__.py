"""物业监管 — property-management supervision for district housing bureaus."""
from __future__ import annotations

import gc
import importlib
import importlib.util
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    cli,
    delivery,
    errors,
    models,  # noqa: F401  (every model, before the metadata is used)
    security,
    templating,
)
from .auth.session import init_login
from .config import PROJECT_ROOT, default_config, engine_options, load_secret_key
from .core import sqlite  # noqa: F401  (write-ahead logging on every SQLite connection)
from .core.converters import IdConverter
from .extensions import babel, bootstrap, csrf, db, limiter, migrate
from .i18n import select_locale, select_timezone

# Feature blueprints, in the order their navigation appears.
BLUEPRINTS = (
    "supervision.auth.views",
    "supervision.dashboard.views",
    "supervision.estates.views",
    "supervision.estates.management_views",
    "supervision.contracts.views",
    "supervision.companies.views",
    "supervision.campaigns.views",
    "supervision.safety.views",
    "supervision.reports.views",
    "supervision.filings.views",
    "supervision.credit.views",
    "supervision.enforcement.views",
    "supervision.complaints.views",
    "supervision.complaints.owner_views",
    "supervision.complaints.clock_views",
    "supervision.targets.views",
    "supervision.surveys.views",
    "supervision.regions.views",
    "supervision.admin.views",
    "supervision.core.holidays.views",
    "supervision.audit.views",
    "supervision.attachments.views",
    "supervision.offline.views",
    "supervision.notifications.views",
    "supervision.api.views",
    "supervision.complaints.api_views",  # after the API: registers on it
    "supervision.ops.views",
    "supervision.jobs.views",
    "supervision.pickers.views",
    "supervision.portal.views",
)


def create_app(config: dict | None = None) -> Flask:
    """The app factory. ``config`` overrides settings (tests pass a dict)."""
    instance_path = Path(os.environ.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.update(default_config(instance_path))
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                             app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(instance_path)

    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])

    app.url_map.converters["int"] = IdConverter
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    limiter.init_app(app)
    init_login(app)


def register_blueprints(app: Flask) -> None:
    for module_name in BLUEPRINTS:
        if importlib.util.find_spec(module_name) is None:
            continue  # a feature not built yet
        module = importlib.import_module(module_name)
        if hasattr(module, "register"):
            module.register(app)  # a feature that registers more than one blueprint
            continue
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
        for extra in getattr(module, "extra_blueprints", ()):
            app.register_blueprint(extra)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    templating.register(app)


def register_security_headers(app: Flask) -> None:
    app.before_request(security.refuse_nul_characters)
    app.after_request(security.add_security_headers)
    delivery.register(app)


def register_commands(app: Flask) -> None:
    cli.register(app)


def freeze_startup_heap() -> int:
    """Move every object alive now (modules, mappers, routes: ~480,000 once the app is made) out of the
    garbage collector's reach, and answer how many there are. A full (generation-2) collection walks every
    tracked object; it comes every few hundred requests and then cost the request it fell on ~160–200 ms
    CPU (a campaign page's 718 ms "first request after a change" in issue 21's quiet run). After this it walks
    the ~40,000 objects made since: ~10 ms. Called once the app is built (``wsgi.py``, before gunicorn forks
    its workers with ``preload_app``, so the frozen pages also stay shared between them), not in tests,
    which make many apps."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
