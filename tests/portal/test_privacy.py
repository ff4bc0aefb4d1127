"""Every public page, generated from the portal blueprint's URL map and followed link by link, shows
nothing unpublished and no personal data, to an anonymous visitor."""
from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from flask import url_for
from sqlalchemy import func, select

from supervision.auth.models import User
from supervision.campaigns.models import Campaign
from supervision.companies.models import Company, Staff
from supervision.credit.models import CreditPublication, CreditRuleSet
from supervision.estates.models import Estate
from supervision.extensions import db

from .factories import SECRETS

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Each id argument of a portal route: every row of its model (and one past the last).
ID_MODELS = {"publication_id": CreditPublication, "rule_set_id": CreditRuleSet, "company_id": Company,
             "campaign_id": Campaign, "estate_id": Estate}
# Each word argument of a portal route: its values (the sitemap's parts, and one past the last).
WORDS = {"part": ["pages", "estates-1", "companies-1", "estates-99999"]}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "action") and value:
                self.links.append(value)


def portal_urls(app) -> list[str]:
    """Every GET route of the portal blueprint, each id argument filled with every id there is."""
    urls = []
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.") and "GET" in r.methods]
    assert len(rules) >= 13
    for rule in rules:
        names = sorted(rule.arguments)
        unknown = [n for n in names if n not in ID_MODELS and n not in WORDS]
        assert not unknown, f"{rule.rule}: add {unknown} to ID_MODELS or WORDS of this test"
        choices = []
        for name in names:
            if name in WORDS:
                choices.append(WORDS[name])
                continue
            model = ID_MODELS[name]
            ids = list(db.session.scalars(select(model.id)))
            choices.append(ids + [(db.session.scalar(select(func.max(model.id))) or 0) + 1])
        with app.test_request_context():
            for combination in itertools.product(*choices):
                urls.append(url_for(rule.endpoint, **dict(zip(names, combination))))
    return urls


def walk(client, start: list[str], limit: int = 400) -> dict[str, tuple[int, str]]:
    """GET ``start`` and every /public/ link found on the pages (search results, pages …)."""
    seen: dict[str, tuple[int, str]] = {}
    queue = list(dict.fromkeys(start))
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        body = response.get_data(as_text=True)
        seen[url] = (response.status_code, body)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(body)
        for link in parser.links:
            link = urldefrag(link.replace("&amp;", "&"))[0]
            if urlsplit(link).path.startswith("/public/") and "/language" not in link and link not in seen:
                queue.append(link)
    return seen


def test_no_public_page_shows_unpublished_figures_or_personal_data(app, sources, client):
    w = sources
    staff = db.session.scalar(select(Staff))
    people = [u.display_name for u in db.session.scalars(select(User))] + [staff.name]
    phones = [p for p in db.session.scalars(select(User.phone)) if p] + [staff.phone, w.company1.phone]
    secrets = dict(SECRETS, live_score=w.live_total, unused_rules=w.unused_rule_set.name)
    secrets.update({f"person {n}": n for n in people if n}, **{f"phone {p}": p for p in phones})
    published = {"90.00", "65.00", "50.00"}
    assert w.live_total not in published  # the live score moved on after the publication
    start = portal_urls(app) + ["/public/search?q=小区", "/public/search?q=物业", "/public/search?q=%25",
                                "/public/grades?page=2", "/public/disclosures?page=3"]
    pages = walk(client, start)
    assert len(pages) >= 30
    statuses = {url: status for url, (status, _body) in pages.items()}
    assert statuses.pop("/public/language") == 302  # the language switch redirects
    assert not {u: s for u, s in statuses.items() if s not in (200, 404)}
    assert statuses[f"/public/estates/{w.estate1.id}"] == 200
    assert statuses[f"/public/estates/{w.archived.id}"] == 404
    assert statuses[f"/public/campaigns/{w.closed.id}"] == 200
    assert statuses[f"/public/campaigns/{w.active.id}"] == statuses[f"/public/campaigns/{w.draft.id}"] == 404
    assert statuses[f"/public/rules/{w.unused_rule_set.id}"] == 404
    assert statuses[f"/public/rules/{w.publication.rule_set_id}"] == 200
    leaks = [f"{url}: {label} ({value})" for url, (_status, body) in pages.items()
             for label, value in secrets.items() if value and value in body]
    leaks += [f"{url}: a phone number {m}" for url, (_status, body) in pages.items() for m in PHONE.findall(body)]
    assert not leaks, "\n".join(leaks)
    # The walk did reach what is public: the published figures, the correction, the approved 曝光, the section.
    everything = "\n".join(body for _status, body in pages.values())
    for shown in ("90.00", "甲物业服务有限公司", "更正〔2026〕1号", "关于某物业拒不整改的曝光", "响应率",
                  "2025年物业服务提升专项行动", "2027-12-31", "2029-04-30"):
        assert shown in everything, shown
    assert "javascript:" not in everything


def test_a_signed_in_user_gets_the_same_public_page(app, sources, client, login_as):
    """Nothing of a signed-in visitor (navigation, name, notifications) goes into a shared page."""
    url = f"/public/estates/{sources.estate1.id}"
    anonymous = client.get(url)
    officer = login_as(sources.officer).get(url)
    assert officer.status_code == 200 and officer.data == anonymous.data
    assert SECRETS["user name"].encode() not in officer.data
