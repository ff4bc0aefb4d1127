"""List-page helpers: page numbers and the query string that reproduces a view."""
from __future__ import annotations

from flask import current_app, request

from ..extensions import db


MAX_PAGE = 100_000  # far beyond any list; keeps the OFFSET within the database's integers


def page_number() -> int:
    """The ``page`` query argument: 1 when missing or not a number, at most ``MAX_PAGE``
    (an absurd page number was a 500: the OFFSET overflowed the database's integers)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def paginate(statement, per_page: int | None = None):
    per_page = per_page or current_app.config["PER_PAGE"]
    return db.paginate(statement, page=page_number(), per_page=per_page, max_per_page=200, error_out=False)


def url_args(**overrides) -> dict:
    """The current query string with some values replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in overrides.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args
