"""How the values of ledgers people keep in Excel or WPS are read: pure functions, one per rule.

Every import parser in ``documents.excel`` goes through these, so a template file and a bureau's own
台账 are read the same way:

- ``halfwidth``: full-width digits, letters and punctuation (１２３ＡＢＣ，．) become half-width;
- ``clean``: trimmed, including full-width and non-breaking spaces, inner runs of spaces kept as one;
- ``number_text``: units and thousands separators dropped ("860户", "6栋", "31,200", "152000.5㎡");
- ``year``: "2005年", "2005.6", "2005-06", 2005.0 → 2005;
- ``a_date``: "2020.5.1", "2020/5/1", "2020年5月1日", an Excel serial (43952) or a datetime → a date;
- ``yes_no``: 是/否, √/×, ✓/✗, Y/N, 有/无, yes/no, true/false, 1/0 → True/False;
- ``header_key``: a column header compared loosely (spaces, line breaks, bracket widths, ㎡/m²);
- ``without_suffix``: a street or community name without 街道/街道办事处/社区/社区居委会…, so
  东城 matches 东城街道.

Each function raises ``ValueError`` when the value cannot be read; the parsers turn that into the
column's Chinese message.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH.update({0x3000: 0x20, 0x00A0: 0x20, 0x3002: ord("."), 0xFF61: ord("."), 0x2014: ord("-"),
                   0x2013: ord("-"), 0x2212: ord("-"), 0x3001: ord(",")})
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_EDGES = re.compile(r"^[\s\u3000\u00a0\u200b\ufeff]+|[\s\u3000\u00a0\u200b\ufeff]+$")
_INNER = {0x3000: 0x20, 0x00A0: 0x20, 0x200B: None, 0xFEFF: None}


_ALNUM = {code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}


def halfwidth(value: str) -> str:
    """Full-width ASCII forms (digits, letters, punctuation, the ideographic space) as half-width."""
    return value.translate(_FULLWIDTH)


def clean(value) -> str:
    """A cell as text: full-width digits and letters half-width (Chinese punctuation such as （）
    is kept: names are registered with it), spaces of every width trimmed at both ends, full-width
    and non-breaking spaces inside as plain ones (line breaks inside are kept)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores typed-in numbers such as phone numbers as floats
    return _EDGES.sub("", str(value).translate(_ALNUM).translate(_INNER))


def compact(value) -> str:
    """Half-width with no spaces at all: the form numbers, codes, dates and yes/no are read in."""
    return _SPACES.sub("", halfwidth(clean(value)))


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)")
_UNITS = re.compile(r"^(户|套|栋|幢|座|个|人|名|家|层|台|部|年|平方米|平米|平方|㎡|m2|m²|万平方米|亩|元|万元|%|‰)?$",
                    re.IGNORECASE)


def number_text(value) -> str:
    """The number in a cell as plain text ("1,320" → "1320", "860户" → "860", "152000.5㎡" →
    "152000.5"); ValueError when there is none or more than a unit follows it."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = compact(value).replace(",", "").replace("，", "")
    match = _NUMBER.match(text)
    if not match or not _UNITS.match(text[match.end():]):
        raise ValueError(value)
    return match.group(0)


def year(value) -> int:
    """A year from 2005, 2005.0, "2005年", "2005.6", "2005-06", "2005/6", "2005年6月" or a date."""
    if isinstance(value, (datetime, date)):
        return value.year
    if isinstance(value, float):  # 2005.6 typed into a number cell: June 2005
        if not value.is_integer() and not 1000 <= value < 10000:
            raise ValueError(value)
        value = int(value)
    if isinstance(value, int):
        return value
    text = compact(value)
    match = re.fullmatch(r"(\d{4})(年|(?:[-./年](\d{1,2})(?:月|[-./](\d{1,2})日?)?)?)?", text)
    if not match:
        raise ValueError(value)
    return int(match.group(1))


EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug is before March 1900)


def a_date(value) -> date:
    """A date from a date/datetime, an Excel serial number, "2020-05-01", "2020.5.1", "2020/5/1",
    "2020年5月1日" or "20200501"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # up to 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(value)
    text = compact(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    match = re.fullmatch(r"(\d{4})(?:[-./年])(\d{1,2})(?:[-./月])(\d{1,2})日?", text) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not match:
        raise ValueError(value)
    return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))


YES = frozenset({"是", "有", "√", "✓", "✔", "y", "yes", "true", "1", "对", "已"})
NO = frozenset({"否", "无", "×", "✗", "✘", "x", "n", "no", "false", "0", "没有", "未"})


def yes_no(value) -> bool:
    """True for 是/有/√/✓/Y/yes/1, False for 否/无/×/✗/X/N/no/0; ValueError otherwise."""
    if isinstance(value, bool):
        return value
    text = compact(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(value)


_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")", "：": ":"})
_AREA = re.compile(r"(㎡|m2|m²|平米|平方)(?!米)", re.IGNORECASE)


def header_key(value) -> str:
    """A header as compared with the known names: half-width, no spaces or line breaks, round
    brackets, square metres written 平方米, a trailing colon or asterisk (必填 marks) dropped."""
    text = compact(value).translate(_BRACKETS).lower()
    text = _AREA.sub("平方米", text)
    return text.strip("*:").replace("()", "")


STREET_SUFFIXES = ("街道办事处", "街道办", "街道", "镇人民政府", "镇", "乡")
COMMUNITY_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "社区", "村民委员会", "村委会", "村")


def without_suffix(name: str, suffixes=STREET_SUFFIXES + COMMUNITY_SUFFIXES) -> str:
    """``name`` without the administrative suffix it ends with (东城街道 → 东城), never empty."""
    name = clean(name)
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def match_name(value: str, names, suffixes=STREET_SUFFIXES + COMMUNITY_SUFFIXES) -> list:
    """The names of ``names`` that are ``value`` exactly, else those equal to it once both lose
    their suffix (东城 / 东城街道 / 东城街道办事处)."""
    value = clean(value)
    exact = [name for name in names if name == value]
    if exact:
        return exact
    bare = without_suffix(value, suffixes)
    return [name for name in names if without_suffix(name, suffixes) == bare]
