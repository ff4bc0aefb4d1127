"""Unified social credit code (统一社会信用代码) per GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without
I, O, Z, S, V); the last one is a check character computed from the first 17.
"""
from __future__ import annotations

from flask_babel import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str | None) -> str | None:
    """None when ``code`` is valid, else a Chinese message saying what is wrong."""
    code = (code or "").strip()
    if len(code) != 18:
        return _("统一社会信用代码应为18位，当前为%(n)s位。", n=len(code))
    for position, ch in enumerate(code, start=1):
        if ch not in VALUES:
            if ch.isalpha() and ch.islower():
                return _("第%(pos)s位“%(ch)s”应为大写字母。", pos=position, ch=ch)
            return _("第%(pos)s位字符“%(ch)s”不合法（只能使用数字和除 I、O、Z、S、V 以外的大写字母）。",
                     pos=position, ch=ch)
    expected = check_character(code[:17])
    if code[17] != expected:
        return _("校验码错误：第18位应为“%(expected)s”，实际为“%(actual)s”，请核对代码是否抄错。",
                 expected=expected, actual=code[17])
    return None


def is_valid_credit_code(code: str | None) -> bool:
    return credit_code_error(code) is None


def make_credit_code(body17: str) -> str:
    """Complete 17 characters with their check character (demo and test data)."""
    return body17 + check_character(body17)
