"""List-page helpers: the one way lists page (``paginate`` for entities, ``paginate_rows`` for rows of
several columns), page numbers, and the query string that reproduces a view."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func, literal, select
from sqlalchemy.orm import lazyload

from ..extensions import db

MAX_PAGE = 100_000  # far beyond any list; keeps the OFFSET within the database's integers


def page_number() -> int:
    """The ``page`` query argument: 1 when missing or not a number, at most ``MAX_PAGE``
    (an absurd page number was a 500: the OFFSET overflowed the database's integers)."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


MAX_PER_PAGE = 200


def _page_args(per_page: int | None, page: int | None = None) -> dict:
    """What every list pages by: the ``page`` argument, ``PER_PAGE`` from the config (or the caller's
    own size), never more than ``MAX_PER_PAGE``; a page beyond the last is empty, not a 404. (The API
    passes ``page`` and ``per_page`` from its own validated arguments.)"""
    return {"page": page or page_number(), "per_page": per_page or current_app.config["PER_PAGE"],
            "max_per_page": MAX_PER_PAGE, "error_out": False}


def paginate(statement, per_page: int | None = None, *, page: int | None = None,
             count_limit: int | bool | None = None, count_statement=None) -> SelectPagination:
    """A page of entities: ``select(Model)…`` (each row's first column).

    ``count_limit`` (``True``: the ``LIST_COUNT_LIMIT`` setting) is for registers that grow without
    bound (complaints, staff, the audit log): the total is counted only up to that many rows (or up
    to the page asked for), so a page costs the same at 200,000 rows as at 2,000. ``page.total_capped``
    then says "more than", and the list asks for a filter instead of showing a last page number.
    ``count_statement`` (with ``count_limit``): the same rows as a narrower select, e.g. the ids alone,
    which a covering index answers without reading the table (counting up to 10,000 whole rows is most
    of a list's time at 200,000)."""
    if count_limit is True:
        count_limit = current_app.config["LIST_COUNT_LIMIT"]
    if count_limit is None:
        return db.paginate(statement, **_page_args(per_page, page))
    return CappedPagination(select=statement, session=db.session, count_limit=count_limit,
                            count_statement=count_statement, **_page_args(per_page, page))


class CappedPagination(SelectPagination):
    """A page whose total is counted up to a limit (``paginate(…, count_limit=N)``)."""

    total_capped = False

    def _query_count(self) -> int:
        limit = max(self._query_args["count_limit"], self.page * self.per_page)
        self.count_limit = limit
        if self._query_args.get("short_page_is_last") and len(self.items) < self.per_page and (
                self.items or self.page == 1):
            # A short page is the last: the rows before it and its own are all there are (no count query; a
            # search no index answers reads the table once, not twice).
            return (self.page - 1) * self.per_page + len(self.items)
        if self._query_args.get("counter") is not None:
            total = self._query_args["counter"]()  # the caller's count, itself stopped after the limit
            self.total_capped = total > limit
            return min(total, limit)
        statement = self._query_args.get("count_statement")
        if statement is None:
            # Count rows of a constant, not of the entity: the capped subquery need not read each row's columns.
            statement = (self._query_args["select"].options(lazyload("*"))
                         .with_only_columns(literal(1), maintain_column_froms=True))
        rows = statement.order_by(None).limit(limit + 1).subquery()
        total = self._query_args["session"].execute(select(func.count()).select_from(rows)).scalar()
        self.total_capped = total > limit
        self.count_limit = limit
        return min(total, limit)


class RowPagination(SelectPagination):
    """A page of rows of several columns (``db.paginate`` keeps each row's first column only).

    Rows are made unique like ``db.paginate``'s entities (a joined eager load of a collection repeats
    them). The total counts the rows' statement, like ``db.paginate``, unless the caller gives
    ``count_statement`` (the rows' statement may join tables for their names that the count does not
    need) or ``counter``, a function that counts (a cheaper query the caller knows gives the same number)."""

    def _query_items(self):
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(statement).unique().all())

    def _query_count(self) -> int:
        if self._query_args.get("counter") is not None:
            return self._query_args["counter"]()
        column = self._query_args.get("count_column")
        if column is not None and self.items:  # the rows carry their total (``count(*) OVER ()``)
            return getattr(self.items[0], column)
        statement = self._query_args.get("count_statement")
        if statement is None:
            return super()._query_count()
        sub = statement.options(lazyload("*")).order_by(None).subquery()
        return self._query_args["session"].execute(select(func.count()).select_from(sub)).scalar()


