"""Reference data: the default complaint clocks (idempotent)."""
from __future__ import annotations

from .clock import seed_clocks


def load_reference() -> None:
    seed_clocks()
