"""List-page helpers: page numbers and the query string that reproduces a view."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from ..extensions import db


MAX_PAGE = 100_000  # far beyond any list; keeps the OFFSET within the database's integers


def page_number() -> int:
    """The ``page`` query argument: 1 when missing or not a number, at most ``MAX_PAGE``
    (an absurd page number was a 500: the OFFSET overflowed the database's integers)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def paginate(statement, per_page: int | None = None):
    per_page = per_page or current_app.config["PER_PAGE"]
    return db.paginate(statement, page=page_number(), per_page=per_page, max_per_page=200, error_out=False)


class RowPagination(SelectPagination):
    """A page of rows of several columns (``db.paginate`` keeps each row's first column only).

    ``count_statement`` (default: the rows' statement) is what the total counts: the rows' statement
    may join tables for their names that the count does not need. ``counter``, a function, counts
    instead (a cheaper query that the caller knows gives the same number)."""

    def _query_items(self):
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return self._query_args["session"].execute(statement).all()

    def _query_count(self) -> int:
        if self._query_args.get("counter") is not None:
            return self._query_args["counter"]()
        statement = self._query_args.get("count_statement")
        if statement is None:
            return super()._query_count()
        sub = statement.options(lazyload("*")).order_by(None).subquery()
        return self._query_args["session"].execute(select(func.count()).select_from(sub)).scalar()


def paginate_rows(statement, *, count_statement=None, counter=None, per_page: int | None = None) -> RowPagination:
    return RowPagination(select=statement, count_statement=count_statement, counter=counter, session=db.session,
                         page=page_number(), per_page=per_page or current_app.config["PER_PAGE"], max_per_page=200,
                         error_out=False)


def url_args(**overrides) -> dict:
    """The current query string with some values replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in overrides.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args
