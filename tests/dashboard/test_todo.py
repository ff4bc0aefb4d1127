"""The home pages' to-do lists (supervision.dashboard.todo): per role, only the user's own rows are counted,
the deadline shown is the nearest, every link lands on a list showing exactly the counted rows."""
from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from flask_login import login_user
from sqlalchemy import delete, select

from supervision.campaigns.models import (
    Enrolment,
    ItemSource,
    ItemState,
    PhaseKind,
    RectificationItem,
    RectificationNotice,
    SelfInspection,
    SelfInspectionStatus,
    SurveyRecord,
)
from supervision.core.figures import StoredFigure
from supervision.core.timeutil import local_today
from supervision.credit.models import EventStatus
from supervision.dashboard import todo
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from ..campaigns import factories as cf
from ..credit.factories import gen_event, rules
from ..factories import gen_certificate, gen_estate, gen_staff
from ..targets.factories import gen_cert_posts

_seq = iter(range(1, 10_000))


def _item(estate, deadline: date, state=ItemState.OPEN, description="事项", enrolment=None, notice=None):
    return _add(RectificationItem(
        estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id, source=ItemSource.SPOT_CHECK,
        category="消防安全", description=description, deadline=deadline, state=state,
        enrolment_id=enrolment.id if enrolment else None, notice_id=notice.id if notice else None))


def _notice(estate, deadline: date):
    n = next(_seq)
    return _add(RectificationNotice(number=f"〔2026〕整改第{n:04d}号", year=2026, sequence=n, estate_id=estate.id,
                                    street_id=estate.street_id, company_id=estate.company_id,
                                    issued_on=local_today() - timedelta(days=20), deadline=deadline))


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def _enrolment(campaign, estate, officer) -> Enrolment:
    return cf.enrol(campaign, estate, actor=officer)[0]


def _surveyed(enrolment):
    _add(SurveyRecord(enrolment_id=enrolment.id, surveyed_on=local_today() - timedelta(days=5)))


def _self_inspection(enrolment, status):
    _add(SelfInspection(enrolment_id=enrolment.id, template_id=enrolment.campaign.checklist_template_id,
                        status=status))


@pytest.fixture
def data(world):
    """Each street/company gets its own to-dos; the other one's must never show."""
    w = world
    today = local_today()
    w.today = today
    w.estate3 = gen_estate(community=w.community1, company=w.company1, name="东城三号院")
    w.estate4 = gen_estate(community=w.community2, company=w.company2, name="西城四号院")
    w.estate5 = gen_estate(community=w.community1, company=w.company1, name="东城五号院")
    campaign = cf.gen_campaign(w)
    w.campaign = campaign
    # estate1 / estate2: not surveyed (the street's 摸底 to record).
    w.enrol1, w.enrol2 = _enrolment(campaign, w.estate1, w.officer), _enrolment(campaign, w.estate2, w.officer)
    # estate3: surveyed, its self-inspection sent back (company1 must fill it again).
    w.enrol3 = _enrolment(campaign, w.estate3, w.officer)
    _surveyed(w.enrol3)
    _self_inspection(w.enrol3, SelfInspectionStatus.RETURNED)
    # estate4 (company2) and estate5 (company1): submitted, awaiting the bureau's review.
    w.enrol4, w.enrol5 = _enrolment(campaign, w.estate4, w.officer), _enrolment(campaign, w.estate5, w.officer)
    for enrolment in (w.enrol4, w.enrol5):
        _surveyed(enrolment)
        _self_inspection(enrolment, SelfInspectionStatus.SUBMITTED)

    # Items: company1 / street1 on estate1, company2 / street2 on estate2.
    w.notice1 = _notice(w.estate1, today + timedelta(days=4))
    w.notice_done = _notice(w.estate1, today + timedelta(days=1))
    w.notice2 = _notice(w.estate2, today + timedelta(days=2))
    w.overdue_a = _item(w.estate1, today - timedelta(days=10), description="甲逾期A", notice=w.notice1)
    w.overdue_b = _item(w.estate1, today - timedelta(days=3), ItemState.IN_PROGRESS, "甲逾期B")
    w.due_week = _item(w.estate1, today, description="甲本周到期")
    _item(w.estate1, today - timedelta(days=20), ItemState.ACCEPTED, "甲已销项", notice=w.notice_done)
    w.submitted1 = _item(w.estate1, today + timedelta(days=30), ItemState.SUBMITTED, "甲待验收")
    w.overdue_f = _item(w.estate2, today - timedelta(days=30), description="乙逾期F", notice=w.notice2)
    _item(w.estate2, today, description="乙本周到期")
    w.submitted2 = _item(w.estate2, today + timedelta(days=30), ItemState.SUBMITTED, "乙待验收")

    # Certificates expiring within 60 days.
    _mcert, ecert, _manager, electrician, _cleaner = gen_cert_posts()
    w.staff_a = gen_staff(w.company1, electrician, w.estate1, name="甲电工一")
    gen_certificate(w.staff_a, ecert, expires_on=today + timedelta(days=20))
    w.staff_b = gen_staff(w.company1, electrician, w.estate1, name="甲电工二")
    gen_certificate(w.staff_b, ecert, expires_on=today + timedelta(days=40))
    gen_certificate(gen_staff(w.company1, electrician, w.estate1, name="甲电工三"), ecert,
                    expires_on=today + timedelta(days=200))
    gen_certificate(gen_staff(w.company2, electrician, w.estate2, name="乙电工"), ecert,
                    expires_on=today + timedelta(days=5))

    # Committees overdue to form.
    w.estate1.committee_due_on = today - timedelta(days=5)
    w.estate3.committee_due_on = today - timedelta(days=15)
    w.estate2.committee_due_on = today - timedelta(days=50)

    # Credit: deductions notified today (objection window open), one already confirmed.
    rules()
    w.event1 = gen_event(w.company1, "BL-02", on=today, status="notified")
    gen_event(w.company1, "BL-02", on=today - timedelta(days=120), status="confirmed")
    w.event2 = gen_event(w.company2, "BL-02", on=today - timedelta(days=1), status="notified")
    w.objected = gen_event(w.company2, "BL-02", on=today, status="notified")
    w.objected.status = EventStatus.OBJECTED
    db.session.commit()
    return w


