"""Every API endpoint × every role: the same scope as the web pages.

Objects named in URLs lie in the street1 / company1 scope; ``street2`` and ``company2`` are the
users of the other street and company, so 404 means "not theirs to see", 403 "the role may not".
"""
from __future__ import annotations

import pytest

ROLES = ("admin", "officer", "leader", "street", "street2", "company", "company2")
USERS = {"admin": "admin", "officer": "officer", "leader": "leader", "street": "street_user",
         "street2": "street2_user", "company": "company_user", "company2": "company2_user"}

ALL = (200, 200, 200, 200, 200, 200, 200)
OWN = (200, 200, 200, 200, 404, 200, 404)  # an object of street1 / company1

# (path template, expected status per role)
READS = [
    ("/api/v1/me", ALL),
    ("/api/v1/estates", ALL),
    ("/api/v1/estates/{estate1}", OWN),
    ("/api/v1/companies", (200, 200, 200, 200, 200, 403, 403)),
    ("/api/v1/companies/{company1}", OWN),
    ("/api/v1/staff", (200, 200, 200, 403, 403, 200, 200)),
    ("/api/v1/campaigns", ALL),
    ("/api/v1/campaigns/{campaign}", OWN),
    ("/api/v1/campaigns/{campaign}/enrolments", OWN),
    ("/api/v1/enrolments/{enrolment}/self-inspection", OWN),
    ("/api/v1/items", ALL),
    ("/api/v1/items/{item}", OWN),
    ("/api/v1/reports", (200, 200, 200, 200, 200, 403, 403)),
    ("/api/v1/reports/{report}", (200, 200, 200, 200, 404, 403, 403)),
    ("/api/v1/credit/ranking", (200, 200, 200, 403, 403, 403, 403)),
    ("/api/v1/credit/companies/{company1}", (200, 200, 200, 403, 403, 200, 404)),
    ("/api/v1/targets", (200, 200, 200, 200, 200, 403, 403)),
    ("/api/v1/targets?street_id={street1}", (200, 200, 200, 200, 404, 403, 403)),
    # the 12345 platform's read-back: bureau tokens only (no such ticket here: 404 for them)
    ("/api/v1/complaints/hotline/{ticket}", (404, 404, 403, 403, 403, 403, 403)),
]


def _ids(w) -> dict:
    return {"estate1": w.estate1.id, "company1": w.company1.id, "campaign": w.campaign.id,
            "enrolment": w.enrolment.id, "item": w.item.id, "report": w.report.id, "street1": w.street1.id,
            "ticket": "NO-SUCH-TICKET"}


def test_every_read_endpoint_for_every_role(client, district, bearer):
    ids = _ids(district)
    wrong = []
    for template, expected in READS:
        path = template.format(**ids)
        for role, want in zip(ROLES, expected):
            response = client.get(path, headers=bearer(getattr(district, USERS[role])))
            if response.status_code != want:
                wrong.append(f"{path} as {role}: {response.status_code}, expected {want}")
            elif want != 200:
                assert response.json["code"] == {403: "forbidden", 404: "not_found"}[want]
                assert response.json["message"]
    assert not wrong, "\n".join(wrong)


def test_every_api_operation_is_covered_by_the_tables(client):
    """A new endpoint must be added to READS or WRITES here."""
    spec = client.get("/api/v1/openapi.json").json
    covered = {(template.split("?")[0], "get") for template, _expected in READS}
    covered |= {(template, method) for template, method, _expected in WRITES}
    documented = set()
    for path, operations in spec["paths"].items():
        for method in operations:
            if method in {"get", "post", "put", "patch", "delete"}:
                documented.add((path, method))
    normalised = {(path.replace("{estate_id}", "{estate1}").replace("{company_id}", "{company1}")
                   .replace("{campaign_id}", "{campaign}").replace("{enrolment_id}", "{enrolment}")
                   .replace("{item_id}", "{item}").replace("{report_id}", "{report}")
                   .replace("{ticket_no}", "{ticket}"), method)
                  for path, method in documented}
    assert normalised == covered


# (path, method, expected per role) for writes on objects of street1 / company1, with a body
# that is valid except for who sends it: 403 for a role that may never write it, 404 outside the scope.
WRITES = [
    ("/api/v1/enrolments/{enrolment}/self-inspection", "put", (403, 403, 403, 403, 404, 200, 404)),
    ("/api/v1/enrolments/{enrolment}/self-inspection/scan", "post", (403, 403, 403, 403, 404, 201, 404)),
    # the bureau may answer for the responsible party (as on the web); a fresh item for each call
    ("/api/v1/items/{item}/answer", "post", (200, 200, 403, 403, 404, 200, 404)),
    # street1's report of the week exists already: it is returned (200), not created again
    ("/api/v1/reports", "post", (403, 403, 403, 200, 404, 403, 403)),
    ("/api/v1/reports/{report}", "put", (403, 403, 403, 200, 404, 403, 403)),
    ("/api/v1/reports/{report}/submit", "post", (403, 403, 403, 422, 404, 403, 403)),
    # a 12345 work order pushed by the bureau's token: registered once (201), then returned as it is (200)
    ("/api/v1/complaints/hotline", "post", (201, 200, 403, 403, 403, 403, 403)),
    # a company's repair log: its own estates only (estate1 is company1's)
    ("/api/v1/complaints/repairs", "post", (403, 403, 403, 403, 403, 201, 404)),
]