class CappedRowPagination(CappedPagination):
    """A page of rows whose total is counted up to a limit (``paginate_rows(…, count_limit=N)``)."""

    _query_items = RowPagination._query_items


def paginate_rows(statement, *, count_statement=None, counter=None, per_page: int | None = None,
                  page: int | None = None, count_limit: int | bool | None = None,
                  short_page_is_last: bool = False, count_column: str | None = None) -> RowPagination:
    """A page of rows: ``select(Model, computed…)``; ``count_limit`` as for ``paginate`` (the count then
    selects ``count_statement``, or else the rows' statement, up to the limit, or calls ``counter``, which then
    answers at most one more than the limit); with it, ``short_page_is_last``:
    a page with fewer rows than a full one (and rows, or the first page) gives the total without counting.
    ``count_column`` (without ``count_limit``): the rows' column that holds the total (``count(*) OVER ()``), so a
    page that has rows is counted in the same pass (a search no index answers reads the table once, not twice)."""
    if count_limit is True:
        count_limit = current_app.config["LIST_COUNT_LIMIT"]
    if count_limit is not None:
        return CappedRowPagination(select=statement, count_statement=count_statement, count_limit=count_limit,
                                   counter=counter, short_page_is_last=short_page_is_last, session=db.session,
                                   **_page_args(per_page, page))
    return RowPagination(select=statement, count_statement=count_statement, counter=counter, session=db.session,
                         count_column=count_column, **_page_args(per_page, page))


def url_args(**overrides) -> dict:
    """The current query string with some values replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in overrides.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args


class KeyPagination(SelectPagination):
    """Pages first, then relations: the page's keys from a lean statement (filters and order only), then
    the rows of those keys from ``load`` — so a list's computed columns (stages, counts) and joined names
    are worked out for the page's rows only, not for every row the sort must see. The total counts the
    keys' statement."""

    def _query_items(self):
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        self._counted = None
        if self._query_args.get("count_with_keys"):
            rows = self._query_args["session"].execute(statement.add_columns(func.count().over())).all()
            keys = [row[0] for row in rows]
            self._counted = rows[0][-1] if rows else None  # the window count is the last column
        else:
            keys = list(self._query_args["session"].scalars(statement))
        found = self._query_args["load"](keys) if keys else {}
        return [found[key] for key in keys if key in found]

    def _query_count(self) -> int:
        if self._counted is not None:
            return self._counted
        if self._query_args.get("counter") is not None:
            return self._query_args["counter"]()
        sub = self._query_args["select"].order_by(None).subquery()
        return self._query_args["session"].execute(select(func.count()).select_from(sub)).scalar()


class CappedKeyPagination(CappedPagination):
    """A page of rows by key whose total is counted up to a limit (``paginate_keys(…, count_limit=N)``)."""

    _query_items = KeyPagination._query_items


def paginate_keys(key_statement, load, *, per_page: int | None = None, page: int | None = None,
                  count_limit: int | bool | None = None, count_with_keys: bool = False,
                  counter=None, short_page_is_last: bool = False) -> KeyPagination:
    """A page of rows by key: ``key_statement`` selects the keys in the list's order (``select(Model.id)…``);
    ``load(keys)`` answers ``{key: row}`` for them in one or a few queries. ``count_limit`` as for
    ``paginate``. Uncapped lists only: ``count_with_keys``: the total comes with the page's keys
    (``count(*) OVER ()``), one pass over the matching rows instead of two — for filters no index answers (a
    text search scans the table either way; a page past the end still counts apart); ``counter``: a function
    that gives the number of keys when the caller knows it already (no count query); ``short_page_is_last`` (with
    ``count_limit``): as for ``paginate_rows``, a short page gives the total without counting."""
    if count_limit is True:
        count_limit = current_app.config["LIST_COUNT_LIMIT"]
    if count_limit is not None:
        return CappedKeyPagination(select=key_statement, load=load, count_limit=count_limit, session=db.session,
                                   short_page_is_last=short_page_is_last, **_page_args(per_page, page))
    return KeyPagination(select=key_statement, load=load, session=db.session, count_with_keys=count_with_keys,
                         counter=counter,
                         **_page_args(per_page, page))
