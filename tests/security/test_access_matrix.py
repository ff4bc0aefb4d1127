"""Authorisation matrix generated from the URL map: every route × every role.

Each GET is checked against ``access_table.ACCESS``; every route that accepts
POST must refuse a request without a CSRF token.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from supervision import create_app
from supervision.api.services import create_token
from supervision.attachments.services import store_bytes
from supervision.auth import sessions, throttle
from supervision.extensions import db
from supervision.jobs.models import Job
from supervision.jobs.services import result_dir
from supervision.notifications.services import notify

from .access_table import ACCESS, EXEMPT, LOGIN, ROLES

_rules_app = create_app({"SECRET_KEY": "rules-only", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
RULES = sorted(_rules_app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))
GET_RULES = [r for r in RULES if "GET" in r.methods and r.endpoint not in EXEMPT]
POST_RULES = [r for r in RULES if "POST" in r.methods and r.endpoint not in EXEMPT]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 10)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def matrix(world):
    """The world plus one object of every kind a URL can name, all inside the
    street1 / company1 scope (the "own" objects of the street and company users)."""
    from supervision.campaigns.models import Acceptance, AcceptanceVerdict, SpotCheck
    from supervision.campaigns.services import notices
    from supervision.campaigns.services import self_inspection as self_inspections
    from supervision.core.timeutil import local_today
    from supervision.credit import clues as credit_clues
    from supervision.credit import publication as credit_publication
    from supervision.reports.weeks import Week
    from tests.campaigns.factories import enrol, gen_campaign, gen_item
    from tests.companies.factories import gen_certified, gen_reference
    from tests.credit.factories import gen_event, rules
    from tests.estates.factories import gen_committee
    from tests.reports.factories import gen_report

    today = local_today()
    reference = gen_reference()
    world.staff = gen_certified(world.company1, reference.electrician, reference.electrician_cert, world.estate1)
    world.certificate = world.staff.certificates[0]
    world.committee = gen_committee(world.estate1)
    # A running campaign with both estates enrolled; items, a notice, a self-inspection,
    # an acceptance and a spot check on estate1.
    world.campaign = gen_campaign(world)
    world.enrolment, _other = enrol(world.campaign, world.estate1, world.estate2, actor=world.officer)
    world.item = gen_item(world.enrolment, actor=world.officer)
    world.notice = notices.issue_notice(estate=world.estate1, items=[world.item], actor=world.officer,
                                        deadline_workdays=10, campaign=world.campaign)
    world.self_inspection = self_inspections.start(world.enrolment, actor=world.company_user)
    world.acceptance = Acceptance(enrolment_id=world.enrolment.id, inspected_on=today,
                                  verdict=AcceptanceVerdict.FAILED, inspected_by_id=world.officer.id)
    world.spot_check = SpotCheck(estate_id=world.estate1.id, street_id=world.street1.id,
                                 company_id=world.company1.id, checked_on=today, checked_by_id=world.officer.id)
    db.session.add_all([world.acceptance, world.spot_check])
    # The street's weekly report of this week, with a photo.
    week = Week.current()
    world.report = gen_report(world.campaign, world.street1, week)
    world.attachment = store_bytes(_jpeg(), "现场.jpg", owner=world.report, user=world.street_user)
    # Credit: a notified deduction for company1, a clue from street1, a publication.
    default_rules, _second = rules()
    world.event = gen_event(world.company1, "BL-01", on=today, status="notified", actor=world.officer)
    world.clue = credit_clues.submit_clue(estate=world.estate1, occurred_on=today,
                                          description="向业主收取未公示的停车管理费用", actor=world.street_user)
    world.publication = credit_publication.publish(name="矩阵发布", as_of=today, actor=world.officer)
    # Account objects.
    world.token, _plain = create_token(world.officer, name="matrix", days=5)
    world.user_session, _token = sessions.start(world.officer, ip="127.0.0.1", user_agent="matrix")
    world.throttle = throttle.register_failure("matrix", "192.0.2.1")
    notify([world.admin], kind="matrix", title="矩阵测试", dedup_key="matrix")
    db.session.commit()
    from supervision.notifications.models import Notification

    world.notification = db.session.scalar(select(Notification).where(Notification.kind == "matrix"))
    world.job = Job(kind="exports.run", user_id=world.officer.id, title="矩阵导出", status="finished",
                    result_path="matrix-result.xlsx", result_name="矩阵.xlsx")
    db.session.add(world.job)
    db.session.commit()
    (result_dir() / "matrix-result.xlsx").write_bytes(b"PK matrix")
    _features(world)
    world.params = {
        "user_id": world.officer.id,
        "district_id": world.district.id,
        "street_id": world.street1.id,
        "community_id": world.community1.id,
        "attachment_id": world.attachment.id,
        "token_id": world.token.id,
        "session_id": world.user_session.id,
        "throttle_id": world.throttle.id,
        "notification_id": world.notification.id,
        "job_id": world.job.id,
        "estate_id": world.estate1.id,
        "company_id": world.company1.id,
        "staff_id": world.staff.id,
        "certificate_id": world.certificate.id,
        "action": "dissolve",
        "campaign_id": world.campaign.id,
        "enrolment_id": world.enrolment.id,
        "item_id": world.item.id,
        "verb": "start",
        "notice_id": world.notice.id,
        "si_id": world.self_inspection.id,
        "acceptance_id": world.acceptance.id,
        "spot_check_id": world.spot_check.id,
        "report_id": world.report.id,
        "week": week.key,
        "code": "coverage",
        "event_id": world.event.id,
        "clue_id": world.clue.id,
        "publication_id": world.publication.id,
        "rule_set_id": default_rules.id,
        "template_id": world.campaign.checklist_template_id,
        "scheme_id": world.campaign.scheme_id,
        "checklist_item_id": world.campaign.checklist_template.items[0].id,
        "position_id": reference.electrician.id,
        "year": 2027,
        "day": "2027-10-01",
        "part": "estates-1",  # a part of the public sitemap
        **world.feature_params,
    }
    return world


def _features(world) -> None:
    """The objects of the later features (safety, enforcement, contracts, filings, complaints,
    surveys, offline, notification digests), all of street1 / company1 / estate1."""
    from supervision.campaigns.models import SpotCheckSample
    from supervision.complaints.clock import seed_clocks
    from supervision.complaints.models import ComplaintClock
    from supervision.complaints.services import token_hash
    from supervision.enforcement.models import EnforcementProposal, EnforcementRefusal, EnforcementRung
    from supervision.enforcement.reference import load_reference as load_ladder
    from supervision.notifications.models import DeliveryStatus, DigestDelivery
    from supervision.offline.models import SubmissionKey
    from supervision.surveys.models import Household, SurveyVote
    from tests.complaints.factories import gen_complaint
    from tests.contracts.factories import gen_contract, gen_filing, gen_requirement
    from tests.enforcement.factories import confirmed_interview
    from tests.safety.factories import gen_facility, gen_lift
    from tests.surveys.factories import all_codes, gen_round, vote

    # Enforcement first: the sweep must find only its own overdue item.
    load_ladder()
    db.session.flush()
    _item, world.step = confirmed_interview(world)
    world.case = world.step.case
    next_rung = db.session.scalar(select(EnforcementRung).where(EnforcementRung.level > world.case.rung.level)
                                  .order_by(EnforcementRung.level))
    world.proposal = EnforcementProposal(company_id=world.company1.id, estate_id=world.estate1.id,
                                         street_id=world.street1.id, case_id=world.case.id, rung_id=next_rung.id,
                                         proposed_on=world.step.case.opened_on)
    world.refusal = EnforcementRefusal(company_id=world.company1.id, estate_id=world.estate1.id,
                                       street_id=world.street1.id, occurred_on=world.case.opened_on,
                                       description="拒不整改", recorded_by_id=world.officer.id)
    db.session.add_all([world.proposal, world.refusal])
    world.lift = gen_lift(world.estate1)
    world.facility = gen_facility(world.estate1)
    world.contract = gen_contract(world.estate1)
    world.requirement = gen_requirement(world.campaign)
    world.filing = gen_filing(world.requirement, world.company1)
    world.complaint = gen_complaint(world.estate1, ticket_no="MATRIX-0001", owner_token_hash=token_hash("matrix-token"))
    world.delivery = DigestDelivery(user_id=world.admin.id, channel="email", period_key="daily:2026-12-07",
                                    status=DeliveryStatus.FAILED)
    world.submission = SubmissionKey(user_id=world.officer.id, key="matrix-key-0001", endpoint="matrix",
                                     result_url="/campaigns/")
    world.sample = SpotCheckSample(seed=1, size=1, drawn_on=world.case.opened_on, created_by_id=world.officer.id,
                                   entries=[{"estate_id": world.estate1.id, "weight": 1, "overdue": 0,
                                             "complaints": 0, "grade": None, "grade_points": 0}])
    db.session.add_all([world.delivery, world.submission, world.sample])
    db.session.commit()
    # A household register for estate1, so that voting by room is open too.
    db.session.add(Household(estate_id=world.estate1.id, room="1-101", phone_hash="0" * 64,
                             phone_masked="138****1234"))
    seed_clocks()
    world.clock = db.session.scalar(select(ComplaintClock).order_by(ComplaintClock.id))
    world.survey = gen_round([world.estate1])
    world.round_estate = world.survey.estates[0]
    first, second = all_codes(world.round_estate)[:2]
    vote(world.survey, first)
    world.vote_row = db.session.scalar(select(SurveyVote).order_by(SurveyVote.id.desc()))
    world.feature_params = {
        "case_id": world.case.id,
        "step_id": world.step.id,
        "proposal_id": world.proposal.id,
        "refusal_id": world.refusal.id,
        "lift_id": world.lift.id,
        "facility_id": world.facility.id,
        "contract_id": world.contract.id,
        "requirement_id": world.requirement.id,
        "filing_id": world.filing.id,
        "complaint_id": world.complaint.id,
        "ticket_no": "MATRIX-0001",
        "token": "matrix-token",
        "delivery_id": world.delivery.id,
        "key": "matrix-key-0001",
        "round_id": world.survey.id,
        "round_estate_id": world.round_estate.id,
        "vote_id": world.vote_row.id,
        "vote_code": second,
        "monday": "2027-10-04",
        "clock_id": world.clock.id,
        "sample_id": world.sample.id,
    }


# Arguments whose values differ by route (a name shared by routes with different converters).
ENDPOINT_PARAMS = {"filings.review": {"action": "accept"}, "jobs.recompute": {"word": "credit"}}


def _url(rule, params) -> str:
    params = {**params, **ENDPOINT_PARAMS.get(rule.endpoint, {})}
    missing = [name for name in rule.arguments if name not in params]
    assert not missing, f"{rule.endpoint}: give the matrix world a value for {missing}"
    with _rules_app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: params[name] for name in rule.arguments})


def _clients(app, login_as, world) -> dict:
    users = {"admin": world.admin, "officer": world.officer, "leader": world.leader,
             "street": world.street_user, "company": world.company_user}
    clients = {"anonymous": app.test_client()}
    clients.update({role: login_as(user) for role, user in users.items()})
    return clients


def test_every_route_is_declared():
    undeclared = sorted({r.endpoint for r in RULES} - set(ACCESS) - set(EXEMPT)
                        - {r.endpoint for r in RULES if r.methods <= {"POST", "HEAD", "OPTIONS"}})
    assert not undeclared, f"declare these routes in tests/security/access_table.py: {undeclared}"
    stale = sorted(set(ACCESS) - {r.endpoint for r in RULES})
    assert not stale, f"remove routes that no longer exist from the access table: {stale}"


def _outcome(response, want):
    if want == LOGIN:
        redirected = response.status_code == 302 and "/login" in response.headers["Location"]
        return LOGIN if redirected else response.status_code
    return response.status_code


def test_get_outcome_for_every_route_and_role(app, login_as, matrix, monkeypatch):
    """One world, every GET route, every role (one test keeps the suite fast: the
    world takes a while to build). The failure lists every wrong outcome.

    PDF rendering is stubbed: who may fetch a document is decided before it is
    drawn, and the documents' contents have tests of their own."""
    from supervision.documents import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: b"%PDF-1.4 stub\n%%EOF\n")
    clients = _clients(app, login_as, matrix)
    wrong = []
    for rule in GET_RULES:
        expected = ACCESS.get(rule.endpoint)
        if expected is None:
            wrong.append(f"{rule.endpoint}: not declared in the access table")
            continue
        url = _url(rule, matrix.params)
        for role, want in zip(ROLES, expected):
            got = _outcome(clients[role].get(url), want)
            if got != want:
                wrong.append(f"{rule.endpoint} {url} as {role}: got {got}, declared {want}")
    assert not wrong, "\n".join(wrong)


