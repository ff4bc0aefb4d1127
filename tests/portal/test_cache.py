"""The page cache: conditional GET (304), invalidation when something is published — in every worker at
once — and the rate limit per address."""
from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime

import brotli
import pytest
import time_machine
from sqlalchemy import select

from supervision import create_app, delivery
from supervision.core import generations
from supervision.credit.corrections import issue_correction
from supervision.credit.models import CreditEvent, CreditPublicationRow
from supervision.credit.publication import publish
from supervision.credit.services import revoke_event
from supervision.extensions import db, limiter
from supervision.portal import cache
from supervision.portal.sources import ESTATE_SHEET_SECTIONS

from ..conftest import Client
from ..credit.factories import gen_event
from .factories import TEST_TOPIC


def _another_worker(app, **extra):
    """Another app process on the same database, as a second gunicorn worker (or host) would be."""
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY",
                                               "PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_COST")}
    settings = dict(config, TESTING=True, SQLALCHEMY_ENGINE_OPTIONS={}, RATELIMIT_ENABLED=False,
                    SERVER_NAME="localhost", CHECK_CACHE_INPUTS=True)
    worker = create_app(dict(settings, **extra))
    worker.test_client_class = Client
    return worker


def _rows(publication):
    return db.session.scalars(select(CreditPublicationRow).where(CreditPublicationRow.publication_id == publication.id))


@pytest.fixture
def renders(monkeypatch):
    """The templates rendered, in order (a cache hit renders none)."""
    seen = []
    original = cache.render

    def counting(template, **context):
        seen.append(template)
        return original(template, **context)

    monkeypatch.setattr(cache, "render", counting)
    return seen


def test_a_conditional_get_answers_304_without_rendering(public, client, renders):
    url = f"/public/estates/{public.estate1.id}"
    first = client.get(url)
    assert first.status_code == 200 and renders == ["portal/estate.html"]
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, no-cache" and "Cookie" in first.headers["Vary"]
    renders.clear()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert renders == []  # the last two were served from the cache
    # A 404 is not cached as a page, and answers no ETag.
    missing = client.get("/public/estates/999999")
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_every_worker_computes_the_same_etag(public, client, app):
    url = f"/public/companies/{public.company1.id}"
    worker2 = _another_worker(app)
    try:
        mine, theirs = client.get(url), worker2.test_client().get(url)
        assert mine.headers["ETag"] == theirs.headers["ETag"] and mine.data == theirs.data
        assert mine.headers["Last-Modified"] == theirs.headers["Last-Modified"]
        # A browser revalidating against the other worker gets its 304.
        assert worker2.test_client().get(url, headers={"If-None-Match": mine.headers["ETag"]}).status_code == 304
    finally:
        with worker2.app_context():
            db.engine.dispose()


def test_a_new_publication_is_shown_at_once_by_every_worker(public, client, app, renders):
    """Both workers have the old pages cached; a publication in one invalidates them in both."""
    worker2 = _another_worker(app)
    other = worker2.test_client()
    try:
        urls = ("/public/grades", f"/public/estates/{public.estate1.id}", f"/public/companies/{public.company1.id}")
        before = {url: client.get(url) for url in urls}
        for url in urls:
            assert other.get(url).data == before[url].data
        renders.clear()
        assert all(client.get(url).data == before[url].data for url in urls) and renders == []  # cached
        assert "2026年第二季度" not in before["/public/grades"].get_data(as_text=True)

        gen_event(public.company1, "BL-02", on=date(2026, 5, 6))
        second = publish(name="2026年第二季度信用评价结果", as_of=date(2026, 6, 30), on=date(2026, 7, 2))
        db.session.commit()
        total = f"{next(r.total for r in _rows(second) if r.company_id == public.company1.id):.2f}"
        assert total not in before[f"/public/estates/{public.estate1.id}"].get_data(as_text=True)

        for browser in (client, other):
            grades = browser.get("/public/grades", headers={"If-None-Match": before["/public/grades"].headers["ETag"]})
            assert grades.status_code == 200, "a stale ETag was honoured"
            text = grades.get_data(as_text=True)
            assert "2026年第二季度信用评价结果" in text and total in text
            estate = browser.get(f"/public/estates/{public.estate1.id}").get_data(as_text=True)
            assert "2026年第二季度信用评价结果" in estate and total in estate
            company = browser.get(f"/public/companies/{public.company1.id}").get_data(as_text=True)
            assert "2026年第二季度信用评价结果" in company and "2026年第一季度信用评价结果" in company  # the history
    finally:
        with worker2.app_context():
            db.engine.dispose()


def test_a_correction_supersedes_the_cached_row(public, client):
    """A correction issued after the page was cached replaces the published figures on it."""
    url = f"/public/estates/{public.estate1.id}"
    assert "90.00" in client.get(url).get_data(as_text=True)
    positive = db.session.scalar(select(CreditEvent).where(CreditEvent.company_id == public.company1.id,
                                                           CreditEvent.points > 0, CreditEvent.item.has(code="LH-03")))
    revoke_event(positive, reason="复核后撤销", on=date(2026, 5, 1))
    issue_correction(public.publication, reason="LH-03 已撤销", on=date(2026, 5, 2))
    db.session.commit()
    text = client.get(url).get_data(as_text=True)
    assert "更正〔2026〕2号" in text and "<span class=\"score\">90.00</span>" not in text