def _entries(client) -> list[SimpleNamespace]:
    html = client.get("/").get_data(as_text=True)
    section = html.split('data-testid="todo"')[1].split("</section>")[0]
    result = []
    for block in section.split('data-testid="todo-entry"')[1:]:
        href = re.search(r'href="([^"]+)"', section.split(block)[0].rsplit("<a ", 1)[1]).group(1)
        label = re.search(r'<div class="fw-semibold">([^<]+)</div>', block).group(1)
        deadline = re.search(r'data-testid="todo-deadline">[^：]*：([0-9-]+(?: [0-9:]+)?)', block)
        count = re.search(r'data-testid="todo-count">([0-9,]+)<', block).group(1)
        result.append(SimpleNamespace(url=href.replace("&amp;", "&"), label=label, count=int(count.replace(",", "")),
                                      deadline=deadline.group(1) if deadline else None, html=block))
    return result


def _entry(entries, label_start):
    found = [e for e in entries if e.label.startswith(label_start)]
    assert len(found) == 1, [e.label for e in entries]
    return found[0]


def _ids(client, url, pattern) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {int(n) for n in re.findall(pattern, response.get_data(as_text=True))}


ITEM_LINK = r'href="/campaigns/items/(\d+)"'
ENROLMENT_LINK = r'href="/campaigns/enrolments/(\d+)"'


def test_company_sees_its_own_to_dos_with_the_nearest_deadline(login_as, data):
    w = data
    client = login_as(w.company_user)
    entries = _entries(client)

    overdue = _entry(entries, "逾期未销项的整改事项")
    assert overdue.count == 2 and overdue.deadline == (w.today - timedelta(days=10)).isoformat()
    assert overdue.url == "/campaigns/items?overdue=1"
    assert _ids(client, overdue.url, ITEM_LINK) == {w.overdue_a.id, w.overdue_b.id}

    due = _entry(entries, "本周到期的整改事项")
    assert due.count == 1 and due.deadline == w.today.isoformat()
    assert _ids(client, due.url, ITEM_LINK) == {w.due_week.id}

    forms = _entry(entries, "待填报或被退回的自查表")
    assert forms.count == 1 and "其中退回 1 份" in forms.html
    assert forms.deadline == w.campaign.phase_of_kind(PhaseKind.SELF_INSPECTION).ends_on.isoformat()
    assert _ids(client, forms.url, ENROLMENT_LINK) == {w.enrol3.id}

    notices = _entry(entries, "待答复的整改通知书")
    assert notices.count == 1 and notices.deadline == w.notice1.deadline.isoformat()
    assert _ids(client, notices.url, r'href="/campaigns/notices/(\d+)"') == {w.notice1.id}

    objections = _entry(entries, "异议期内的扣分记录")
    assert objections.count == 1 and objections.deadline == w.event1.objection_deadline.isoformat()
    assert "最后异议日" in objections.html
    assert _ids(client, objections.url, r'href="/credit/events/(\d+)"') == {w.event1.id}
    assert client.get(f"/credit/companies/{w.company2.id}?objectable=1").status_code == 404

    certificates = _entry(entries, "证书60天内到期的人员")
    assert certificates.count == 2 and certificates.deadline == (w.today + timedelta(days=20)).isoformat()
    assert _ids(client, certificates.url, r'href="/companies/staff/(\d+)"') == {w.staff_a.id, w.staff_b.id}

    # The indicators stay, below the list.
    html = client.get("/").get_data(as_text=True)
    assert html.index('data-testid="todo"') < html.index('data-testid="company-certification"')


