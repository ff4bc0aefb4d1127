"""The cached score table: the ranking reads it, and every change through the app shows at once."""
from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import or_, select

from supervision.core import generations
from supervision.core.timeutil import local_today, utcnow
from supervision.credit import scoring, services, standings
from supervision.credit.models import SCORES_TOPIC, CreditEvent, EventStatus
from supervision.estates.models import Estate
from supervision.extensions import db

from ..factories import gen_company, gen_estate, gen_position, gen_staff
from .factories import gen_basic, gen_event

DAY = date(2026, 3, 2)



def totals() -> dict[str, Decimal]:
    """Name → total in the ranking of today (the cached table, like the page, export and API)."""
    today = local_today()
    return {r.name: r.total for r in standings.ranking(services.rule_set_for(today), today)}


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "csrf", html)


def scoring_queries(statements) -> list[str]:
    return [s for s in statements if "credit_event_sums" in s]


def test_a_warm_ranking_runs_no_scoring_query(ranked, count_queries):
    assert totals() == {"甲物业服务有限公司": Decimal("90.00"), "乙物业服务有限公司": Decimal("78.00")}
    with count_queries() as statements:
        assert totals()["甲物业服务有限公司"] == Decimal("90.00")
        today = local_today()
        counts = standings.grade_counts(services.rule_set_for(today), today)
        assert standings.company_score(ranked.company2, services.rule_set_for(today), today).total == Decimal("78.00")
    assert scoring_queries(statements) == []
    assert counts["AAA"]["count"] == 1 and counts["A"] == {"count": 1, "min": Decimal("78.00"),
                                                           "max": Decimal("78.00")}


def test_the_ranking_page_runs_as_many_queries_for_30_companies_as_for_3(login_as, ranked, count_queries):
    client = login_as(ranked.officer)
    gen_company()
    db.session.commit()
    client.get("/credit/")  # computes the table of 3 companies
    with count_queries() as few:
        assert client.get("/credit/").status_code == 200
    for _ in range(27):
        gen_basic(gen_company(), on=DAY)
    db.session.commit()
    with count_queries() as cold:
        html = without_token(client.get("/credit/").get_data(as_text=True))
    with count_queries() as warm:  # the same page (but for the CSRF token's timestamp, when a second ticks over)
        assert without_token(client.get("/credit/").get_data(as_text=True)) == html
    assert "共 30 条" in html
    # After the change the table is the one its commit stored (core/figures.py): read, not scored.
    assert scoring_queries(cold) == scoring_queries(warm) == scoring_queries(few) == []
    assert sum("stored_figures" in s for s in cold) == 1 and not any("stored_figures" in s for s in warm)
    assert len(warm) == len(few) == len(cold) - 1
    assert sum("data_generations" in s for s in warm) == 1  # read once a request


def test_a_new_event_shows_at_once(login_as, ranked):
    client = login_as(ranked.officer)
    assert "90.00" in client.get("/credit/").get_data(as_text=True)
    gen_event(ranked.company1, "LH-01", on=DAY)  # +20: the good part is capped at 40
    db.session.commit()
    html = client.get("/credit/").get_data(as_text=True)
    assert "110.00" in html and "90.00" not in html


def test_a_confirmation_and_a_revocation_show_at_once(ranked):
    today = local_today()
    event = gen_event(ranked.company1, "LH-01", on=today, status="draft")  # +20 once confirmed
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("90.00")
    services.confirm_event(event, on=today)
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("110.00")
    services.revoke_event(event, reason="通报有误", on=today)
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("90.00")


def test_an_upheld_objection_shows_at_once(ranked):
    today = local_today()
    event = gen_event(ranked.company1, "BL-03", on=today, status="notified")
    db.session.commit()
    objection = services.submit_objection(event, reasons="整改已完成，请求撤销该记录。", actor=ranked.company_user,
                                          on=today)
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("90.00")
    services.decide_objection(objection, uphold=True, reason="事实清楚，维持记分。", on=today)
    db.session.commit()
    assert event.status is EventStatus.CONFIRMED
    assert totals()["甲物业服务有限公司"] == Decimal("87.00")


def test_changed_points_of_a_rule_item_show_at_once(ranked):
    assert totals()["甲物业服务有限公司"] == Decimal("90.00")
    services.item_by_code(services.rule_set_for(local_today()), "LH-03").points = Decimal("5")
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("85.00")


