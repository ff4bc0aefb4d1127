"""The benchmark's page list, generated from the app's URL map (issue 21).

``plan(app)`` decides, without a database, which GET routes are benchmarked and as which roles (from the
authorisation matrix's table, tests/security/access_table.py), and which are left out and why
(``EXCLUDED``). ``build(app, …)`` then fills each route's URL arguments from the data — the same
registries as the generated crawl (tests/test_crawl.py: ``ID_MODELS`` for ids, ``WORD_VALUES`` for
words), so a new route registered there is benchmarked too — picking for each role an id in its scope.
``filter_variants(html, url)`` derives a list page's realistic filters and searches from its own
GET filter form (street, company, state, sort, a name search).

tests/test_bench_pages.py checks that every GET route of the app is either planned or excluded here.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.security.access_table import ACCESS, NEEDS_TOKEN
from tests.test_crawl import ID_MODELS, WORD_VALUES

# The roles a page is measured as: the bureau officer for every page it opens, the street officer and
# the company user for theirs (their scope makes them different pages); the administrator only for the
# pages the officer may not open; anonymous visitors only for public pages. Leaders read what the
# officer reads.
LOGGED_IN = ("officer", "street", "company")
API_ROLES = ("officer", "street", "company")  # with a bearer token each

# Routes that are not benchmarked, with the reason.
EXCLUDED = {
    "static": "static files",
    "bootstrap.static": "Bootstrap's packaged static files",
    "ops.favicon": "a static file",
    "offline.manifest": "a static JSON file (the PWA manifest)",
    "offline.service_worker": "a static JavaScript file",
    "portal.language": "switches the language and redirects back: not a page",
    "reports.cell": "redirects to the report (or its form) of a grid cell: not a page",
    "credit.mine": "redirects the company user to its own credit page (benchmarked as credit.company)",
    "estates.committee_new": "redirects to the committee when the estate has one (every benchmark estate does)",
    "credit.decide_objection": "redirects to the event when there is no open objection",
    "credit.event_edit": "redirects to the event unless it is a draft (the generated events are not)",
    "reports.return_": "a confirmation that redirects unless the report is sent (a POST's GET form)",
    "reports.submit": "a confirmation that redirects unless the report is complete (a POST's GET form)",
    "enforcement_public.document_pdf": "only published 通报/曝光 documents exist here; the demo has none",
    "reports.edit": "the street's report form: opened only by the report's own street for a week it may edit",
    "credit.clue_new": "the street's clue form (403 for all other roles); measured through credit.clues",
}

# Roles for routes the matrix table cannot say (its world lacks the data), and query arguments a page needs.
ROLE_OVERRIDES = {
    "portal.campaign": ("anonymous",),  # closed campaigns only: the generated past campaigns are closed
    "campaigns.notice_new": ("officer",),  # with ?estate=
    "companies.staff_new": ("officer", "company"),  # the bureau names the company (?company_id=)
    "api_me.me": API_ROLES,
    "jobs.detail": ("officer",), "jobs.status": ("officer",), "jobs.download": ("officer",),
}
QUERY_ARGUMENTS = {  # endpoint → {query name: the URL argument whose values fill it}
    "campaigns.notice_new": {"estate": "estate_id"},
    "companies.staff_new": {"company_id": "company_id"},
}

SEARCH_FIELDS = {"q", "search", "name", "keyword", "query"}
MAX_FILTERS = 6  # filter variants per list page
DOWNLOAD_KINDS = {"pdf", "xlsx", "csv", "zip"}


@dataclass
class Planned:
    endpoint: str
    rule: str
    arguments: tuple[str, ...]
    roles: tuple[str, ...]
    api: bool = False


@dataclass
class Page:
    endpoint: str
    role: str
    url: str
    variant: str = ""  # "" for the page as opened; e.g. "street=3" for a filter of its list form
    api: bool = False
    kind: str = "html"  # html, json, pdf, xlsx, csv, other: set when probed
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.role} {self.url}"


def _roles(endpoint: str, access: tuple | None) -> tuple[tuple[str, ...], bool]:
    if endpoint in ROLE_OVERRIDES:
        roles = ROLE_OVERRIDES[endpoint]
        return roles, endpoint.startswith("api")
    if access is None:
        return (), False
    if access == NEEDS_TOKEN:
        return API_ROLES, True
    ok = {role for role, status in zip(("anonymous", "admin", "officer", "leader", "street", "company"), access)
          if status == 200}
    if "anonymous" in ok:
        return ("anonymous",), False
    roles = tuple(role for role in LOGGED_IN if role in ok)
    if not roles and "admin" in ok:
        roles = ("admin",)
    return roles, False


def get_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
                  key=lambda rule: (rule.endpoint, rule.rule))


def plan(app) -> tuple[list[Planned], dict[str, str]]:
    """The routes to benchmark (with roles) and the routes left out (endpoint → reason)."""
    planned, left_out = [], {}
    for rule in get_rules(app):
        if rule.endpoint in EXCLUDED:
            left_out[rule.endpoint] = EXCLUDED[rule.endpoint]
            continue
        roles, api = _roles(rule.endpoint, ACCESS.get(rule.endpoint))
        if not roles:
            left_out[rule.endpoint] = ("NOT PLANNED: no role opens it (declare it in tests/security/access_table.py "
                                       "or list it in bench/pagelist.py EXCLUDED with the reason)")
            continue
        planned.append(Planned(rule.endpoint, rule.rule, tuple(sorted(rule.arguments)), roles, api))
    return planned, left_out


def unfillable(planned: list[Planned]) -> list[str]:
    """Planned routes with an argument neither registry can fill."""
    return [f"{p.endpoint}: {name}" for p in planned for name in p.arguments
            if name not in ID_MODELS and name not in WORD_VALUES]


# --- filling the arguments (needs the data) --------------------------------------------------------

def _first_id(model, user):
    from sqlalchemy import func, select

    from supervision.extensions import db

    clause = getattr(model, "scope_clause", None)
    conditions = [clause(user)] if clause is not None and user is not None else []
    found = db.session.scalar(select(func.min(model.id)).where(*conditions))
    if found is None and conditions:
        found = db.session.scalar(select(func.min(model.id)))
    return found


def _values(name: str, user, cache: dict) -> list:
    if name in ID_MODELS:
        key = (name, getattr(user, "id", None))
        if key not in cache:
            cache[key] = _first_id(ID_MODELS[name], user)
        return [cache[key]] if cache[key] is not None else []
    return list(WORD_VALUES[name](None))


def build(app, planned: list[Planned], users: dict) -> tuple[list[Page], list[str]]:
    """One page per planned route × role × argument combination (ids: the role's first in scope)."""
    from flask import url_for

    pages, missing, cache = [], [], {}
    for item in planned:
        for role in item.roles:
            user = users.get(role)
            names = list(item.arguments)
            query = QUERY_ARGUMENTS.get(item.endpoint, {})
            choices = [_values(name, user, cache) for name in names]
            extra = {q: _values(source, user, cache) for q, source in query.items()}
            if any(not c for c in choices) or any(not v for v in extra.values()):
                missing.append(f"{item.endpoint} as {role}: no data for its arguments")
                continue
            with app.test_request_context():
                for combination in itertools.product(*choices):
                    arguments = dict(zip(names, combination))
                    arguments.update({q: values[0] for q, values in extra.items()})
                    pages.append(Page(item.endpoint, role, url_for(item.endpoint, **arguments), api=item.api))
    return pages, missing


# --- filter variants from a list page's own GET form ------------------------------------------------

class _FormParser(HTMLParser):
    """The page's GET forms (their fields and a select's options) and the first link in a table body."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._in_tbody = False
        self._in_link = False
        self.first_row_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "get":
            self._form = {"action": a.get("action"), "fields": []}
            self.forms.append(self._form)
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "a" and self._in_tbody and not self.first_row_text:
            self._in_link = True
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._select["options"].append(a.get("value", ""))
            return
        if tag == "input":
            self._form["fields"].append({"name": a["name"], "type": (a.get("type") or "text").lower(),
                                         "value": a.get("value", "")})
        elif tag == "select":
            self._select = {"name": a["name"], "type": "select", "options": []}
            self._form["fields"].append(self._select)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "a":
            self._in_link = False

    def handle_data(self, data):
        if self._in_link and data.strip() and not self.first_row_text:
            self.first_row_text = data.strip()


def filter_variants(html: str, url: str) -> list[tuple[str, str]]:
    """(label, url) for each field of the page's own filter form: a select set to its first real
    option (a street, a company, a state, a sort order), a search box given the start of the first
    listed name. A form that goes to another page (e.g. the dashboard's monthly report) is not this
    page's filter."""
    parser = _FormParser()
    parser.feed(html)
    path = urlsplit(url).path
    base = dict(parse_qsl(urlsplit(url).query))
    variants = []
    for form in parser.forms:
        if form["action"] not in (None, "", path, url):
            continue
        hidden = {f["name"]: f["value"] for f in form["fields"] if f["type"] == "hidden" and f["name"] != "csrf_token"}
        for field_ in form["fields"]:
            name = field_["name"]
            if name in base:
                continue
            if field_["type"] == "select":
                options = [o for o in field_["options"] if o not in ("", "None")]
                value = options[0] if options else None
            elif field_["type"] in ("text", "search") and name in SEARCH_FIELDS:
                value = (parser.first_row_text or "花园")[:2]
            else:
                value = None
            if value is None:
                continue
            query = {**base, **hidden, name: value}
            variants.append((f"{name}={value}", f"{path}?{urlencode(query)}"))
            if len(variants) >= MAX_FILTERS:
                return variants
    return variants


def kind_of(mimetype: str) -> str:
    if mimetype == "text/html":
        return "html"
    if mimetype == "application/json":
        return "json"
    if mimetype == "application/pdf":
        return "pdf"
    if "spreadsheet" in mimetype or "excel" in mimetype:
        return "xlsx"
    if mimetype == "text/csv":
        return "csv"
    if mimetype == "application/zip":
        return "zip"
    return "other"
