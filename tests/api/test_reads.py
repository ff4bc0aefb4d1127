"""What the read endpoints return: the web lists' filters, derived progress, scores and targets."""
from __future__ import annotations

from supervision.extensions import db


def _get(client, headers, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.json)
    return response.json


def test_estate_filters_and_pagination(client, district, bearer):
    from tests.factories import gen_estate

    w = district
    headers = bearer(w.officer)
    unmanaged = gen_estate(community=w.community1, name="无物业小区")
    db.session.commit()
    assert [e["id"] for e in _get(client, headers, "/api/v1/estates?company_id=-1")["items"]] == [unmanaged.id]
    assert [e["name"] for e in _get(client, headers, "/api/v1/estates?q=阳光")["items"]] == ["阳光小区"]
    # The web list's company text filter: part of the name or of the credit code.
    assert [e["name"] for e in _get(client, headers, "/api/v1/estates?company=乙物业")["items"]] == ["月亮小区"]
    code = w.company1.credit_code[-6:].lower()
    assert [e["name"] for e in _get(client, headers, f"/api/v1/estates?company={code}")["items"]] == ["阳光小区"]
    assert _get(client, headers, f"/api/v1/estates?street_id={w.street2.id}")["total"] == 1
    page = _get(client, headers, "/api/v1/estates?per_page=2&page=2&sort=name")
    assert page["total"] == 3 and page["page"] == 2 and page["per_page"] == 2 and len(page["items"]) == 1
    detail = _get(client, headers, f"/api/v1/estates/{w.estate1.id}")
    assert detail["street"] == "东城街道" and detail["company"] == "甲物业服务有限公司"
    assert detail["management_mode"] == "professional" and detail["committee_status"] is None


def test_item_and_enrolment_filters(client, district, bearer):
    from supervision.campaigns.models import ResponsibleParty
    from tests.campaigns.factories import gen_item

    w = district
    headers = bearer(w.officer)
    street_item = gen_item(w.enrolment, actor=w.officer, party=ResponsibleParty.STREET, description="路灯损坏")
    db.session.commit()
    assert _get(client, headers, "/api/v1/items?responsible=street")["items"][0]["id"] == street_item.id
    assert _get(client, headers, "/api/v1/items?q=路灯")["total"] == 1
    assert _get(client, headers, f"/api/v1/items?q=%23{w.item.id}")["items"][0]["id"] == w.item.id
    assert _get(client, headers, "/api/v1/items?state=open&source=complaint")["total"] == 2
    assert _get(client, headers, "/api/v1/items?open=0")["total"] == 0
    assert _get(client, headers, "/api/v1/items?overdue=1")["total"] == 0
    assert _get(client, headers, f"/api/v1/items?enrolment_id={w.enrolment.id}&sort=-id")["items"][0]["id"] == \
        street_item.id
    rows = _get(client, headers, f"/api/v1/campaigns/{w.campaign.id}/enrolments")["items"]
    assert rows[0]["stage"] == "survey" and rows[0]["items_open"] == 2 and rows[0]["estate"] == "阳光小区"
    assert _get(client, headers, f"/api/v1/campaigns/{w.campaign.id}/enrolments?stage=rectification")["total"] == 0
    assert _get(client, headers, f"/api/v1/campaigns/{w.campaign.id}/enrolments?surveyed=0")["total"] == 1
    detail = _get(client, headers, f"/api/v1/campaigns/{w.campaign.id}")
    assert detail["status"] == "active" and detail["phases"][0]["kind"] == "survey"
    assert detail["progress"]["enrolled"] == 1 and detail["progress"]["items_open"] == 2
    assert [s["street"] for s in detail["streets"]] == ["东城街道"]
    listed = _get(client, headers, "/api/v1/campaigns?status=active")["items"]
    assert listed[0]["enrolled"] == 1 and listed[0]["closed"] == 0
    assert _get(client, headers, "/api/v1/campaigns?status=closed")["total"] == 0


def test_company_staff_credit_targets_and_reports(client, district, bearer):
    w = district
    officer = bearer(w.officer)
    company = _get(client, officer, f"/api/v1/companies/{w.company1.id}")
    assert company["certification"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
    assert company["estate_ids"] == [w.estate1.id]
    staff = _get(client, officer, f"/api/v1/staff?company_id={w.company1.id}")["items"]
    assert staff[0]["qualified"] is True and staff[0]["certificates"][0]["certificate_type"] == "低压电工证"
    assert _get(client, officer, "/api/v1/staff?cert=unqualified")["total"] == 0

    ranking = _get(client, officer, "/api/v1/credit/ranking")
    assert ranking["total"] == 2 and {r["company_id"] for r in ranking["items"]} == {w.company1.id, w.company2.id}
    assert ranking["rule_set"]["code"] and all(r["grade"] and r["position"] for r in ranking["items"])
    own = _get(client, bearer(w.company_user), f"/api/v1/credit/companies/{w.company1.id}")
    mine = next(r for r in ranking["items"] if r["company_id"] == w.company1.id)
    assert (own["total"], own["grade"]) == (mine["total"], mine["grade"])
    future = client.get("/api/v1/credit/ranking?as_of=2999-01-01", headers=officer)
    assert future.status_code == 422 and "as_of" in future.json["errors"]

    targets = _get(client, bearer(w.street_user), "/api/v1/targets")
    assert targets["street_id"] == w.street1.id and targets["scope"] == "东城街道"  # a street sees its own
    assert targets["indicators"] and all(0 <= i["target"] <= 1 for i in targets["indicators"])
    district_wide = _get(client, officer, "/api/v1/targets")
    assert district_wide["street_id"] is None and {i["code"] for i in district_wide["indicators"]} == \
        {i["code"] for i in targets["indicators"]}

    reports = _get(client, officer, f"/api/v1/reports?week={w.week.key}&status=draft")
    assert [r["id"] for r in reports["items"]] == [w.report.id] and reports["items"][0]["street"] == "东城街道"
    assert _get(client, officer, "/api/v1/reports?status=late")["total"] == 0


def test_the_estate_list_pages_ids_first_in_the_lists_order_and_scope(client, district, bearer, count_queries):
    """Pages first (the ids, then those estates with their relations): the same order, the street's scope,
    each estate's relations, and the same number of statements for more estates."""
    from tests.factories import gen_estate

    w = district
    for n in range(3):
        gen_estate(community=w.community1, company=w.company1, name=f"测试{n}号小区")
    db.session.commit()
    headers = bearer(w.officer)
    everything = _get(client, headers, "/api/v1/estates?per_page=100&sort=-name")
    names = [e["name"] for e in everything["items"]]
    assert everything["total"] == len(names) == 5 and names[:2] == ["月亮小区", "阳光小区"]  # by pinyin
    second = _get(client, headers, "/api/v1/estates?per_page=2&page=2&sort=-name")
    assert [e["name"] for e in second["items"]] == names[2:4]
    assert all(e["street"] for e in everything["items"])
    street = _get(client, bearer(w.street_user), "/api/v1/estates?per_page=100")
    assert street["items"] and {e["street"] for e in street["items"]} == {w.street1.name}
    with count_queries() as few:
        _get(client, headers, "/api/v1/estates?per_page=2")
    with count_queries() as many:
        _get(client, headers, "/api/v1/estates?per_page=100")
    assert len(few) == len(many)