def test_post_without_csrf_token_is_refused_on_every_route(app, login_as, matrix):
    client = login_as(matrix.admin)
    wrong = []
    for rule in POST_RULES:
        url = _url(rule, matrix.params)
        response = client.post(url, data={}, csrf=False)
        expected = 401 if rule.rule.startswith("/api/") else 400
        if response.status_code != expected:
            wrong.append(f"{rule.endpoint} {url}: {response.status_code}, expected {expected}")
    assert not wrong, "\n".join(wrong)


# Routes whose URL names a district-wide object (a campaign, a rule set, a publication, a target, a
# filing requirement whose rows are scoped): another street's or company's user may open them too.
DISTRICT_WIDE = {
    "campaigns.detail", "campaigns.enrolments", "credit.publication", "credit.publication_pdf", "credit.rule_set",
    "filings.requirement", "filings.requirement_export", "targets.gap",
    "offline.submission_status",  # answers {"received": false} for another user's key (checked below)
}


def test_other_street_and_company_never_open_street1_company1_objects(app, login_as, matrix, monkeypatch):
    """The same URLs (objects of street1 / company1 / estate1) as street2's and company2's users: no
    route that names an object may answer 200 (nor 5xx) unless the object is district-wide."""
    from supervision.documents import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: b"%PDF-1.4 stub\n%%EOF\n")
    others = {"street2": login_as(matrix.street2_user), "company2": login_as(matrix.company2_user)}
    wrong = []
    for rule in GET_RULES:
        if not rule.arguments or ACCESS[rule.endpoint][0] != LOGIN or rule.endpoint in DISTRICT_WIDE:
            continue
        url = _url(rule, matrix.params)
        for name, client in others.items():
            got = client.get(url).status_code
            if got == 200 or got >= 500:
                wrong.append(f"{rule.endpoint} {url} as {name}: got {got}")
    assert not wrong, "\n".join(wrong)
    status = others["street2"].get(_url(next(r for r in GET_RULES if r.endpoint == "offline.submission_status"),
                                        matrix.params))
    assert status.get_json() == {"received": False}