def test_a_renamed_or_archived_company_shows_at_once(login_as, ranked):
    client = login_as(ranked.leader)
    assert "甲物业服务有限公司" in client.get("/credit/").get_data(as_text=True)
    ranked.company1.name = "甲物业管理集团有限公司"
    db.session.commit()
    html = client.get("/credit/").get_data(as_text=True)
    assert "甲物业管理集团有限公司" in html and "甲物业服务有限公司" not in html
    assert client.get("/credit/?q=管理集团").get_data(as_text=True).count("甲物业管理集团有限公司") >= 1
    ranked.company1.archived_at = utcnow()
    db.session.commit()
    assert "甲物业管理集团有限公司" not in client.get("/credit/").get_data(as_text=True)
    assert set(totals()) == {"乙物业服务有限公司"}


def test_floor_areas_and_managing_companies_show_at_once(ranked):
    company = ranked.company1  # manages 阳光小区, 50 000 m²
    other = gen_estate(street=ranked.street1, community=ranked.community1, company=company,
                       floor_area=Decimal("100000"))
    manager = gen_staff(company, gen_position(is_manager=True), ranked.estate1, name="张经理")
    gen_event(company, "BL-04", on=DAY, staff=manager)  # -6 × 50 000 / 150 000
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("88.00")
    other.floor_area = Decimal("250000")  # -6 × 50 000 / 300 000
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("89.00")
    other.company = ranked.company2  # company1 now manages only the manager's estate: -6 in full
    db.session.commit()
    assert totals()["甲物业服务有限公司"] == Decimal("84.00")


def test_changes_that_scores_ignore_keep_the_generation(ranked):
    before = generations.current(SCORES_TOPIC)
    assert before is not None
    ranked.company1.phone = "0535-1234567"
    ranked.estate1.name = "阳光新苑"
    db.session.commit()
    assert generations.current(SCORES_TOPIC) == before
    ranked.estate1.floor_area = Decimal("60000")
    db.session.commit()
    assert generations.current(SCORES_TOPIC) == before + 1


def test_uncommitted_changes_are_never_cached(ranked):
    committed = generations.current(SCORES_TOPIC)
    gen_event(ranked.company1, "LH-01", on=DAY)  # flushed, not committed
    assert generations.current(SCORES_TOPIC) is None  # this transaction's own data: computed live
    assert totals()["甲物业服务有限公司"] == Decimal("110.00")
    db.session.rollback()
    assert generations.current(SCORES_TOPIC) == committed
    assert totals()["甲物业服务有限公司"] == Decimal("90.00")
    # A change still in the session (not flushed) counts as well: reading the generation flushes it.
    ranked.company1.archived_at = utcnow()
    assert generations.current(SCORES_TOPIC) is None
    db.session.rollback()
    # A bulk statement through the session changes it too.
    db.session.execute(CreditEvent.__table__.update().where(CreditEvent.company_id == ranked.company2.id)
                       .values(status=EventStatus.REVOKED))
    assert generations.current(SCORES_TOPIC) is None
    db.session.commit()
    assert generations.current(SCORES_TOPIC) == committed + 1
    assert totals()["乙物业服务有限公司"] == Decimal("0.00")


def test_a_savepoint_does_not_end_the_transaction(ranked):
    committed = generations.current(SCORES_TOPIC)
    gen_event(ranked.company1, "LH-01", on=DAY)
    with db.session.begin_nested():
        ranked.company1.phone = "0535-7654321"
    assert generations.current(SCORES_TOPIC) is None
    db.session.rollback()
    assert generations.current(SCORES_TOPIC) == committed


# The SQL orders the ranking had before the cache (names by their pinyin key): the Python sorts must give the
# same rows in the same order.
SQL_SORTS = {
    "total": lambda t: (t.c.total.asc(), t.c.name_sort),
    "-total": lambda t: (t.c.total.desc(), t.c.name_sort),
    "name": lambda t: (t.c.name_sort.asc(),),
    "-name": lambda t: (t.c.name_sort.desc(),),
    "grade": lambda t: (t.c.grade_rank.asc(), t.c.total.desc(), t.c.name_sort),
    "-grade": lambda t: (t.c.grade_rank.desc(), t.c.total.asc(), t.c.name_sort),
    "events": lambda t: (t.c.event_count.asc(), t.c.name_sort),
    "-events": lambda t: (t.c.event_count.desc(), t.c.name_sort),
}


