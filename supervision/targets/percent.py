"""Rates and thresholds as the pages and documents print them ("87.5%", "80%")."""
from __future__ import annotations

from fractions import Fraction

from ..core.numbers import percent


def as_percent(value: Fraction | None, places: int = 1) -> str:
    """A rate as "87.5%", or "—" when undefined. Rounded half up, never divided by zero."""
    return percent(value, places)


def threshold_percent(value: Fraction) -> str:
    """A threshold as "80%" (or "92.5%" when it has decimals)."""
    text = as_percent(value, 2)[:-1]
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
