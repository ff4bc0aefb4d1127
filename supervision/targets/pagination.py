"""Paginating selects of several columns (``db.paginate`` keeps only the first)."""
from __future__ import annotations

from flask import current_app
from flask_sqlalchemy.pagination import SelectPagination

from ..core.pagination import page_number
from ..extensions import db


class RowPagination(SelectPagination):
    def _query_items(self):
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(statement).all())


def paginate_rows(statement, per_page: int | None = None) -> RowPagination:
    return RowPagination(select=statement, session=db.session, page=page_number(), per_page=per_page or current_app.config["PER_PAGE"],
                         max_per_page=200, error_out=False)