def _sql_ranking(rule_set, as_of, *, q=None, grade=None, street_id=None, sort=None):
    table = scoring.score_table(rule_set, as_of)
    statement = select(table)
    if q:
        like = f"%{q}%"
        statement = statement.where(or_(table.c.name.ilike(like), table.c.credit_code.ilike(like)))
    if grade:
        statement = statement.where(table.c.grade == grade)
    if street_id:
        statement = statement.where(table.c.company_id.in_(
            select(Estate.company_id).where(Estate.street_id == street_id, Estate.archived_at.is_(None))))
    return [(r.company_id, r.position, scoring.q(r.total), r.grade)
            for r in db.session.execute(statement.order_by(*SQL_SORTS[sort or "-total"](table)))]


@pytest.mark.parametrize("sort", list(SQL_SORTS))
def test_sorts_and_filters_give_what_the_sql_gave(ranked, sort):
    assert set(standings.RANKING_SORTS) == set(SQL_SORTS)
    estate = gen_estate(street=ranked.street2)
    for n, codes in enumerate((["LH-01"], ["BL-02", "BL-03"], [], ["LH-03"], ["BL-06"], ["LH-02", "BL-01"])):
        company = gen_company(name=f"测试{'甲乙丙丁戊己'[n]}物业有限公司")
        gen_basic(company, on=DAY)
        for code in codes:
            gen_event(company, code, on=DAY)
        if n % 2:
            estate.company = company
            estate = gen_estate(street=ranked.street2)
    archived = gen_company(name="已注销物业有限公司")
    archived.archived_at = utcnow()
    gen_company(name="未评定物业有限公司")  # no record: C（缺失）
    db.session.commit()
    today = local_today()
    rule_set = services.rule_set_for(today)
    for filters in ({}, {"q": "测试"}, {"q": "物业_限"}, {"q": ranked.company1.credit_code[-6:]}, {"grade": "AA"},
                    {"street_id": ranked.street2.id}, {"q": "测试", "street_id": ranked.street2.id}):
        expected = _sql_ranking(rule_set, today, sort=sort, **filters)
        got = [(r.company_id, r.position, r.total, r.grade_code)
               for r in standings.ranking(rule_set, today, sort=sort, **filters)]
        assert got == expected, filters
    assert len(expected) >= 1 and len(_sql_ranking(rule_set, today)) == 9


