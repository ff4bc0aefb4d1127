"""Reference data of the core: the holiday-arrangement register, seeded from chinese-calendar."""
from __future__ import annotations

from .holidays.services import seed_from_builtin


def load_reference() -> None:
    """Enter the built-in holiday arrangement of each year the register lacks (idempotent)."""

    seed_from_builtin()
