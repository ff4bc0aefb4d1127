"""Who may see and do what: role × credit object × read/act → 200 / 403 / 404."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine

from supervision.credit import clues, publication
from supervision.extensions import db

from .factories import gen_event, rules

DAY = date(2026, 9, 28)
ROLES = ["admin", "officer", "leader", "street_user", "street2_user", "company_user", "company2_user"]


@pytest.fixture
def objects(world):
    rules()
    world.event1 = gen_event(world.company1, "BL-02", on=DAY, status="notified", estate=world.estate1)
    world.draft1 = gen_event(world.company1, "BL-01", on=DAY, status="draft")
    world.event2 = gen_event(world.company2, "BL-02", on=DAY, status="notified")
    world.clue1 = clues.submit_clue(estate=world.estate1, occurred_on=DAY, description="东城街道报送的线索内容测试。",
                                       actor=world.street_user, on=DAY)
    world.clue2 = clues.submit_clue(estate=world.estate2, occurred_on=DAY, description="西城街道报送的线索内容测试。",
                                       actor=world.street2_user, on=DAY)
    world.publication = publication.publish(name="2026年第三季度", as_of=DAY, on=DAY)
    db.session.commit()
    return world


# url template → expected status per role, in the order of ROLES.
MATRIX = {
    "/credit/": [200, 200, 200, 403, 403, 403, 403],
    "/credit/events": [200, 200, 200, 403, 403, 403, 403],
    "/credit/events/new?company_id={company1}": [200, 200, 403, 403, 403, 403, 403],
    "/credit/companies/{company1}": [200, 200, 200, 403, 403, 200, 404],
    "/credit/companies/{company1}/report.pdf": [200, 200, 200, 403, 403, 200, 404],
    "/credit/companies/{company1}/assessment": [200, 200, 403, 403, 403, 403, 403],
    "/credit/events/{event1}": [200, 200, 200, 403, 403, 200, 404],
    "/credit/events/{draft1}": [200, 200, 200, 403, 403, 404, 404],
    "/credit/events/{event2}": [200, 200, 200, 403, 403, 404, 200],
    "/credit/events/{event1}/notice.pdf": [200, 200, 200, 403, 403, 200, 404],
    "/credit/events/{event1}/object": [403, 403, 403, 403, 403, 200, 404],
    "/credit/events/{event1}/revoke": [200, 200, 403, 403, 403, 403, 403],
    "/credit/clues": [200, 200, 200, 200, 200, 403, 403],
    "/credit/clues/new": [403, 403, 403, 200, 200, 403, 403],
    "/credit/clues/{clue1}": [200, 200, 200, 200, 404, 403, 403],
    "/credit/clues/{clue1}/reject": [200, 200, 403, 403, 403, 403, 403],
    "/credit/rules": [200, 200, 200, 200, 200, 200, 200],
    "/credit/publications": [200, 200, 200, 200, 200, 200, 200],
    "/credit/publications/{publication}": [200, 200, 200, 200, 200, 200, 200],
    "/credit/publications/{publication}/lists.pdf": [200, 200, 200, 200, 200, 200, 200],
    "/credit/publications/new": [200, 200, 403, 403, 403, 403, 403],
    "/credit/mine": [403, 403, 403, 403, 403, 302, 302],
}


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_matrix(login_as, objects, monkeypatch, role_index, role):
    # The PDFs' text is tested elsewhere; here only who may fetch them.
    monkeypatch.setattr("supervision.documents.pdf.render_pdf", lambda template, **context: b"%PDF-1.4 stub")
    got, expected = {}, {}
    with time_machine.travel(date(2026, 10, 9), tick=False):
        client = login_as(getattr(objects, role))
        for template, statuses in MATRIX.items():
            url = template.format(company1=objects.company1.id, event1=objects.event1.id, draft1=objects.draft1.id,
                                  event2=objects.event2.id, clue1=objects.clue1.id,
                                  publication=objects.publication.id)
            got[template] = client.get(url).status_code
            expected[template] = statuses[role_index]
    assert got == expected


def test_a_street_sees_only_its_own_clues(login_as, objects):
    html = login_as(objects.street_user).get("/credit/clues").get_data(as_text=True)
    assert "东城街道报送的线索" in html and "西城街道报送的线索" not in html
    html = login_as(objects.officer).get("/credit/clues").get_data(as_text=True)
    assert "东城街道报送的线索" in html and "西城街道报送的线索" in html


def test_a_company_sees_only_its_own_record(login_as, objects):
    client = login_as(objects.company_user)
    assert client.get("/credit/mine").headers["Location"].endswith(f"/credit/companies/{objects.company1.id}")
    html = client.get(f"/credit/companies/{objects.company1.id}").get_data(as_text=True)
    assert objects.event1.notice_number in html
    assert objects.event2.notice_number not in html  # another company's notice
    assert "BL-01" not in html  # the bureau's draft


def test_a_company_may_not_object_for_another(login_as, objects):
    with time_machine.travel(date(2026, 10, 9), tick=False):
        response = login_as(objects.company2_user).post(f"/credit/events/{objects.event1.id}/object",
                                                        data={"reasons": "这不是我们公司的记录，但仍想提出异议。"})
    assert response.status_code == 404
    db.session.refresh(objects.event1)
    assert objects.event1.objection is None


def test_evidence_downloads_follow_the_event(login_as, objects):
    from supervision.attachments.services import store_bytes

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    on_event = store_bytes(pdf, "证据.pdf", owner=objects.event1, user=objects.officer)
    on_draft = store_bytes(pdf, "草稿证据.pdf", owner=objects.draft1, user=objects.officer)
    on_clue = store_bytes(pdf, "线索证据.pdf", owner=objects.clue1, user=objects.street_user)
    db.session.commit()
    company = login_as(objects.company_user)
    assert company.get(f"/files/{on_event.id}").status_code == 200
    assert company.get(f"/files/{on_draft.id}").status_code == 404
    assert company.get(f"/files/{on_clue.id}").status_code == 404
    assert login_as(objects.company2_user).get(f"/files/{on_event.id}").status_code == 404
    assert login_as(objects.street_user).get(f"/files/{on_clue.id}").status_code == 200
    assert login_as(objects.street2_user).get(f"/files/{on_clue.id}").status_code == 404


def test_navigation_shows_each_role_its_credit_pages(login_as, objects):
    expectations = {
        "officer": ({"/credit/", "/credit/events", "/credit/clues"}, {"/credit/mine"}),
        "leader": ({"/credit/"}, {"/credit/events", "/credit/mine"}),
        "street_user": ({"/credit/clues"}, {"/credit/", "/credit/events"}),
        "company_user": ({"/credit/mine"}, {"/credit/", "/credit/clues"}),
    }
    for role, (shown, hidden) in expectations.items():
        html = login_as(getattr(objects, role)).get("/").get_data(as_text=True)
        nav = html.split('class="app-sidebar"')[1].split("</nav>")[0]
        for link in shown:
            assert f'href="{link}"' in nav, (role, link)
        for link in hidden:
            assert f'href="{link}"' not in nav, (role, link)