def test_street_sees_its_own_street_only(login_as, data):
    w = data
    client = login_as(w.street_user)
    entries = _entries(client)

    overdue = _entry(entries, "逾期未销项的整改事项")
    assert overdue.count == 2 and overdue.deadline == (w.today - timedelta(days=10)).isoformat()
    assert _ids(client, overdue.url, ITEM_LINK) == {w.overdue_a.id, w.overdue_b.id}

    surveys = _entry(entries, "待录入的摸底")
    assert surveys.count == 1
    assert _ids(client, surveys.url, ENROLMENT_LINK) == {w.enrol1.id}

    committees = _entry(entries, "逾期未成立业委会的小区")
    assert committees.count == 2 and committees.deadline == (w.today - timedelta(days=15)).isoformat()
    assert _ids(client, committees.url, r'href="/estates/(\d+)#committee"') == {w.estate1.id, w.estate3.id}

    report = _entry(entries, "本周周报")
    assert report.deadline is not None and "报送截止" in report.html
    assert client.get(report.url).status_code == 200

    assert not any(e.label.startswith(("待审核", "待验收", "异议期")) for e in entries)

    # The other street sees its own: one overdue item, missed 30 days ago.
    west = _entry(_entries(login_as(w.street2_user)), "逾期未销项的整改事项")
    assert west.count == 1 and west.deadline == (w.today - timedelta(days=30)).isoformat()
    html = client.get("/").get_data(as_text=True)
    assert html.index('data-testid="todo"') < html.index('data-testid="key-figures"')


@pytest.mark.parametrize("who", ["officer", "admin"])
def test_bureau_sees_what_waits_for_it(login_as, data, who):
    w = data
    client = login_as(getattr(w, who))
    entries = _entries(client)

    answers = _entry(entries, "待验收的整改答复")
    assert answers.count == 2
    assert _ids(client, answers.url, ITEM_LINK) == {w.submitted1.id, w.submitted2.id}

    forms = _entry(entries, "待审核的自查表")
    assert forms.count == 2
    assert _ids(client, forms.url, ENROLMENT_LINK) == {w.enrol4.id, w.enrol5.id}

    objections = _entry(entries, "待决定的信用异议")
    assert objections.count == 1
    assert _ids(client, objections.url, r'href="/credit/events/(\d+)"') == {w.objected.id}

    east = _entry(entries, "逾期未销项的整改事项 · 东城街道")
    west = _entry(entries, "逾期未销项的整改事项 · 西城街道")
    assert (east.count, west.count) == (2, 1)
    assert west.deadline == (w.today - timedelta(days=30)).isoformat()
    assert _ids(client, east.url, ITEM_LINK) == {w.overdue_a.id, w.overdue_b.id}
    assert _ids(client, west.url, ITEM_LINK) == {w.overdue_f.id}


def test_leader_sees_what_is_behind_target(login_as, world):
    w = world
    gen_estate(community=w.community2, name="无物业西苑", management_mode=ManagementMode.NONE)
    db.session.commit()
    client = login_as(w.leader)
    entries = _entries(client)
    behind = [e for e in entries if "滞后于目标" in e.label]
    assert behind, [e.label for e in entries]
    coverage = _entry(entries, "物业管理覆盖率")
    assert coverage.count == 1 and "差额 1" in coverage.html
    assert coverage.url == "/targets/coverage/gap"
    assert "无物业西苑" in client.get(coverage.url).get_data(as_text=True)


