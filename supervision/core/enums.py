"""Enums whose members carry a translated title and a badge colour."""
from __future__ import annotations

import enum

from wtforms import SelectChoice


class LabelledEnum(enum.StrEnum):
    """Members are defined as ``NAME = ("value", lazy_gettext("标题"), "badge")``."""

    def __new__(cls, value: str, label=None, badge: str = "secondary"):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        member.badge = badge
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """The members as a select field's choices (value, title)."""
        return [SelectChoice(m.value, m.label) for m in cls]

    @classmethod
    def coerce(cls, value):
        if value is None or value == "":
            return None
        return value if isinstance(value, cls) else cls(value)
