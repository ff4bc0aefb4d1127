"""The public portal (信息公示): no login, read-only, built only from published or approved rows.

Every page goes through ``cache.page``: cached per process under the data generations of what it
shows, with an ETag and Last-Modified shared by every worker, 304 to a conditional GET. Requests are
rate-limited per client address (``PORTAL_RATE_LIMIT``).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _

from ..core.pagination import page_number
from ..core.timeutil import local_today
from ..core.urls import is_safe_next
from ..credit import scoring
from ..extensions import limiter
from ..i18n import LOCALES
from . import cache, services
from .services import CAMPAIGN_TOPIC, CREDIT_TOPIC, REGISTER_TOPIC
from .sources import DISCLOSURE_SOURCES, ESTATE_SHEET_SECTIONS

bp = Blueprint("portal", __name__, url_prefix="/public")

MAX_QUERY = 64  # characters of a search


def _rate_limit() -> str:
    return current_app.config.get("PORTAL_RATE_LIMIT", "300 per minute")


limiter.limit(_rate_limit)(bp)


def _render(template: str, **context) -> str:
    return cache.render(template, today=local_today(), disclosures_on=bool(len(DISCLOSURE_SOURCES)),
                        safe_link=services.safe_link, **context)


@bp.errorhandler(404)
def not_found(error):
    return cache.render("portal/error.html", message=_("页面不存在或信息尚未公开。"), disclosures_on=False), 404


@bp.get("/")
def index():
    def build():
        publication = services.latest_publication()
        red_count, black_count = services.listed_counts(publication) if publication else (0, 0)
        return _render("portal/index.html", publication=publication, red_count=red_count, black_count=black_count,
                       campaigns=services.closed_campaigns()[:5], disclosures=services.disclosures()[:5])
    return cache.page((CREDIT_TOPIC, CAMPAIGN_TOPIC, *DISCLOSURE_SOURCES.topics()), build)


# --- credit ---------------------------------------------------------------------------------------

@bp.get("/grades")
def grades():
    """The latest publication's grades (the others are in the history)."""
    def build():
        return _publication_page(services.publication_head())
    return cache.page((CREDIT_TOPIC,), build, args=("page",))


@bp.get("/publications")
def publications():
    def build():
        return _render("portal/publications.html", publications=services.publications())
    return cache.page((CREDIT_TOPIC,), build)


@bp.get("/publications/<int:publication_id>")
def publication(publication_id: int):
    def build():
        found = services.publication_head(publication_id)
        if found is None:
            abort(404)
        return _publication_page(found)
    return cache.page((CREDIT_TOPIC,), build, args=("page",))


def _publication_page(publication) -> str:
    if publication is None:
        return _render("portal/grades.html", publication=None, page=None, corrections=[])
    return _render("portal/grades.html", publication=publication,
                   page=services.grade_page(publication), corrections=publication.notices)