def test_empty_state(login_as, world):
    for user in (world.company_user, world.street_user, world.officer):
        html = login_as(user).get("/").get_data(as_text=True)
        section = html.split('data-testid="todo"')[1].split("</section>")[0]
        assert "暂无待办事项" in section and "todo-entry" not in section


def test_a_later_feature_adds_its_own_entries(login_as, world, monkeypatch):
    monkeypatch.setattr(todo, "_PROVIDERS", {role: list(entries) for role, entries in todo._PROVIDERS.items()})

    @todo.provider(todo.STREET, order=1)
    def complaints(ctx):
        return [todo.Entry("待办理的投诉", 3, date(2030, 1, 2), "/campaigns/items", todo.DANGER)]

    entries = _entries(login_as(world.street_user))
    assert entries[0].label == "待办理的投诉" and entries[0].count == 3 and entries[0].deadline == "2030-01-02"


@pytest.mark.parametrize("who", ["company_user", "street_user", "officer", "leader"])
def test_todo_queries_do_not_grow_with_the_data(app, data, count_queries, who):
    """The to-do list makes the same number of queries with five times the rows (the page's other parts have
    their own tests)."""
    w = data
    user = getattr(w, who)

    def measure():
        with app.test_request_context("/"):
            login_user(user)
            with count_queries() as queries:
                entries = todo.entries_for(user)
        return len(queries), entries

    few, before = measure()
    today = local_today()
    for n in range(5):
        for community, company in ((w.community1, w.company1), (w.community2, w.company2)):
            estate = gen_estate(community=community, company=company, committee_due_on=today - timedelta(days=n + 1))
            notice = _notice(estate, today + timedelta(days=n))
            _item(estate, today - timedelta(days=n + 1), notice=notice)
            _item(estate, today + timedelta(days=40), ItemState.SUBMITTED)
    db.session.commit()
    many, after = measure()
    assert few == many
    if who != "leader":
        assert sum(e.count for e in after) > sum(e.count for e in before)


def test_the_street_committee_alerts_count_what_their_lists_show(login_as, data):
    """The three committee alerts are counted in one pass over the street's estates (``street_committees``):
    each count and earliest deadline is what the linked list shows."""
    from supervision.estates.models import CommitteeStatus

    from ..estates.factories import gen_committee

    w = data
    today = w.today
    expired = gen_estate(community=w.community1, company=w.company1, name="届满小区")
    gen_committee(expired, CommitteeStatus.EXPIRED, term_end=today - timedelta(days=40))
    past = gen_estate(community=w.community1, company=w.company1, name="过期未换届小区")
    gen_committee(past, CommitteeStatus.FORMED, term_end=today - timedelta(days=3))
    soon = gen_estate(community=w.community1, company=w.company1, name="将届满小区")
    gen_committee(soon, CommitteeStatus.FORMED, term_end=today + timedelta(days=30))
    later = gen_estate(community=w.community1, company=w.company1, name="远未届满小区")
    gen_committee(later, CommitteeStatus.FORMED, term_end=today + timedelta(days=300))
    elsewhere = gen_estate(community=w.community2, company=w.company2, name="别街届满小区")
    gen_committee(elsewhere, CommitteeStatus.EXPIRED, term_end=today - timedelta(days=90))
    db.session.commit()
    client = login_as(w.street_user)
    entries = _entries(client)
    link = r'href="/estates/(\d+)#committee"'

    over = _entry(entries, "业委会届满未换届的小区")
    assert over.count == 2 and over.deadline == (today - timedelta(days=40)).isoformat()
    assert _ids(client, over.url, link) == {expired.id, past.id}
    coming = _entry(entries, "业委会90天内届满的小区")
    assert coming.count == 1 and coming.deadline == (today + timedelta(days=30)).isoformat()
    assert _ids(client, coming.url, link) == {soon.id}
    overdue = _entry(entries, "逾期未成立业委会的小区")
    assert overdue.count == 2 and _ids(client, overdue.url, link) == {w.estate1.id, w.estate3.id}


def test_the_company_and_street_to_dos_take_few_queries(app, data, count_queries, monkeypatch):
    """A company user's counted entries (items, notices, objections, certificates) come from one query and its
    self-inspection forms from one; a street's three committee alerts from one (``street_committees``) when
    they are not stored (a new day, a new database)."""
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SIZE", 0)
    db.session.execute(delete(StoredFigure).where(StoredFigure.name == todo.TODO_COMMITTEES))

    def statements(user):
        with app.test_request_context("/"):
            login_user(user)
            with count_queries() as queries:
                todo.entries_for(user)
        return queries

    assert len(statements(data.company_user)) == 2
    (committees,) = [statement for statement in statements(data.street_user) if "owners_committees" in statement]
    assert committees.count("FROM estates") == 1  # one pass over the estates, not one per alert


