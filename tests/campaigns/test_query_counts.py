"""Campaign pages cost the same number of queries however many campaigns and enrolments there are."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from supervision.campaigns.models import CampaignStatus, ItemSource, ItemState, SpotCheck
from supervision.campaigns.services.survey import record_survey
from supervision.campaigns.views._helpers import RECENT_CAMPAIGNS
from supervision.core.timeutil import local_today, to_local
from supervision.estates.models import ManagementMode
from supervision.extensions import db
from tests.factories import gen_company, gen_estate

from . import factories as f


def _add_campaigns(world, n):
    for i in range(n):
        campaign = f.gen_campaign(world, name=f"加测专项行动{i}")
        f.enrol(campaign, gen_estate(street=world.street1, company=world.company1), actor=world.officer)
    db.session.commit()


def test_campaign_list_is_flat(login_as, world, count_queries):
    client = login_as(world.officer)
    _add_campaigns(world, 2)
    with count_queries() as small:
        assert client.get("/campaigns/").status_code == 200
    _add_campaigns(world, 8)
    with count_queries() as large:
        html = client.get("/campaigns/").get_data(as_text=True)
    assert "加测专项行动7" in html
    assert len(small) == len(large) <= 15



def _add_estates(world, n, campaign):
    estates = [gen_estate(street=world.street1, company=gen_company()) for _ in range(n)]
    f.enrol(campaign, *estates[::2], actor=world.officer)
    db.session.commit()


def test_enrol_page_is_flat(login_as, running, count_queries):
    client = login_as(running.officer)
    url = f"/campaigns/{running.campaign.id}/enrol"
    _add_estates(running, 2, running.campaign)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add_estates(running, 20, running.campaign)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert "已纳入" in html and "将纳入" in html
    assert len(small) == len(large) <= 15


def test_scheme_list_costs_a_fixed_number_of_queries(login_as, running, count_queries):
    client = login_as(running.officer)
    client.get("/campaigns/schemes")
    with count_queries() as queries:
        html = client.get("/campaigns/schemes").get_data(as_text=True)
    assert "个检查项" in html and "四阶段" in html
    assert len(queries) <= 15


def test_items_list_offers_the_open_and_latest_campaigns_not_all_of_them(login_as, world, count_queries):

    oldest = f.gen_campaign(world, name="最早的专项行动", status=CampaignStatus.CLOSED)
    for i in range(RECENT_CAMPAIGNS):
        f.gen_campaign(world, name=f"往期专项行动{i:02d}", status=CampaignStatus.CLOSED)
    running = f.gen_campaign(world, name="进行中的专项行动")
    db.session.commit()
    client = login_as(world.officer)
    with count_queries() as queries:
        html = client.get("/campaigns/items").get_data(as_text=True)
    select = html[html.index('name="campaign"'):]
    select = select[:select.index("</select>")]
    assert select.count("<option") == RECENT_CAMPAIGNS + 1  # 全部 and the bounded list
    assert running.name in select and "往期专项行动19" in select and oldest.name not in select
    # An older campaign's link still shows it as chosen.
    html = client.get(f"/campaigns/items?campaign={oldest.id}").get_data(as_text=True)
    assert f'<option selected value="{oldest.id}">' in html and oldest.name in html
    assert len(queries) <= 15


def test_enrolment_page_loads_its_relations_with_it_and_stays_flat(login_as, running, count_queries):
    w = running
    record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today(), management_mode=ManagementMode.PROFESSIONAL,
                  company_id=w.company1.id, committee_status=None, notes="", problems=[])
    f.gen_item(w.enrolment1, actor=w.officer, description="加测事项0")
    db.session.commit()
    url = f"/campaigns/enrolments/{w.enrolment1.id}"
    for user in (w.officer, w.street_user, w.company_user):
        client = login_as(user)
        with count_queries() as small:
            assert client.get(url).status_code == 200
        for i in range(1, 6):
            f.gen_item(w.enrolment1, actor=w.officer, description=f"加测事项{i}")
        db.session.commit()
        with count_queries() as large:
            html = client.get(url).get_data(as_text=True)
        assert "加测事项5" in html
        assert len(small) == len(large) <= 12, (user.username, len(small), len(large))


def test_campaign_and_enrolment_list_pages_are_flat(login_as, running, count_queries):
    w = running
    client = login_as(w.officer)
    pages = (f"/campaigns/{w.campaign.id}", f"/campaigns/{w.campaign.id}/enrolments",
             f"/campaigns/{w.campaign.id}/enrolments?stage=survey", "/campaigns/items")
    f.gen_item(w.enrolment1, actor=w.officer)
    db.session.commit()
    small = {}
    for url in pages:
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        small[url] = len(queries)
    estates = [gen_estate(street=w.street1, company=gen_company()) for _ in range(12)]
    for enrolment in f.enrol(w.campaign, *estates, actor=w.officer):
        f.gen_item(enrolment, actor=w.officer)
    db.session.commit()
    for url in pages:
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == small[url] <= 15, url
    assert estates[-1].name in client.get(f"/campaigns/{w.campaign.id}/enrolments").get_data(as_text=True)


def test_the_items_search_counts_with_its_page_and_matches_description_estate_and_number(login_as, running,
                                                                                         count_queries):
    w = running
    named = gen_estate(street=w.street1, company=w.company1, name="检索花园")
    by_estate = f.gen_item(named, actor=w.officer, description="井盖缺失")
    by_text = f.gen_item(w.enrolment1, actor=w.officer, description="检索花园门口堆物")
    other = f.gen_item(w.enrolment2, actor=w.officer, description="路灯不亮")
    db.session.commit()
    client = login_as(w.officer)

    def ids(url):
        client.get(url)  # the filter's campaign choices are kept per process: both pages counted warm
        with count_queries() as queries:
            html = client.get(url).get_data(as_text=True)
        return {i for i in (by_estate.id, by_text.id, other.id) if f'href="/campaigns/items/{i}"' in html}, \
            len(queries), html

    found, searched, html = ids("/campaigns/items?q=检索")
    assert found == {by_estate.id, by_text.id} and "共 2 条" in html
    _found, listed, _html = ids("/campaigns/items")
    assert searched == listed - 1  # the total came with the page's keys
    assert ids(f"/campaigns/items?q=%23{other.id}")[0] >= {other.id}
    for n in range(12):
        f.gen_item(named, actor=w.officer, description=f"检索加测{n}")
    db.session.commit()
    found, more, html = ids("/campaigns/items?q=检索")
    assert more == searched and "共 14 条" in html
    # A page past the end has no keys to carry the total: it is counted apart, still 14.
    assert "共 14 条" in client.get("/campaigns/items?q=检索&page=9").get_data(as_text=True)


def test_the_spot_check_list_counts_findings_for_its_page_only_and_stays_flat(login_as, running, count_queries):
    w = running

    def check(estate, days_ago):
        row = SpotCheck(estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id,
                        checked_on=local_today() - timedelta(days=days_ago), checked_by_id=w.officer.id, summary="抽查")
        db.session.add(row)
        db.session.flush()
        return row

    latest = check(w.estate1, 0)
    for _ in range(3):
        f.gen_item(w.enrolment1, actor=w.officer, source=ItemSource.SPOT_CHECK, source_id=latest.id)
    older = check(w.estate2, 5)
    db.session.commit()
    client = login_as(w.officer)

    def page(url):
        with count_queries() as queries:
            html = client.get(url).get_data(as_text=True)
        return html, len(queries)

    html, few = page("/campaigns/spot-checks")
    assert html.index(f'/campaigns/spot-checks/{latest.id}"') < html.index(f'/campaigns/spot-checks/{older.id}"')
    assert f'<a href="/campaigns/spot-checks/{latest.id}">3</a>' in html  # its findings
    searched, search_queries = page(f"/campaigns/spot-checks?q={w.estate2.name}")
    assert f'/campaigns/spot-checks/{older.id}"' in searched
    assert f'/campaigns/spot-checks/{latest.id}"' not in searched
    for n in range(60):
        check(w.estate1 if n % 2 else w.estate2, 10 + n)
    db.session.commit()
    html, many = page("/campaigns/spot-checks")
    assert many == few <= 15 and "共 62 条" in html
    searched, more_search = page(f"/campaigns/spot-checks?q={w.estate2.name}")
    assert more_search == search_queries == few - 1 and "共 31 条" in searched  # the total came with the keys


def test_the_enrol_search_counts_with_its_page_and_stays_flat(login_as, running, count_queries):
    client = login_as(running.officer)
    url = f"/campaigns/{running.campaign.id}/enrol"

    def page(query):
        with count_queries() as queries:
            html = client.get(url + query).get_data(as_text=True)
        return html, len(queries)

    for n in range(3):
        gen_estate(street=running.street1, company=running.company1, name=f"检索花园{n}号")
    db.session.commit()
    html, searched = page("?q=检索花园")
    assert "符合条件 3 个小区，其中已纳入 0 个" in html and "检索花园2号" in html
    _html, listed = page("")
    assert searched == listed - 1  # the search's total came with the page's ids
    estates = [gen_estate(street=running.street2, company=running.company2, name=f"检索花园{n:02d}期")
               for n in range(60)]
    f.enrol(running.campaign, *estates[:5], actor=running.officer)
    db.session.commit()
    html, more = page("?q=检索花园")
    assert more == searched and "符合条件 63 个小区，其中已纳入 5 个" in html
    assert page("")[1] == listed


def test_a_street_offices_item_filters_read_the_street_deadline_index(app, running):
    """The open, overdue and due-this-week lists of one street, and their counts, from the index alone."""
    if db.engine.dialect.name != "sqlite":
        return
    where = "street_id = :s AND state != 'accepted' AND deadline < :d"
    for sql in (f"SELECT id FROM rectification_items WHERE {where} ORDER BY deadline, id LIMIT 50",
                f"SELECT count(*) FROM rectification_items WHERE {where}"):
        plan = " ".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"),
                                                            {"s": running.street1.id, "d": local_today()}))
        assert "COVERING INDEX ix_rectification_items_street_deadline_state" in plan, plan


def test_the_items_rows_link_the_item_and_show_local_times_once_converted(login_as, running):
    item = f.gen_item(running.enrolment1, actor=running.officer, description="行内容核对")
    db.session.commit()
    html = login_as(running.officer).get("/campaigns/items").get_data(as_text=True)
    opened = to_local(item.opened_at)
    assert f'<a href="/campaigns/items/{item.id}">#{item.id}</a>' in html
    assert f'<a href="/campaigns/items/{item.id}">行内容核对</a>' in html
    assert (f'<td class="text-nowrap small" title="{opened:%Y-%m-%d %H:%M}">{opened:%m-%d}</td>'
            '\n      <td class="text-nowrap small" title=""></td>') in html  # opened, not started yet


def test_the_notice_list_is_flat_and_names_each_notices_estate_street_company_and_campaign(login_as, running,
                                                                                            count_queries):
    from supervision.campaigns.services.notices import issue_notice

    w = running

    def add_notices(n):
        made = []
        for _ in range(n):
            item = f.gen_item(w.enrolment1, actor=w.officer)
            made.append(issue_notice(estate=w.estate1, items=[item], actor=w.officer, deadline_workdays=10,
                                     campaign=w.campaign))
        db.session.commit()
        return made

    client = login_as(w.officer)
    add_notices(2)
    client.get("/campaigns/notices")
    with count_queries() as small:
        assert client.get("/campaigns/notices").status_code == 200
    notices = add_notices(12)
    with count_queries() as large:
        html = client.get("/campaigns/notices").get_data(as_text=True)
    assert len(small) == len(large) <= 15
    assert all(f'href="/campaigns/notices/{n.id}"' in html and f'href="/campaigns/notices/{n.id}.pdf"' in html
               for n in notices)
    row = html.split(f'href="/campaigns/notices/{notices[0].id}"', 1)[1].split("</tr>", 1)[0]
    assert all(name in row for name in (w.estate1.name, w.estate1.street.name, w.company1.name, w.campaign.name))
    found = client.get(f"/campaigns/notices?q={w.estate1.name}").get_data(as_text=True)
    assert f'href="/campaigns/notices/{notices[0].id}"' in found
    assert login_as(w.company2_user).get("/campaigns/notices").get_data(as_text=True).count(
        'href="/campaigns/notices/') == 0


def _add_items_elsewhere(world, n):
    """Items in the other street, each with its own audit rows (created, started)."""
    for _ in range(n):
        estate = gen_estate(street=world.street2, company=world.company2)
        item = f.gen_item(estate, actor=world.officer)
        f.move(item, [ItemState.IN_PROGRESS], answerer=world.officer, officer=world.officer)
    db.session.commit()


def test_item_page_is_flat_and_reads_its_history_off_the_object_index(login_as, world, count_queries):
    """One item's page costs the same however many other items (and their audit rows) the district holds;
    its 变更记录 is the object index's first rows, not a walk through every item's changes (the type index)."""
    from supervision.audit.services import history_statement

    item = f.gen_item(world.estate1, actor=world.officer, description="本事项的问题")
    db.session.commit()
    client = login_as(world.officer)
    url = f"/campaigns/items/{item.id}"
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _add_items_elsewhere(world, 6)
    with count_queries() as large:
        html = client.get(url).get_data(as_text=True)
    assert "本事项的问题" in html and "变更记录" in html
    assert len(small) == len(large) <= 15
    if db.engine.dialect.name == "sqlite":
        compiled = history_statement("RectificationItem", item.id, 30).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_audit_log_object" in plan and "TEMP B-TREE" not in plan, plan


def test_items_list_costs_the_same_whether_its_page_shows_open_items_or_not(login_as, world, count_queries):
    """The provisional-deadline note reads the holiday register's generation on every page, not only on pages
    with an open item (at 100× the first page by deadline is all accepted items: the count went down)."""
    item = f.gen_item(world.estate1, actor=world.officer)
    db.session.commit()
    client = login_as(world.officer)
    client.get("/campaigns/items")
    with count_queries() as open_page:
        assert client.get("/campaigns/items").status_code == 200
    f.move(item, [ItemState.IN_PROGRESS, ItemState.SUBMITTED, ItemState.ACCEPTED], answerer=world.officer,
           officer=world.officer)
    db.session.commit()
    client.get("/campaigns/items")
    with count_queries() as accepted_page:
        assert client.get("/campaigns/items").status_code == 200
    assert len(open_page) == len(accepted_page) <= 15
