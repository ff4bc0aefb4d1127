"""The one way lists page: entities and rows alike take PER_PAGE, stop at 200 and count the same."""
from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload

from supervision.core.pagination import MAX_PER_PAGE, paginate, paginate_rows
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.regions.models import Street

from ..factories import gen_community, gen_estate


def _estates(n):
    for _ in range(n):
        gen_estate()
    db.session.commit()


def test_entities_and_rows_page_alike(app, world):
    _estates(5)  # 7 with the world's two
    app.config["PER_PAGE"] = 3
    try:
        with app.test_request_context("/?page=3"):
            entities = paginate(select(Estate).order_by(Estate.id))
            rows = paginate_rows(select(Estate, literal(1).label("one")).order_by(Estate.id))
    finally:
        app.config["PER_PAGE"] = 50
    assert (entities.per_page, entities.total, entities.pages) == (3, 7, 3)
    assert (rows.per_page, rows.total, rows.pages) == (3, 7, 3)
    assert [e.id for e in entities.items] == [row.Estate.id for row in rows.items] and len(rows.items) == 1


def test_page_size_is_capped_and_a_page_beyond_the_last_is_empty(app, world):
    with app.test_request_context("/?page=99"):
        page = paginate_rows(select(Estate, literal(1)), per_page=10_000)
        assert page.per_page == MAX_PER_PAGE and page.items == [] and page.total == 2
    with app.test_request_context("/?page=abc"):
        assert paginate(select(Estate)).page == 1


def test_rows_with_a_joined_collection_are_made_unique(app, world):
    gen_community(world.street1)
    db.session.commit()
    statement = select(Estate, literal(1)).options(joinedload(Estate.street).joinedload(Street.communities))
    with app.test_request_context("/"):
        page = paginate_rows(statement)
    assert len(page.items) == page.total == 2


def test_the_count_may_come_from_a_cheaper_statement_or_a_counter(app, world):
    rows = select(Estate.id, Estate.name).order_by(Estate.name)
    with app.test_request_context("/"):
        assert paginate_rows(rows, count_statement=select(Estate.id)).total == 2
        assert paginate_rows(rows, counter=lambda: db.session.scalar(select(func.count(Estate.id)))).total == 2
