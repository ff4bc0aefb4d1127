"""A generated crawl: every GET route of the URL map × every role, on the demo district, never a 5xx.

The route list comes from ``app.url_map``, so a new route is crawled without anyone writing a
test for it. Each route argument is filled from the data (``ARGUMENTS``): for an id, one row
visible to the demo street officer, one visible to the demo company user and one visible to
neither (in scope for some roles, out of scope for others); for a word, every value the
route knows (every indicator code, every committee action). A route whose arguments cannot
be filled must be listed in ``UNFILLABLE`` with the reason, or the test fails.

The demo district (``flask seed demo``) is built once per xdist worker in a database of its
own (the crawl's requests may write, e.g. a session or a first self-inspection), plus an API
token per role so that the JSON API is crawled with the role's bearer token.
"""
from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import pytest
from flask import got_request_exception, url_for
from sqlalchemy import and_, func, not_, select

from supervision.api.models import ApiToken
from supervision.api.services import create_token
from supervision.attachments.models import Attachment
from supervision.auth.models import User
from supervision.auth.roles import Role
from supervision.campaigns.models import (
    Acceptance,
    Campaign,
    CampaignScheme,
    ChecklistItem,
    ChecklistTemplate,
    Enrolment,
    RectificationItem,
    RectificationNotice,
    SelfInspection,
    SpotCheck,
    SpotCheckSample,
)
from supervision.companies.models import Certificate, Company, Position, Staff
from supervision.complaints.models import Complaint, ComplaintClock
from supervision.contracts.models import ServiceContract
from supervision.credit.models import CreditClue, CreditEvent, CreditPublication, CreditRuleSet
from supervision.enforcement.models import EnforcementCase, EnforcementProposal, EnforcementStep
from supervision.estates.models import Estate
from supervision.estates.views import ACTION_FORMS
from supervision.extensions import db
from supervision.filings.models import CompanyFiling, FilingRequirement
from supervision.jobs.models import Job
from supervision.notifications.models import Notification
from supervision.regions.models import Community, District, Street
from supervision.reports.models import WeeklyReport
from supervision.reports.weeks import Week
from supervision.safety.models import FireFacility, Lift
from supervision.seeding import load_json
from supervision.surveys.models import SurveyCode, SurveyRound, SurveyRoundEstate, SurveyVote
from supervision.surveys.services import sheet_codes
from supervision.targets.indicators import all_indicators

from .conftest import _test_app, _worker_database_url

# One worker builds the crawl's district and requests every URL (the other runs the rest of the suite).
pytestmark = pytest.mark.xdist_group("crawl")

ROLES = ("anonymous", "admin", "officer", "leader", "street", "company")
# A filter link or form action that carries an empty value as the word "None".
NONE_IN_LINK = re.compile(r'(?:href|action|value)="[^"]*(?:=|/)None(?:[&"/])')

# Routes the crawl does not request, with the reason.
UNFILLABLE = {
    "static": "serves the files of supervision/static, not data (a path, not an id)",
    "bootstrap.static": "serves Bootstrap-Flask's packaged files, not data (a path, not an id)",
}

# An id argument: the model whose rows fill it.
ID_MODELS = {
    "acceptance_id": Acceptance, "attachment_id": Attachment, "campaign_id": Campaign,
    "certificate_id": Certificate, "clue_id": CreditClue, "community_id": Community, "company_id": Company,
    "district_id": District, "enrolment_id": Enrolment, "estate_id": Estate, "event_id": CreditEvent,
    "item_id": RectificationItem, "notice_id": RectificationNotice, "notification_id": Notification,
    "position_id": Position, "publication_id": CreditPublication, "report_id": WeeklyReport,
    "rule_set_id": CreditRuleSet, "si_id": SelfInspection, "spot_check_id": SpotCheck, "staff_id": Staff,
    "street_id": Street, "template_id": ChecklistTemplate, "token_id": ApiToken, "user_id": User,
    "job_id": Job, "lift_id": Lift, "facility_id": FireFacility,
    "scheme_id": CampaignScheme, "checklist_item_id": ChecklistItem,
    "case_id": EnforcementCase, "proposal_id": EnforcementProposal, "step_id": EnforcementStep,
    "contract_id": ServiceContract, "requirement_id": FilingRequirement, "filing_id": CompanyFiling,
    "round_id": SurveyRound, "round_estate_id": SurveyRoundEstate, "vote_id": SurveyVote,
    "complaint_id": Complaint, "clock_id": ComplaintClock, "sample_id": SpotCheckSample,
}


