"""Numbers as every page, document and export prints them: counts and amounts with thousands
separators ("24,000", "1,234.50"), scores to two decimals ("92.50"), rates as "87.5%".

The template filters ``number``, ``score``, ``money``, ``area`` and ``percent`` (supervision/templating.py)
are these functions; Excel exports use the matching ``EXCEL_*`` number formats instead of strings.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

EXCEL_COUNT = "#,##0"
EXCEL_DECIMAL = "#,##0.00"
EMPTY = "—"


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


def number(value, places: int = 0, sign: bool = False) -> str:
    """``24,000`` / ``1,234.50``: thousands separators, rounded half up; "" for None."""
    if value is None:
        return ""
    rounded = _decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return f"{rounded:{'+' if sign and rounded else ''},.{places}f}"


def score(value, sign: bool = False) -> str:
    """A credit or inspection score to two decimals: ``92.50`` (``+2.00`` with ``sign``)."""
    return number(value, 2, sign)


def money(value) -> str:
    """An amount of money in yuan: ``1,234.50``."""
    return number(value, 2)


def area(value, unit: str = "㎡") -> str:
    """A floor area: ``1,234.50 ㎡``; "" for None."""
    return f"{number(value, 2)} {unit}" if value is not None else ""


def percent(value, places: int = 1) -> str:
    """A ratio (0–1) as ``87.5%`` (rounded half up; targets/percent.py prints the same); "—" when undefined."""
    if value is None:
        return EMPTY
    return f"{number(_decimal(value) * 100, places).replace(',', '')}%"
