"""URL converters."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Primary keys are 32-bit INTEGER columns on every backend.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` bounded to the id range: a larger number is no route (404),
    rather than an overflow in the database driver (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
