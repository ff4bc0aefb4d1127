"""What the public portal shows, read only from what was published or approved.

- credit: ``CreditPublication`` rows, with the latest correction notice's figures in place of the row it
  corrects (supervision/credit/corrections.py); the live score is never read;
- campaigns: per-street aggregates of CLOSED campaigns only (no estate, no item, no person);
- estates: the register's public facts — managing company and its current *published* grade, the
  owners' committee's status and term, the service contract period in force — never notes, phones
  or names of people;
- other features' published records through the registries of ``sources.py``.

Every function here reads only tables that the data generations of ``TOPICS`` watch, so the pages built
from them can be cached until one of those changes (``cache.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from ..campaigns.models import Campaign, CampaignStatus
from ..campaigns.services.progress import PROGRESS_TOPIC, campaign_progress
from ..companies.models import Company
from ..core import generations
from ..core.pagination import paginate, paginate_rows
from ..core.timeutil import local_today
from ..credit import corrections
from ..credit.models import (
    CreditCorrection,
    CreditCorrectionRow,
    CreditGrade,
    CreditPublication,
    CreditPublicationRow,
    CreditRuleItem,
    CreditRulePart,
    CreditRuleSet,
)
from ..estates.management import EstateManagement
from ..estates.models import CommitteeStatus, Estate, OwnersCommittee
from ..extensions import db
from ..regions.models import Community, Street
from .sources import DISCLOSURE_SOURCES, ESTATE_SHEET_SECTIONS

# Data generations keying the portal's page cache (core/generations.py).
CREDIT_TOPIC = "portal_credit"  # publications, their rows and corrections, the rule sets they used
REGISTER_TOPIC = "portal_register"  # estates, committees, management periods, companies, street names

generations.watch(CREDIT_TOPIC, CreditPublication, CreditPublicationRow, CreditCorrection, CreditCorrectionRow,
                  CreditRuleSet, CreditRulePart, CreditRuleItem, CreditGrade)
generations.watch(REGISTER_TOPIC, Estate, OwnersCommittee, EstateManagement, Company, Street, Community)


# --- credit ----------------------------------------------------------------------------------------

def latest_publication() -> CreditPublication | None:
    return db.session.scalar(select(CreditPublication).order_by(
        CreditPublication.as_of.desc(), CreditPublication.published_at.desc(), CreditPublication.id.desc()).limit(1))


def publication_by_id(publication_id: int) -> CreditPublication | None:
    return db.session.get(CreditPublication, publication_id)


def publications() -> list[CreditPublication]:
    return list(db.session.scalars(select(CreditPublication).order_by(
        CreditPublication.as_of.desc(), CreditPublication.published_at.desc(), CreditPublication.id.desc())))


def grade_page(publication: CreditPublication):
    """A page of the publication's rows by position, and their shown figures (corrections applied)."""
    page = paginate(select(CreditPublicationRow).where(CreditPublicationRow.publication_id == publication.id)
                    .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name,
                              CreditPublicationRow.id))
    return page, corrections.shown_figures(page.items)


def listed(publication: CreditPublication) -> tuple[list, list]:
    """The red and black lists in force (corrections applied): (row, figures, correction) triples.

    Reads only the rows that were listed or have been corrected (a correction may list a row)."""
    corrected = select(CreditCorrectionRow.publication_row_id).join(CreditCorrectionRow.correction).where(
        CreditCorrection.publication_id == publication.id)
    rows = list(db.session.scalars(select(CreditPublicationRow).where(
        CreditPublicationRow.publication_id == publication.id,
        or_(CreditPublicationRow.red.is_(True), CreditPublicationRow.black.is_(True),
            CreditPublicationRow.id.in_(corrected)))
        .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name)))
    shown = corrections.shown_figures(rows)
    triples = [(r, *shown[r.id]) for r in rows]
    return [t for t in triples if t[1].red], [t for t in triples if t[1].black]


