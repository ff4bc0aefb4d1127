"""Default targets from seeds/targets/defaults.json (idempotent).

Writes the district's targets for the current year where none exist yet; a target a
bureau administrator has edited is never overwritten.
"""
from __future__ import annotations

from ..core.timeutil import local_today
from .services import ensure_default_targets


def load_reference() -> None:
    ensure_default_targets(local_today().year)