def _week_keys(crawl) -> list[str]:
    first = db.session.scalar(select(WeeklyReport).order_by(WeeklyReport.id).limit(1))
    keys = [Week.current().key]
    if first is not None:
        keys.append(Week(first.iso_year, first.iso_week).key)
    return list(dict.fromkeys(keys))


def _vote_codes(crawl) -> list[str]:
    """A code of the demo's (finished) survey round, and one that is no code at all."""
    code = db.session.scalar(select(SurveyCode).order_by(SurveyCode.id).limit(1))
    found = [sheet_codes(code.round_estate)[code.serial - 1][1]] if code is not None else []
    return found + ["NOT-A-CODE"]


# A word argument: every value worth requesting.
WORD_VALUES = {
    "code": lambda crawl: [indicator.code for indicator in all_indicators()],
    "action": lambda crawl: list(ACTION_FORMS),
    "week": _week_keys,
    "vote_code": _vote_codes,
    # a year the holiday register holds (seeded), one it lacks, and one out of any range
    "year": lambda crawl: [2026, 2031, 99999],
    # a submission key (offline outbox): a well-formed unknown one and a malformed one
    "key": lambda crawl: ["3f2b8c1e-6a4d-4e0f-9b7a-2c5d8e1f0a34", "x"],
    # an owner's private link: the real ones are stored hashed only; an unknown one answers 404
    "token": lambda crawl: ["unknown-token", "x" * 80],
    # a part of the public sitemap: the fixed pages, the first slices of the registers, one past the last
    "part": lambda crawl: ["pages", "estates-1", "companies-1", "estates-99999"],
    "ticket_no": lambda crawl: [db.session.scalar(select(func.min(Complaint.ticket_no))) or "GD1", "no-such-ticket"],
}


def _ids(model, crawl) -> list[int]:
    """One id visible to the street officer, one to the company user, one to neither (when the
    data has them); a model that everyone sees whole gives its first and last row."""
    def first(*conditions):
        return db.session.scalar(select(func.min(model.id)).where(*conditions))

    clause = getattr(model, "scope_clause", None)
    ids = []
    if clause is not None:
        street, company = clause(crawl.street_user), clause(crawl.company_user)
        ids = [first(street), first(company), first(not_(street), not_(company))]
        ids += [first(and_(street, not_(company))), first(and_(company, not_(street)))]
    ids += [first(), db.session.scalar(select(func.max(model.id)))]
    distinct = list(dict.fromkeys(i for i in ids if i is not None))
    return distinct[:3]


def _values(name: str, crawl) -> list:
    if name in ID_MODELS:
        return crawl.ids.setdefault(name, _ids(ID_MODELS[name], crawl))
    if name in WORD_VALUES:
        return WORD_VALUES[name](crawl)
    return []


def _get_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
                  key=lambda rule: (rule.endpoint, rule.rule))