@bp.get("/lists")
def lists():
    def build():
        publication = services.latest_publication()
        if publication is None:
            return _render("portal/lists.html", publication=None)
        number = page_number()
        red_count, black_count = services.listed_counts(publication)
        pages = max(1, -(-max(red_count, black_count) // services.LISTS_PER_PAGE))
        return _render("portal/lists.html", publication=publication, red_count=red_count, black_count=black_count,
                       red=services.listed_page(publication, False, number),
                       black=services.listed_page(publication, True, number), page=number, pages=pages,
                       corrections=services.corrections_of(publication))
    return cache.page((CREDIT_TOPIC,), build, args=("page",))


@bp.get("/rules/<int:rule_set_id>")
def rule_set(rule_set_id: int):
    def build():
        found = services.published_rule_set(rule_set_id)
        if found is None:
            abort(404)
        return _render("portal/rule_set.html", rule_set=found,
                       override_notes=list(scoring.override_notes(found).values()))
    return cache.page((CREDIT_TOPIC,), build)


@bp.get("/companies/<int:company_id>")
def company(company_id: int):
    def build():
        found = services.public_company(company_id)
        if found is None:
            abort(404)
        return _render("portal/company.html", company=found, history=services.company_history(company_id),
                       estates=services.managed_estates(company_id),
                       disclosures=services.disclosures(company_id=company_id))
    return cache.page((CREDIT_TOPIC, REGISTER_TOPIC, *DISCLOSURE_SOURCES.topics()), build)


# --- campaigns ------------------------------------------------------------------------------------

@bp.get("/campaigns")
def campaigns():
    def build():
        return _render("portal/campaigns.html", campaigns=services.closed_campaigns())
    return cache.page((CAMPAIGN_TOPIC,), build)


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    def build():
        found = services.closed_campaign(campaign_id)
        if found is None:
            abort(404)
        return _render("portal/campaign.html", campaign=found, results=services.campaign_results(found))
    return cache.page((CAMPAIGN_TOPIC,), build)


# --- estates, search, disclosures ------------------------------------------------------------------

@bp.get("/estates/<int:estate_id>")
def estate(estate_id: int):
    def build():
        sheet = services.estate_sheet(estate_id)
        if sheet is None:
            abort(404)
        return _render("portal/estate.html", sheet=sheet, sections=services.estate_sections(estate_id))
    return cache.page((CREDIT_TOPIC, REGISTER_TOPIC, *ESTATE_SHEET_SECTIONS.topics()), build)


@bp.get("/search")
def search():
    q = (request.args.get("q") or "").strip()[:MAX_QUERY]

    def build():
        return _render("portal/search.html", q=q, page=services.search(q) if q else None)
    return cache.page((REGISTER_TOPIC,), build, args=("q", "page"))


@bp.get("/disclosures")
def disclosures():
    def build():
        found = services.disclosures()
        per_page = current_app.config["PER_PAGE"]
        number = page_number()
        pages = max(1, -(-len(found) // per_page))
        return _render("portal/disclosures.html", items=found[(number - 1) * per_page:number * per_page],
                       number=number, pages=pages, total=len(found))
    return cache.page(DISCLOSURE_SOURCES.topics() or (CREDIT_TOPIC,), build, args=("page",))


@bp.get("/sitemap.xml")
def sitemap():
    """The sitemap index (sitemaps.org): one part for the fixed pages and one per ``SITEMAP_SIZE`` estates
    or companies, so that no response holds the whole register (1.6 MB at 100×)."""
    def build():
        return cache.render("portal/sitemap_index.xml", parts=services.sitemap_parts())
    return cache.page((REGISTER_TOPIC,), build, mimetype="application/xml")


SITEMAP_PART = re.compile(r"(estates|companies)-([1-9][0-9]{0,5})")


@bp.get("/sitemap/<part>.xml")
def sitemap_part(part: str):
    """A part of the sitemap: ``pages``, or ``estates-<n>`` / ``companies-<n>``."""
    found = SITEMAP_PART.fullmatch(part)
    if part != "pages" and found is None:
        abort(404)

    def build():
        if found is None:
            publications_, rule_sets, campaigns_ = services.sitemap_page_ids()
            return cache.render("portal/sitemap.xml", publications=publications_, rule_sets=rule_sets,
                                campaigns=campaigns_, disclosures_on=bool(len(DISCLOSURE_SOURCES)))
        ids = services.sitemap_register_ids(found.group(1), int(found.group(2)))
        if not ids:
            abort(404)
        return cache.render("portal/sitemap.xml", **{found.group(1): ids})
    return cache.page((CREDIT_TOPIC, CAMPAIGN_TOPIC) if found is None else (REGISTER_TOPIC,), build,
                      mimetype="application/xml")


@bp.get("/language")
def language():
    """Switch the portal's language (kept in the session; no form, so that pages hold no token)."""
    chosen = request.args.get("to")
    if chosen in LOCALES:
        session["locale"] = chosen
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for(".index"))
