"""Helpers for loading seeds/: reference data and the demo district.

Each feature may provide ``reference.py`` with ``load_reference()`` and
``demo.py`` with ``seed_demo(rng)``; ``flask seed`` runs them in the order of
``FEATURES``. Every step is idempotent: running it twice changes nothing.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import random
from pathlib import Path

from sqlalchemy import select

from .config import PROJECT_ROOT
from .extensions import db

SEEDS_DIR = PROJECT_ROOT / "seeds"
DEMO_RANDOM_SEED = 20260501

# The order in which features seed: each may rely on those before it.
FEATURES = ("core", "regions", "auth", "companies", "estates", "contracts", "campaigns", "safety", "reports",
            "filings", "credit", "complaints", "surveys", "enforcement", "targets", "api", "ops", "jobs",
            "notifications", "offline")


def load_json(relative: str):
    return json.loads((SEEDS_DIR / relative).read_text(encoding="utf-8"))


def get_or_create(model, defaults: dict | None = None, **keys):
    """The row matching ``keys``; created with ``defaults`` when missing."""
    instance = db.session.scalar(select(model).filter_by(**keys))
    if instance is not None:
        return instance, False
    instance = model(**keys, **(defaults or {}))
    db.session.add(instance)
    db.session.flush()
    return instance, True


def _feature_modules(kind: str):
    for feature in FEATURES:
        name = f"supervision.{feature}.{kind}"
        if importlib.util.find_spec(name) is not None:
            yield importlib.import_module(name)


def load_reference() -> list[str]:
    done = []
    for module in _feature_modules("reference"):
        module.load_reference()
        done.append(module.__name__)
    db.session.flush()
    return done


def seed_demo() -> list[str]:
    load_reference()
    done = []
    for module in _feature_modules("demo"):
        # One generator per feature, so adding a step never shifts another's data.
        rng = random.Random(f"{DEMO_RANDOM_SEED}:{module.__name__}")
        module.seed_demo(rng)
        db.session.flush()
        done.append(module.__name__)
    return done


def seeds_path(relative: str) -> Path:
    return SEEDS_DIR / relative