@pytest.mark.parametrize("who", ["street_user", "officer"])
def test_stored_to_dos_are_what_the_live_count_gives(app, data, count_queries, monkeypatch, who):
    """The committing transaction stores the street's survey and committee entries, the bureau's
    self-inspection entries and the district's overdue items by street, answers and reports to review
    (``core.figures``); the page reads them (no count of its own) and they are what counting live gives."""
    user = getattr(data, who)
    names = {todo.TODO_ENROLMENTS, todo.TODO_DISTRICT} | ({todo.TODO_COMMITTEES} if who == "street_user" else set())
    assert set(db.session.scalars(select(StoredFigure.name).where(StoredFigure.name.in_(names)))) == names

    def entries():
        with app.test_request_context("/"):
            login_user(user)
            with count_queries() as queries:
                result = todo.entries_for(user)
        return result, queries

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SIZE", 0)
    stored, queries = entries()
    assert not [q for q in queries if "count(enrolments.id)" in q or "FROM estates LEFT OUTER JOIN owners" in q
                or "rectification_items" in q or ("count(" in q and "weekly_reports" in q)]
    db.session.execute(delete(StoredFigure).where(StoredFigure.name.in_(names)))
    live, queries = entries()
    assert [q for q in queries if "count(enrolments.id)" in q]
    assert [q for q in queries if "rectification_items" in q]
    assert stored == live
    assert any(entry.count for entry in live)


@pytest.mark.parametrize("role", ["company", "street"])
def test_the_to_do_statements_built_once_count_each_users_own_rows(app, data, role):
    """The providers' statements are built once per process for each shape of user and day (``PerScope``: the
    street and the company bound parameters): the first user's statement counts the second user's rows — the same
    as one built for that user alone — never the first's."""
    w = data
    if role == "company":
        users = [w.company_user, w.company2_user]
        per_scope, build = todo._COMPANY_COUNTS, todo._company_counts_statement
    else:
        users = [w.street_user, w.street2_user]
        per_scope = todo._OVERDUE_ITEMS
        build = lambda user, today: select(*todo._count_columns(  # noqa: E731
            todo._items_for(user, today, overdue=True), "deadline"))
    counts = []
    with app.test_request_context("/"):
        for user in users:
            login_user(user)
            shared = per_scope(user, w.today)
            assert shared is per_scope(users[0], w.today)  # one statement for both users
            alone = db.session.execute(build(user, w.today)).one()  # the user's values inlined
            assert db.session.execute(shared, todo.PerScope.params(user)).one() == alone
            counts.append(alone)
    assert counts[0] != counts[1]


def test_the_stored_overdue_items_by_street_follow_a_change_at_once(login_as, data):
    """The district's overdue items by street are stored at commit and kept per process: a new overdue item in one
    street shows at once in the bureau's entry of that street and in that street office's own entry, and nowhere
    else."""
    w = data
    officer, east, west = login_as(w.officer), login_as(w.street_user), login_as(w.street2_user)

    def counts():
        bureau, label = _entries(officer), "逾期未销项的整改事项"
        return (_entry(bureau, f"{label} · 东城街道").count, _entry(bureau, f"{label} · 西城街道").count,
                _entry(_entries(east), label).count, _entry(_entries(west), label).count,
                _entry(bureau, "待验收的整改答复").count)

    assert counts() == (2, 1, 2, 1, 2)
    assert counts() == (2, 1, 2, 1, 2)  # kept
    late = _item(w.estate2, w.today - timedelta(days=40), description="乙逾期G")
    _item(w.estate2, w.today + timedelta(days=9), ItemState.SUBMITTED, "乙待验收二")
    db.session.commit()
    assert counts() == (2, 2, 2, 2, 3)
    west_entry = _entry(_entries(west), "逾期未销项的整改事项")
    assert west_entry.deadline == (w.today - timedelta(days=40)).isoformat()
    assert _ids(west, west_entry.url, ITEM_LINK) == {w.overdue_f.id, late.id}
    late.state = ItemState.ACCEPTED
    db.session.commit()
    assert counts() == (2, 1, 2, 1, 3)