def test_a_change_to_the_register_refreshes_the_estate_sheet(public, client):
    url = f"/public/estates/{public.estate1.id}"
    assert "阳光小区" in client.get(url).get_data(as_text=True)
    public.estate1.name = "阳光花园"
    db.session.commit()
    assert "阳光花园" in client.get(url).get_data(as_text=True)


def test_the_language_is_part_of_the_key(public, client):
    url = f"/public/estates/{public.estate1.id}"
    chinese = client.get(url)
    assert client.get(f"/public/language?to=en&next={url}").status_code == 302
    english = client.get(url)
    assert english.headers["ETag"] != chinese.headers["ETag"]
    assert "Property Services Disclosure" in english.get_data(as_text=True)
    assert client.get("/public/language?to=en&next=https://evil.example/").headers["Location"].endswith("/public/")


def test_requests_are_rate_limited_per_address(public, app, monkeypatch):
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)  # the second app turns the shared limiter on
    worker = _another_worker(app, RATELIMIT_ENABLED=True, PORTAL_RATE_LIMIT="3 per minute",
                             RATELIMIT_STORAGE_URI="memory://")
    try:
        one = worker.test_client()
        one.environ_base["REMOTE_ADDR"] = "203.0.113.7"
        statuses = [one.get("/public/grades").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        two = worker.test_client()
        two.environ_base["REMOTE_ADDR"] = "203.0.113.8"
        assert two.get("/public/grades").status_code == 200
    finally:
        with worker.app_context():
            db.engine.dispose()


def test_the_day_is_part_of_the_key(public, client):
    """At midnight a committee's term may end and a dated disclosure begin: yesterday's page is not reused."""
    url = f"/public/estates/{public.estate1.id}"
    with time_machine.travel(datetime(2029, 4, 30, 4, 0, tzinfo=UTC), tick=False):
        today = client.get(url)
        assert "已成立" in today.get_data(as_text=True)
    with time_machine.travel(datetime(2029, 5, 1, 4, 0, tzinfo=UTC), tick=False):
        tomorrow = client.get(url, headers={"If-None-Match": today.headers["ETag"]})
        assert tomorrow.status_code == 200 and "届满" in tomorrow.get_data(as_text=True)


def test_an_estate_section_is_kept_across_a_publication_and_refreshed_with_its_own_topic(sources, client, app):
    """A section is kept under its own topics: a credit publication re-renders the sheet without computing
    it again, and a change of its own topic shows the new figures at once in every worker."""
    figures = {"value": "1 件", "calls": 0}
    estate_id_ = sources.estate1.id

    def counted(estate_id):
        figures["calls"] += 1
        return {"受理投诉（测试）": figures["value"]} if estate_id == estate_id_ else None

    ESTATE_SHEET_SECTIONS.register("counted", counted, topics=(TEST_TOPIC,))
    worker2 = _another_worker(app)
    other = worker2.test_client()
    url = f"/public/estates/{estate_id_}"
    try:
        assert "1 件" in client.get(url).get_data(as_text=True) and "1 件" in other.get(url).get_data(as_text=True)
        assert figures["calls"] == 2  # once in each worker

        gen_event(sources.company1, "BL-02", on=date(2026, 5, 6))
        second = publish(name="2026年第二季度信用评价结果", as_of=date(2026, 6, 30), on=date(2026, 7, 2))
        db.session.commit()
        for browser in (client, other):
            assert "2026年第二季度信用评价结果" in browser.get(url).get_data(as_text=True)  # the page was rebuilt …
        assert figures["calls"] == 2 and second.id  # … its section was not computed again

        figures["value"] = "2 件"
        generations.bump(db.session.connection(), TEST_TOPIC)  # what the section's feature does when it changes
        db.session.commit()
        for browser in (client, other):
            text = browser.get(url).get_data(as_text=True)
            assert "2 件" in text and "1 件" not in text
        assert figures["calls"] == 4
    finally:
        ESTATE_SHEET_SECTIONS.unregister("counted")
        with worker2.app_context():
            db.engine.dispose()


def test_a_compressed_copy_is_kept_and_revalidates(public, client, monkeypatch):
    compressed = []
    original = delivery.compress

    def counting(data, encoding, quality=5):
        compressed.append(encoding)
        return original(data, encoding, quality)

    monkeypatch.setattr(delivery, "compress", counting)
    url = f"/public/estates/{public.estate1.id}"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    first = client.get(url, headers={"Accept-Encoding": "br"})
    again = client.get(url, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == "br"
    assert brotli.decompress(again.data) == plain.data and compressed == ["br"]  # compressed once, then kept
    assert first.headers["ETag"] == f"W/{plain.headers['ETag']}"
    gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(gzipped.data) == plain.data and compressed == ["br", "gzip"]
    # A browser holding the compressed copy revalidates with its weak ETag.
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"], "Accept-Encoding": "br"}).status_code == 304


def test_the_grade_list_pages_by_the_published_count(public, client, app):
    app.config["PER_PAGE"] = 1
    try:
        app.extensions.pop("portal_pages", None)
        first, second = client.get("/public/grades").get_data(as_text=True), client.get(
            "/public/grades?page=2").get_data(as_text=True)
        pages = public.publication.company_count
        assert pages >= 2 and f"第 1 / {pages} 页" in first and f"第 2 / {pages} 页" in second
        assert re.findall(r"/public/companies/\d+", first) != re.findall(r"/public/companies/\d+", second)
    finally:
        app.config["PER_PAGE"] = 50