def corrections_of(publication: CreditPublication) -> list[CreditCorrection]:
    return corrections.corrections_of(publication)


@dataclass(frozen=True)
class HistoryRow:
    publication: CreditPublication
    row: CreditPublicationRow
    figures: corrections.Figures
    correction: CreditCorrectionRow | None


def company_history(company_id: int) -> list[HistoryRow]:
    """The company's row in every publication, newest period first, corrections applied."""
    rows = list(db.session.scalars(
        select(CreditPublicationRow).join(CreditPublicationRow.publication)
        .where(CreditPublicationRow.company_id == company_id)
        .options(joinedload(CreditPublicationRow.publication))
        .order_by(CreditPublication.as_of.desc(), CreditPublication.published_at.desc(), CreditPublication.id.desc())))
    shown = corrections.shown_figures(rows)
    return [HistoryRow(r.publication, r, *shown[r.id]) for r in rows]


def current_grade(company_id: int) -> HistoryRow | None:
    """The company's row in the latest publication that rated it (corrections applied)."""
    row = db.session.scalar(
        select(CreditPublicationRow).join(CreditPublicationRow.publication)
        .where(CreditPublicationRow.company_id == company_id)
        .options(joinedload(CreditPublicationRow.publication))
        .order_by(CreditPublication.as_of.desc(), CreditPublication.published_at.desc(), CreditPublication.id.desc())
        .limit(1))
    if row is None:
        return None
    figures, correction = corrections.shown_figures([row])[row.id]
    return HistoryRow(row.publication, row, figures, correction)


def published_rule_set(rule_set_id: int) -> CreditRuleSet | None:
    """A rule set some publication used (the others are not public), with its parts, grades and items."""
    used = select(CreditPublication.id).where(CreditPublication.rule_set_id == rule_set_id).exists()
    return db.session.scalar(select(CreditRuleSet).where(CreditRuleSet.id == rule_set_id, used).options(
        selectinload(CreditRuleSet.parts), selectinload(CreditRuleSet.grades),
        selectinload(CreditRuleSet.items).selectinload(CreditRuleItem.part)))


def public_company(company_id: int) -> Company | None:
    """A company in the register, or an archived one that still has published results."""
    company = db.session.get(Company, company_id)
    if company is None:
        return None
    if company.archived_at is not None and not db.session.scalar(
            select(CreditPublicationRow.id).where(CreditPublicationRow.company_id == company_id).limit(1)):
        return None
    return company


def managed_estates(company_id: int, limit: int = 200) -> list[tuple[int, str, str]]:
    return list(db.session.execute(
        select(Estate.id, Estate.name, Street.name).join(Street, Street.id == Estate.street_id)
        .where(Estate.company_id == company_id, Estate.archived_at.is_(None))
        .order_by(Street.name_sort, Estate.name_sort).limit(limit)).all())


# --- campaigns -------------------------------------------------------------------------------------

CAMPAIGN_TOPIC = PROGRESS_TOPIC


def closed_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.CLOSED)
                                   .order_by(Campaign.year.desc(), Campaign.id.desc())))


def closed_campaign(campaign_id: int) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.id == campaign_id,
                                                    Campaign.status == CampaignStatus.CLOSED)
                             .options(selectinload(Campaign.phases)))


def campaign_results(campaign: Campaign):
    """Per street: enrolled, closed (销号), withdrawn, items and items accepted — aggregates only."""
    return campaign_progress(campaign)


# --- estates ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EstateSheet:
    estate: Estate
    grade: HistoryRow | None
    committee_status: CommitteeStatus | None
    committee: OwnersCommittee | None
    contract: EstateManagement | None


