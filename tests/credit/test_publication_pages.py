"""The publication's page lists in pages of ``PER_PAGE`` rows (the red list, the black list and the results,
each with its own page number) and searches by company name; each user sees what the page showed before
(everyone the lists, a district reader every result, a company its own), in a fixed number of queries."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.credit.models import CreditPublicationRow
from supervision.credit.publication import publish
from supervision.extensions import db

from ..factories import gen_company
from .factories import gen_basic
from .test_publication import DAY, graded  # noqa: F401  (the fixture)

JIA, YI, BING = "甲物业服务有限公司", "乙物业服务有限公司", "丙物业服务有限公司"


@pytest.fixture
def published(graded):  # noqa: F811
    publication = publish(name="2026年第一季度", as_of=date(2026, 3, 31), on=date(2026, 4, 2))
    db.session.commit()
    return publication


def _results(html: str) -> str:
    """The results table (after the lists)."""
    marker = '<h2 class="h5 mt-4">'
    return html.split(marker, 1)[1] if marker in html else ""


def test_the_results_page_by_position_and_each_list_by_its_own_page(app, login_as, graded, published,  # noqa: F811
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    client = login_as(graded.leader)
    url = f"/credit/publications/{published.id}"
    first = _results(client.get(url).get_data(as_text=True))
    assert JIA in first and BING not in first and YI not in first  # position 1
    second = _results(client.get(url, query_string={"page": 2}).get_data(as_text=True))
    assert BING in second and JIA not in second  # position 2
    assert "共 3 条" in first
    html = client.get(url).get_data(as_text=True)
    assert "红名单（1 家）" in html and "黑名单（1 家）" in html
    beyond = client.get(url, query_string={"red_page": 2}).get_data(as_text=True)
    red = beyond[beyond.index('class="card credit-red"'):beyond.index('class="card credit-black"')]
    assert "红名单（1 家）" in red and JIA not in red  # a page beyond the list: empty


def test_the_lists_and_results_search_by_company_name(login_as, graded, published):  # noqa: F811
    url = f"/credit/publications/{published.id}"
    html = login_as(graded.leader).get(url, query_string={"q": "丙物业"}).get_data(as_text=True)
    assert BING in _results(html) and JIA not in html and YI not in html
    assert "红名单（0 家）" in html and 'value="丙物业"' in html
    html = login_as(graded.leader).get(url, query_string={"grade": "AAA", "q": "物业"}).get_data(as_text=True)
    assert JIA in _results(html) and BING not in _results(html)


def test_a_search_counts_its_rows_with_the_page_and_a_page_beyond_them(app, login_as, graded,  # noqa: F811
                                                                      published, count_queries, monkeypatch):
    """A search's total is read off its page's rows (``count(*) OVER ()``, no second pass); a page beyond the
    rows counts them on its own."""
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    client = login_as(graded.leader)
    url = f"/credit/publications/{published.id}"
    client.get(url, query_string={"q": "物业"})
    with count_queries() as searched:
        html = client.get(url, query_string={"q": "物业"}).get_data(as_text=True)
    assert "共 3 条" in _results(html) and "红名单（1 家）" in html and "黑名单（1 家）" in html
    assert JIA in _results(html) and BING not in _results(html)
    with count_queries() as plain:
        client.get(url)
    assert len(searched) <= len(plain)  # the stored counts need no query; a search's are counted in its pages
    beyond = client.get(url, query_string={"q": "物业", "page": 5}).get_data(as_text=True)
    assert "共 3 条" in _results(beyond) and JIA not in _results(beyond)


def test_each_user_sees_what_the_page_showed_before(login_as, graded, published):  # noqa: F811
    url = f"/credit/publications/{published.id}"
    street = login_as(graded.street_user).get(url).get_data(as_text=True)
    assert JIA in street and YI in street and BING not in street and "本企业结果" not in street
    company = login_as(graded.company_user)  # company1 (甲)
    own = company.get(url).get_data(as_text=True)
    assert "本企业结果" in own and JIA in _results(own) and YI not in _results(own) and BING not in own
    for query in ({"q": "丙"}, {"page": 2}, {"grade": "B"}):  # neither a search nor a page shows another's row
        assert BING not in company.get(url, query_string=query).get_data(as_text=True)


def test_the_page_takes_the_same_queries_however_many_companies(login_as, graded, published,  # noqa: F811
                                                                 count_queries):
    url = f"/credit/publications/{published.id}"

    def counted(user):
        client = login_as(user)
        client.get(url)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    before = {user: counted(user) for user in (graded.leader, graded.company_user, graded.street_user)}
    for index in range(60):
        company = gen_company(name=f"新增物业{index:02d}有限公司")
        gen_basic(company, on=DAY)
    db.session.commit()
    larger = publish(name="2026年第一季度（扩）", as_of=date(2026, 3, 31), on=date(2026, 4, 2))
    db.session.commit()
    assert db.session.query(CreditPublicationRow).filter_by(publication_id=larger.id).count() > 60
    url = f"/credit/publications/{larger.id}"
    after = {user: counted(user) for user in before}
    assert after == before and max(after.values()) <= 15
    html = login_as(graded.leader).get(url).get_data(as_text=True)
    assert html.count("<tr>") <= 50 + 5  # a page of results, not every company
