"""Registers the JSON API under /api/v1, its docs page and the token pages."""
from __future__ import annotations

import importlib

from .core import init_api
from .docs import bp as docs_bp
from .token_views import bp as tokens_bp

RESOURCES = ("me", "registries", "campaigns", "items", "reports", "credit", "targets")


def register(app) -> None:

    api = init_api(app)
    for name in RESOURCES:
        module = importlib.import_module(f"supervision.api.resources.{name}")
        for blueprint in getattr(module, "blps", None) or (module.blp,):
            api.register_blueprint(blueprint)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(docs_bp)