def estate_sheet(estate_id: int, today: date | None = None) -> EstateSheet | None:
    today = today or local_today()
    estate = db.session.scalar(select(Estate).where(Estate.id == estate_id, Estate.archived_at.is_(None)).options(
        joinedload(Estate.street), joinedload(Estate.community), joinedload(Estate.company),
        joinedload(Estate.committee)))
    if estate is None:
        return None
    contract = db.session.scalar(select(EstateManagement).where(
        EstateManagement.estate_id == estate.id, EstateManagement.in_force_clause(today))
        .order_by(EstateManagement.started_on.desc()).limit(1))
    grade = current_grade(estate.company_id) if estate.company_id else None
    committee = estate.committee
    return EstateSheet(estate=estate, grade=grade, committee=committee,
                       committee_status=committee.status_on(today) if committee is not None else None,
                       contract=contract if contract is not None and (contract.contract_start or contract.contract_end)
                       else None)


def estate_sections(estate_id: int) -> list[dict]:
    """The registered sections' published figures for the estate sheet."""
    shown = []
    for entry in ESTATE_SHEET_SECTIONS.entries():
        result = entry.fn(estate_id)
        if not result:
            continue
        if "rows" in result:
            title, rows = result.get("title"), result["rows"]
        else:
            title, rows = None, list(result.items())
        shown.append({"key": entry.key, "title": title, "rows": [(str(label), value) for label, value in rows]})
    return shown


# --- disclosures -----------------------------------------------------------------------------------

def disclosures(company_id: int | None = None, today: date | None = None) -> list:
    """Published 通报 / 曝光 from every registered source, newest first (nothing undated or in the future)."""
    today = today or local_today()
    found = []
    for entry in DISCLOSURE_SOURCES.entries():
        for item in entry.fn(company_id=company_id) or ():
            published_on = getattr(item, "published_on", None)
            if published_on is None or published_on > today:
                continue
            if company_id is not None and getattr(item, "company_id", None) != company_id:
                continue
            found.append(item)
    return sorted(found, key=lambda d: (d.published_on, str(d.number)), reverse=True)


def safe_link(url: str | None) -> str | None:
    """A document link the page may show: a local path or an http(s) address."""
    if url and ((url.startswith("/") and not url.startswith("//")) or url.startswith(("https://", "http://"))):
        return url
    return None


# --- search ----------------------------------------------------------------------------------------

def search(q: str):
    """Estates (by name or address) and companies (by name) whose text holds ``q``, a page of
    ``(kind, id, name, detail)`` rows: estates first, then companies, each by name."""
    estates = (select(literal("estate").label("kind"), Estate.id.label("id"), Estate.name.label("name"),
                      Street.name.label("detail"))
               .join(Street, Street.id == Estate.street_id)
               .where(Estate.archived_at.is_(None),
                      or_(Estate.name.contains(q, autoescape=True), Estate.address.contains(q, autoescape=True))))
    companies = (select(literal("company").label("kind"), Company.id.label("id"), Company.name.label("name"),
                        Company.credit_code.label("detail"))
                 .where(Company.archived_at.is_(None), Company.name.contains(q, autoescape=True)))
    found = union_all(estates, companies).subquery()
    return paginate_rows(select(found.c.kind, found.c.id, found.c.name, found.c.detail)
                         .order_by(found.c.kind.desc(), found.c.name, found.c.id))


# --- sitemap ---------------------------------------------------------------------------------------

def sitemap_ids(limit: int = 45_000) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Ids of the public detail pages: estates, companies, publications, rule sets used, closed campaigns."""
    estates = list(db.session.scalars(select(Estate.id).where(Estate.archived_at.is_(None))
                                      .order_by(Estate.id).limit(limit)))
    companies = list(db.session.scalars(select(Company.id).where(Company.archived_at.is_(None))
                                        .order_by(Company.id).limit(max(0, limit - len(estates)))))
    publications_ = list(db.session.scalars(select(CreditPublication.id).order_by(CreditPublication.id)))
    rule_sets = list(db.session.scalars(select(CreditPublication.rule_set_id).distinct()
                                        .order_by(CreditPublication.rule_set_id)))
    campaigns = list(db.session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.CLOSED)
                                        .order_by(Campaign.id)))
    return estates, companies, publications_, rule_sets, campaigns