def _urls(app, crawl) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, url) for every crawlable GET route and argument combination; unfillable routes."""
    urls, unfilled = [], []
    for rule in _get_rules(app):
        if rule.endpoint in UNFILLABLE:
            continue
        names = sorted(rule.arguments)
        choices = [_values(name, crawl) for name in names]
        if any(not values for values in choices):
            empty = [name for name, values in zip(names, choices) if not values]
            unfilled.append(f"{rule.endpoint} ({rule.rule}): no values for {empty}")
            continue
        with app.test_request_context():
            for combination in itertools.product(*choices):
                urls.append((rule.endpoint, url_for(rule.endpoint, **dict(zip(names, combination)))))
    return urls, unfilled


@pytest.fixture(scope="session")  # built once per worker, whichever order the tests run in
def crawl(tmp_path_factory, worker_id):
    """The demo district in a database of the crawl's own, an API token per role that may have one."""
    database_url, drop = _worker_database_url(f"{worker_id}_crawl", tmp_path_factory)
    app = _test_app(database_url, tmp_path_factory.mktemp("crawl-uploads"))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500, as in production
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
        assert result.exit_code == 0, result.output
        users = {user.username: user for user in db.session.scalars(select(User))}
        tokens = {}
        for role in ("admin", "officer", "street", "company"):
            _token, tokens[role] = create_token(users[role], name="crawl", days=5)
        # The demo has no background jobs: a finished one of the street officer's, a failed one of the company's.
        db.session.add_all([Job(kind="exports.run", user_id=users["street"].id, title="导出小区台账",
                                status="finished"),
                            Job(kind="estates.import", user_id=users["company"].id, title="导入小区台账",
                                status="failed", message="未导入")])
        db.session.commit()
        state = SimpleNamespace(app=app, tokens=tokens, ids={}, password=load_json("demo/users.json")["password"],
                                street_user=users["street"],
                                company_user=users["company"])
        assert state.street_user.role is Role.STREET_OFFICER and state.company_user.role is Role.COMPANY_USER
        state.urls, state.unfilled = _urls(app, state)
        db.session.remove()
    yield state
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def test_every_get_route_can_be_crawled(crawl):
    assert not crawl.unfilled, ("fill these routes' arguments in tests/test_crawl.py (ID_MODELS / WORD_VALUES), "
                                "or list them in UNFILLABLE with the reason:\n" + "\n".join(crawl.unfilled))
    stale = sorted(set(UNFILLABLE) - {rule.endpoint for rule in _get_rules(crawl.app)})
    assert not stale, f"remove routes that no longer exist from UNFILLABLE: {stale}"


def test_ids_lie_in_and_out_of_the_scoped_roles_scope(crawl):
    """The crawl reaches both sides of the scope: for every id argument whose model the street
    officer (or the company user) sees only in part, it requests rows on both sides."""
    thin = []
    with crawl.app.app_context():
        for name, ids in sorted(crawl.ids.items()):
            model = ID_MODELS[name]
            assert ids, name
            if not hasattr(model, "scope_clause"):
                continue
            for user in (crawl.street_user, crawl.company_user):
                user = db.session.merge(user)
                clause = model.scope_clause(user)
                everything = db.session.scalar(select(func.count()).select_from(model))
                visible = db.session.scalar(select(func.count()).select_from(model).where(clause))
                seen = set(db.session.scalars(select(model.id).where(model.id.in_(ids), clause)))
                if 0 < visible < everything and not (seen and set(ids) - seen):
                    thin.append(f"{name} as {user.username}: {ids} are all on one side of the scope")
    assert not thin, "\n".join(thin)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_a_server_error(crawl, role, monkeypatch):
    """PDF drawing is stubbed (the template is still rendered): who may fetch a document and
    what goes in it is decided before it is drawn, and drawing ~100 PDFs would take minutes."""
    from supervision.documents import pdf

    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: b"%PDF-1.4 stub\n%%EOF\n")
    client = crawl.app.test_client()
    if role != "anonymous":
        response = client.post("/login", data={"username": role, "password": crawl.password})
        assert response.status_code == 302, f"{role} could not log in"
    bearer = {"Authorization": f"Bearer {crawl.tokens[role]}"} if role in crawl.tokens else {}
    failures, raised = [], []

    def record(sender, exception, **extra):
        raised.append(f"{type(exception).__name__}: {str(exception)[:300]}")

    got_request_exception.connect(record, crawl.app)
    try:
        for endpoint, url in crawl.urls:
            raised.clear()
            response = client.get(url, headers=bearer if url.startswith("/api/") else {})
            if response.status_code >= 500:
                failures.append(f"{url} ({endpoint}) as {role}: {response.status_code} {' '.join(raised)}")
            elif response.status_code == 200 and response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                if bad := NONE_IN_LINK.search(html):
                    failures.append(f"{url} ({endpoint}) as {role}: a link carries =None: {bad.group(0)[:120]}")
            response.close()
    finally:
        got_request_exception.disconnect(record, crawl.app)
    assert not failures, f"{len(failures)} of {len(crawl.urls)} requests failed:\n" + "\n".join(failures)
