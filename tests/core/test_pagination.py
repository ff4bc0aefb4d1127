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


def test_a_capped_count_says_more_than_and_still_counts_up_to_the_page_asked_for(app, world):
    _estates(5)  # 7 with the world's two
    app.config.update(PER_PAGE=2, LIST_COUNT_LIMIT=3)
    try:
        with app.test_request_context("/?page=1"):
            first = paginate(select(Estate).order_by(Estate.id), count_limit=True)
        with app.test_request_context("/?page=4"):
            last = paginate(select(Estate).order_by(Estate.id), count_limit=True)
        with app.test_request_context("/"):
            exact = paginate(select(Estate).order_by(Estate.id), count_limit=10)
            html = app.jinja_env.from_string('{% from "_macros.html" import pagination %}{{ pagination(p) }}')
            capped_html, exact_html = html.render(p=first), html.render(p=exact)
    finally:
        app.config.update(PER_PAGE=50, LIST_COUNT_LIMIT=10_000)
    assert (first.total_capped, first.total, first.pages, len(first.items)) == (True, 3, 2, 2)
    assert "超过 3 条" in capped_html and "共" not in capped_html
    # page 4 asks for rows 7–8: counted that far, so the 7th row is shown and no page beyond
    assert (last.total_capped, last.total, len(last.items), last.has_next) == (False, 7, 1, False)
    assert (exact.total_capped, exact.total) == (False, 7) and "共 7 条" in exact_html