def _write(client, district, headers, path, method):
    import io

    from tests.campaigns.factories import PDF_BYTES, jpeg_bytes

    w = district
    if path.endswith("/scan"):
        return client.post(path, headers=headers, data={"file": (io.BytesIO(PDF_BYTES), "盖章.pdf")},
                           content_type="multipart/form-data", csrf=False)
    if path.endswith("/answer"):
        from supervision.extensions import db
        from tests.campaigns.factories import gen_item

        item = gen_item(w.enrolment, actor=w.officer)
        db.session.commit()
        path = f"/api/v1/items/{item.id}/answer"
        return client.post(path, headers=headers, content_type="multipart/form-data", csrf=False, data={
            "version": str(item.version), "response": "已清理",
            "evidence": (io.BytesIO(jpeg_bytes()), "整改后.jpg")})
    if path == "/api/v1/complaints/hotline":
        return client.post(path, headers=headers, csrf=False, json={
            "ticket_no": "API-MATRIX-1", "received_at": "2026-11-03T09:12:00+08:00", "description": "楼道堆满垃圾",
            "address": "阳光小区"})
    if path == "/api/v1/complaints/repairs":
        return client.post(path, headers=headers, csrf=False, json={
            "ticket_no": "R-MATRIX-1", "estate_id": w.estate1.id, "received_at": "2026-11-03T09:12:00+08:00",
            "description": "水管漏水"})
    if path == "/api/v1/reports":
        return client.post(path, headers=headers, json={"campaign_id": w.campaign.id, "week": w.week.key}, csrf=False)
    if path.endswith("/submit"):
        return client.post(path, headers=headers, json={"version": w.report.version}, csrf=False)
    if "self-inspection" in path:
        return client.put(path, headers=headers, json={"answers": []}, csrf=False)
    return client.put(path, headers=headers, json={"version": w.report.version, "progress": "排查完毕"}, csrf=False)


@pytest.mark.parametrize("template,method,expected", WRITES, ids=[f"{m} {p}" for p, m, _e in WRITES])
def test_every_write_endpoint_for_every_role(client, district, bearer, template, method, expected):
    from supervision.extensions import db

    path = template.format(**_ids(district))
    wrong = []
    for role, want in zip(ROLES, expected):
        if template == "/api/v1/reports" and role == "street2":
            want = 404  # the campaign has no estate of street2: not visible
        response = _write(client, district, bearer(getattr(district, USERS[role])), path, method)
        if response.status_code != want:
            wrong.append(f"{method} {path} as {role}: {response.status_code} {response.json}, expected {want}")
        db.session.expire_all()
    assert not wrong, "\n".join(wrong)


def test_lists_hold_only_what_the_user_may_see(client, district, bearer):
    w = district

    def ids(user, path):
        response = client.get(path, headers=bearer(user))
        assert response.status_code == 200
        return sorted(row["id"] for row in response.json["items"]), response.json["total"]

    assert ids(w.officer, "/api/v1/estates") == (sorted([w.estate1.id, w.estate2.id]), 2)
    assert ids(w.street_user, "/api/v1/estates") == ([w.estate1.id], 1)
    assert ids(w.company2_user, "/api/v1/estates") == ([w.estate2.id], 1)
    assert ids(w.street2_user, "/api/v1/companies") == ([w.company2.id], 1)
    assert ids(w.company_user, "/api/v1/staff") == ([w.staff.id], 1)
    assert ids(w.company_user, f"/api/v1/staff?company_id={w.company2.id}") == ([w.staff.id], 1)  # ignored
    assert ids(w.officer, "/api/v1/staff") == (sorted([w.staff.id, w.staff2.id]), 2)
    assert ids(w.street2_user, "/api/v1/campaigns") == ([], 0)
    assert ids(w.company_user, "/api/v1/campaigns") == ([w.campaign.id], 1)
    assert ids(w.street_user, "/api/v1/items") == ([w.item.id], 1)
    assert ids(w.company2_user, "/api/v1/items") == ([], 0)
    assert ids(w.street2_user, "/api/v1/reports") == ([], 0)
    assert ids(w.street_user, f"/api/v1/reports?street_id={w.street2.id}") == ([w.report.id], 1)  # own street only
    assert ids(w.leader, "/api/v1/reports") == ([w.report.id], 1)


def test_oversized_and_malformed_ids(client, district, bearer):
    headers = bearer(district.officer)
    for path in ("/api/v1/estates/2147483648", "/api/v1/items/99999999999999999999",
                 "/api/v1/campaigns/2147483648/enrolments", "/api/v1/enrolments/2147483648/self-inspection"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.json["code"] == "not_found", path
    response = client.get("/api/v1/items?estate_id=2147483648", headers=headers)
    assert response.status_code == 422 and "estate_id" in response.json["errors"]
    response = client.get("/api/v1/estates?per_page=1000&page=0", headers=headers)
    assert response.status_code == 422 and set(response.json["errors"]) == {"per_page", "page"}
    assert response.json["code"] == "validation_error" and response.json["message"] == "请求参数有误。"