def test_the_page_the_export_and_the_api_agree(login_as, ranked):
    import io

    from openpyxl import load_workbook

    client = login_as(ranked.officer)
    html = client.get("/credit/?sort=total").get_data(as_text=True)
    assert html.index("乙物业服务有限公司") < html.index("甲物业服务有限公司")
    sheet = load_workbook(io.BytesIO(client.get("/credit/export.xlsx?sort=total").data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["乙物业服务有限公司",
                                                                                  "甲物业服务有限公司"]
    from supervision.api.services import create_token

    _token, plain = create_token(ranked.officer, name="测试", days=5)
    db.session.commit()
    items = client.get("/api/v1/credit/ranking?sort=total",
                       headers={"Authorization": f"Bearer {plain}"}).get_json()["items"]
    assert [(i["name"], i["position"], i["total"]) for i in items] == [("乙物业服务有限公司", 2, 78.0),
                                                                       ("甲物业服务有限公司", 1, 90.0)]


def test_the_lru_keeps_a_few_recent_values():
    cache = generations.LRUCache(2)
    calls = []

    def compute(value):
        return lambda: calls.append(value) or value

    assert cache.get("a", compute(1)) == 1 and cache.get("b", compute(2)) == 2
    assert cache.get("a", compute(9)) == 1  # a hit, now the most recent
    assert cache.get("c", compute(3)) == 3  # evicts b
    assert cache.get("b", compute(4)) == 4 and calls == [1, 2, 3, 4] and len(cache) == 2
    assert generations.LRUCache(0).get("a", compute(5)) == 5 and calls[-1] == 5


def test_the_generation_changes_only_when_committed(app, ranked):
    value = generations.current(SCORES_TOPIC)
    later = DAY + timedelta(days=1)
    gen_event(ranked.company2, "LH-03", on=later)
    db.session.commit()
    assert generations.current(SCORES_TOPIC) == value + 1


def test_the_cached_table_cannot_be_changed_by_a_reader(ranked):
    """Every request of the process shares the table: a view that tried to change it must fail."""
    today = local_today()
    rule_set = services.rule_set_for(today)
    rows = standings.ranking(rule_set, today)
    table = standings.cached_table(rule_set, today)
    with pytest.raises(AttributeError):
        rows.append(rows[0])  # a tuple
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows[0].total = Decimal("0")
    with pytest.raises(TypeError):
        table.by_company[rows[0].company_id] = rows[1]
    with pytest.raises(TypeError):
        table.counts["AAA"]["count"] = 99
    by_name = standings.ranking(rule_set, today, sort="name")
    with pytest.raises(AttributeError):
        by_name.append(rows[0])  # a tuple too, built from the kept order's places
    counts = standings.grade_counts(rule_set, today)
    counts["AAA"]["count"] = 99  # the caller's own copy
    assert standings.grade_counts(rule_set, today)["AAA"]["count"] == 1
    assert standings.ranking(rule_set, today) == rows


def test_one_companys_score_alone_equals_its_row_of_the_table(ranked):
    """The credit page and the landing page score a company from its own events (``position=False``): the same
    parts, total, grade and lists as its row of the district's table, which gives its place."""
    today = local_today()
    rule_set = services.rule_set_for(today)
    manager = gen_staff(ranked.company1, gen_position(is_manager=True), ranked.estate1)
    gen_event(ranked.company1, "BL-04", on=DAY, staff=manager)  # weighed by floor area
    gen_basic(gen_company(), on=DAY)
    db.session.commit()
    companies = list(db.session.scalars(select(scoring.Company)))
    alone = {c.id: standings.company_score(c, rule_set, today, position=False) for c in companies}  # no table yet
    assert generations.cached_if_present(SCORES_TOPIC, "credit_score_tables", (rule_set.id, today)) is None
    table = standings.cached_table(rule_set, today)
    assert len(table.rows) == 3 and len({row.total for row in table.rows}) == 3
    for row in table.rows:
        placed = row.score(rule_set)
        assert alone[row.company_id].position is None and placed.position == row.position
        alone[row.company_id].position = placed.position
        assert alone[row.company_id] == placed


def test_the_company_page_after_a_change_computes_no_district_table(ranked, login_as, monkeypatch,
                                                                      count_queries):
    """The first request after a credit change costs the company's page and its landing page one company's
    score, not the whole district's table (which the ranking and the API's place read as its commit stored it)."""
    client = login_as(ranked.company_user)
    gen_event(ranked.company1, "LH-01", on=DAY)
    db.session.commit()

    def district_table(*_args):
        raise AssertionError("the district's score table was computed")

    monkeypatch.setattr(standings, "_compute_table", district_table)
    with count_queries() as statements:
        html = client.get(f"/credit/companies/{ranked.company1.id}").get_data(as_text=True)
    assert "110.00" in html and "明细合计与排名计算不一致" not in html
    assert len(scoring_queries(statements)) == 1
    assert client.get("/").status_code == 200  # the landing page's score
    # The ranking needs the district's table: its commit stored it (core/figures.py), so none is computed either.
    assert totals()["甲物业服务有限公司"] == Decimal("110.00")


def test_the_one_company_statement_is_built_once_per_rule_set_definition(ranked):
    """The one-company score statement (the company a bound parameter) is built once per rule set and day and
    reused for every company and after every change of the data; a rule set whose definition differs (reloaded
    in place, same id) gets its own."""
    today = local_today()
    rule_set = services.rule_set_for(today)
    statement = standings._company_statement(rule_set, today)
    assert standings._company_statement(rule_set, today) is statement
    gen_event(ranked.company1, "LH-01", on=DAY)
    db.session.commit()
    rule_set = services.rule_set_for(today)
    assert standings._company_statement(rule_set, today) is statement
    rows = {c.id: standings.company_row(rule_set, today, c.id) for c in (ranked.company1, ranked.company2)}
    table = standings.cached_table(rule_set, today)
    for company_id, row in rows.items():
        assert dataclasses.replace(row, position=table.by_company[company_id].position) == table.by_company[company_id]
    rule_set.pm_weighting = "full" if rule_set.pm_weighting == "area" else "area"
    assert standings._company_statement(rule_set, today) is not statement
    db.session.rollback()
