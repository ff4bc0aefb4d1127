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
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Date, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..campaigns.models import Campaign, CampaignStatus
from ..campaigns.services.progress import PROGRESS_TOPIC, campaign_progress
from ..companies.models import Company
from ..core import generations
from ..core.pagination import MAX_PER_PAGE, page_number, paginate_rows
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
from ..estates.models import CommitteeStatus, Estate, ManagementMode, OwnersCommittee, effective_status
from ..extensions import db
from ..regions.models import Community, Street
from .cache import fragment
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


def publications() -> list[CreditPublication]:
    return list(db.session.scalars(select(CreditPublication).order_by(
        CreditPublication.as_of.desc(), CreditPublication.published_at.desc(), CreditPublication.id.desc())))


@dataclass(frozen=True)
class GradeLine:
    """A row of a publication as the grade list shows it (the latest correction's figures when corrected)."""
    company_id: int
    company_name: str
    credit_code: str
    total: Decimal
    grade_label: str
    red: bool
    black: bool
    correction_number: str | None
    published_total: Decimal
    published_label: str


@dataclass(frozen=True)
class GradePage:
    page: int
    pages: int
    lines: list[GradeLine]


def _read(statement, **params):
    """Rows of a prebuilt Core statement on the session's connection (no ORM work: the portal reads plain
    columns, many times a second)."""
    return db.session.connection().execute(statement, params)


@dataclass(frozen=True)
class PublicationHead:
    """What a grade list shows of its publication, and the publication's correction notices."""
    id: int
    name: str
    as_of: date
    rule_set_id: int
    rule_set_name: str
    bureau_name: str | None
    notes: str | None
    company_count: int
    notices: list  # rows of (number, issued_at, reason), oldest first


_HEAD_COLUMNS = (CreditPublication.id, CreditPublication.name, CreditPublication.as_of, CreditPublication.rule_set_id,
                 CreditPublication.rule_set_name, CreditPublication.bureau_name, CreditPublication.notes,
                 CreditPublication.company_count)
_LATEST = (select(CreditPublication.id).order_by(CreditPublication.as_of.desc(), CreditPublication.published_at.desc(),
                                                 CreditPublication.id.desc()).limit(1).scalar_subquery())


@lru_cache(maxsize=1)
def _statements() -> dict:
    """The grade list's statements, built once (building one costs more than running it)."""
    row = CreditPublicationRow
    fix = aliased(CreditCorrectionRow)
    notice = aliased(CreditCorrection)

    def head(which):  # the publication with its notices (if any) in one statement
        return (select(*_HEAD_COLUMNS, CreditCorrection.number, CreditCorrection.issued_at, CreditCorrection.reason)
                .outerjoin(CreditCorrection, CreditCorrection.publication_id == CreditPublication.id)
                .where(CreditPublication.id == which).order_by(CreditCorrection.issued_at, CreditCorrection.id))

    return {
        "latest": head(_LATEST),
        "by_id": head(bindparam("publication_id")),
        # A page by position (index of migration d3b5f7a9c214), each row with its latest correction if any.
        "rows": select(row.company_id, row.company_name, row.credit_code, row.total, row.grade_label, row.red,
                       row.black, fix.id, fix.new_total, fix.new_grade_label, fix.new_red, fix.new_black,
                       notice.number)
        .select_from(row)
        .outerjoin(fix, fix.id == corrections.latest_correction_id(row.id).correlate(row))
        .outerjoin(notice, notice.id == fix.correction_id)
        .where(row.publication_id == bindparam("publication_id")).order_by(row.position, row.company_name, row.id)
        .limit(bindparam("limit")).offset(bindparam("offset")),
    }


def publication_head(publication_id: int | None = None) -> PublicationHead | None:
    """A publication as its grade list shows it, with its correction notices: the latest publication, or
    ``publication_id``'s; None when there is none. One query."""
    if publication_id is None:
        found = list(_read(_statements()["latest"]))
    else:
        found = list(_read(_statements()["by_id"], publication_id=publication_id))
    if not found:
        return None
    notices = [SimpleNamespace(number=r.number, issued_at=r.issued_at, reason=r.reason)
               for r in found if r.number is not None]
    return PublicationHead(*found[0][:len(_HEAD_COLUMNS)], notices=notices)


def grade_page(publication) -> GradePage:
    """A page of the publication's rows by position, as ``GradeLine``s (corrections applied), in one query of
    the shown columns; the number of pages comes from the count stored at publication (published rows never
    change)."""
    per_page = min(current_app.config["PER_PAGE"], MAX_PER_PAGE)
    pages = max(1, -(-publication.company_count // per_page))
    number = page_number()
    lines = []
    for company_id, name, code, total, label, red, black, fix_id, *corrected, notice in _read(
            _statements()["rows"], publication_id=publication.id, limit=per_page, offset=(number - 1) * per_page):
        shown_total, shown_label, shown_red, shown_black = corrected if fix_id is not None else (total, label, red,
                                                                                                   black)
        lines.append(GradeLine(company_id, name, code, shown_total, shown_label, bool(shown_red), bool(shown_black),
                               notice, total, label))
    return GradePage(number, pages, lines)


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


@lru_cache(maxsize=1)
def _listed_candidates():
    """The rows that may be listed (listed, or corrected: a correction may list a row), each joined to its latest
    correction row (``fix``), with the shown red and black flags (corrections applied): ``(source, fix, red, black)``,
    ``source(statement)`` adding the joins and conditions. Built once per process, the publication a bound
    parameter (``publication_id``): building it (an alias, a correlated subquery) cost more than running it."""
    row = CreditPublicationRow
    fix = aliased(CreditCorrectionRow)
    publication_id = bindparam("publication_id")
    corrected = select(CreditCorrectionRow.publication_row_id).join(CreditCorrectionRow.correction).where(
        CreditCorrection.publication_id == publication_id)
    red = case((fix.id.is_not(None), fix.new_red), else_=row.red).is_(True)
    black = case((fix.id.is_not(None), fix.new_black), else_=row.black).is_(True)

    def source(statement):
        return (statement.select_from(row)
                .outerjoin(fix, fix.id == corrections.latest_correction_id(row.id).correlate(row))
                .where(row.publication_id == publication_id,
                       or_(row.red.is_(True), row.black.is_(True), row.id.in_(corrected))))
    return source, fix, red, black


@lru_cache(maxsize=1)
def _counts_statement():
    source, _fix, red, black = _listed_candidates()
    return source(select(func.count().filter(red), func.count().filter(black)))


def listed_counts(publication: CreditPublication) -> tuple[int, int]:
    """How many companies ``listed`` puts on the red and on the black list (corrections applied), counted in
    one statement instead of building the rows."""
    found = db.session.execute(_counts_statement(), {"publication_id": publication.id}).one()
    return found[0] or 0, found[1] or 0


LISTS_PER_PAGE = 50


@lru_cache(maxsize=2)
def _page_statement(black: bool):
    source, fix, red_, black_ = _listed_candidates()
    return (source(select(CreditPublicationRow, fix)).where(black_ if black else red_)
            .order_by(CreditPublicationRow.position, CreditPublicationRow.company_name, CreditPublicationRow.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


def listed_page(publication: CreditPublication, black: bool, number: int) -> list:
    """Page ``number`` (``LISTS_PER_PAGE`` a page) of the red (or black) list in force, as ``listed`` builds it:
    ``(row, figures shown, latest correction row or None)``, the correction row read with the row (the join that
    decides the listing), not looked up again."""
    found = db.session.execute(_page_statement(black), {
        "publication_id": publication.id, "limit": LISTS_PER_PAGE, "offset": (number - 1) * LISTS_PER_PAGE}).all()
    return [(row, corrections.corrected_figures(fix) if fix is not None else corrections.original_figures(row), fix)
            for row, fix in found]


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
class ShownGrade:
    """A company's grade as the public sees it: the published row's figures, or its latest correction's."""
    total: Decimal
    grade_label: str
    red: bool
    black: bool
    publication_name: str
    correction_number: str | None


@dataclass(frozen=True)
class EstateSheet:
    """The estate sheet's facts, read in one query (only the columns the sheet shows)."""
    id: int
    name: str
    address: str
    street_name: str
    community_name: str
    management_mode: ManagementMode
    households: int | None
    year_built: int | None
    company_id: int | None
    company_name: str | None
    grade: ShownGrade | None
    committee_status: CommitteeStatus | None
    committee_elected_on: date | None
    committee_term_end: date | None
    contract_start: date | None
    contract_end: date | None


def _latest_row_id(company_id):
    """The id of the company's row in the latest publication that rated it (a correlated subquery)."""
    return (select(CreditPublicationRow.id)
            .join(CreditPublication, CreditPublication.id == CreditPublicationRow.publication_id)
            .where(CreditPublicationRow.company_id == company_id)
            .order_by(CreditPublication.as_of.desc(), CreditPublication.published_at.desc(),
                      CreditPublication.id.desc())
            .limit(1).scalar_subquery())


def _contract_in_force_id(estate_id, day):
    """The id of the estate's management period in force on ``day`` (a correlated subquery)."""
    return (select(EstateManagement.id)
            .where(EstateManagement.estate_id == estate_id, EstateManagement.in_force_clause(day))
            .order_by(EstateManagement.started_on.desc()).limit(1).scalar_subquery())


@lru_cache(maxsize=1)
def _sheet_statement():
    """The estate sheet's statement, built once (building it costs more than running it): the register, the
    management period in force, the owners' committee and the company's latest published row with its
    latest correction. Parameters: ``estate_id``, ``today``."""
    row_ = aliased(CreditPublicationRow)
    fix = aliased(CreditCorrectionRow)
    notice = aliased(CreditCorrection)
    today = bindparam("today", type_=Date)
    return (
        select(Estate.id, Estate.name, Estate.address, Street.name, Community.name, Estate.management_mode,
               Estate.households, Estate.year_built, Company.id, Company.name,
               OwnersCommittee.status, OwnersCommittee.elected_on, OwnersCommittee.term_end,
               EstateManagement.contract_start, EstateManagement.contract_end,
               row_.id, row_.total, row_.grade_label, row_.red, row_.black, CreditPublication.name,
               fix.id, fix.new_total, fix.new_grade_label, fix.new_red, fix.new_black, notice.number)
        .join(Street, Street.id == Estate.street_id)
        .join(Community, Community.id == Estate.community_id)
        .outerjoin(Company, Company.id == Estate.company_id)
        .outerjoin(OwnersCommittee, OwnersCommittee.estate_id == Estate.id)
        .outerjoin(EstateManagement, EstateManagement.id == _contract_in_force_id(Estate.id, today).correlate(Estate))
        .outerjoin(row_, row_.id == _latest_row_id(Estate.company_id).correlate(Estate))
        .outerjoin(CreditPublication, CreditPublication.id == row_.publication_id)
        .outerjoin(fix, fix.id == corrections.latest_correction_id(row_.id).correlate(row_))
        .outerjoin(notice, notice.id == fix.correction_id)
        .where(Estate.id == bindparam("estate_id"), Estate.archived_at.is_(None)))


def estate_sheet(estate_id: int, today: date | None = None) -> EstateSheet | None:
    """The public facts of an estate in the register (None: no such estate, or archived), in one query."""
    today = today or local_today()
    found = _read(_sheet_statement(), estate_id=estate_id, today=today).one_or_none()
    if found is None:
        return None
    (id_, name, address, street, community, mode, households, year_built, company_id, company_name,
     committee_status, elected_on, term_end, contract_start, contract_end,
     row_id, total, label, red, black, publication_name, fix_id, *corrected, number) = found
    grade = None
    if row_id is not None:
        if fix_id is not None:
            total, label, red, black = corrected
        grade = ShownGrade(total, label, bool(red), bool(black), publication_name, number)
    if not (contract_start or contract_end):
        contract_start = contract_end = None
    return EstateSheet(id_, name, address, street, community, mode, households, year_built, company_id,
                       company_name, grade, effective_status(committee_status, term_end, today),
                       elected_on, term_end, contract_start, contract_end)


def estate_sections(estate_id: int) -> list:
    """The registered sections' published figures for the estate sheet, each kept (``cache.fragment``) under
    its own topics: a page rebuilt after a credit publication reads none of them again."""
    shown = []
    for entry in ESTATE_SHEET_SECTIONS.entries():
        section = fragment(entry.topics, ("estate_section", entry.key, estate_id),
                           lambda entry=entry: _section(entry, estate_id))
        if section is not None:
            shown.append(section)
    return shown


def _section(entry, estate_id: int) -> dict | None:
    result = entry.fn(estate_id)
    if not result:
        return None
    if "rows" in result:
        title, rows = result.get("title"), result["rows"]
    else:
        title, rows = None, list(result.items())
    return {"key": entry.key, "title": title, "rows": [(str(label), value) for label, value in rows]}


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

SITEMAP_SIZE = 2_000  # URLs a part: the protocol allows 50,000, but a part is rendered on a cache miss
SITEMAP_REGISTERS = {"estates": Estate, "companies": Company}  # archived rows have no public page


def sitemap_parts() -> list[str]:
    """The parts the sitemap index lists: ``pages`` (the fixed pages, publications, rule sets, closed
    campaigns), then ``estates-1``, ``estates-2`` …, ``companies-1`` … of ``SITEMAP_SIZE`` ids each."""
    parts = ["pages"]
    for kind, model in SITEMAP_REGISTERS.items():
        count = db.session.scalar(select(func.count(model.id)).where(model.archived_at.is_(None)))
        parts += [f"{kind}-{number}" for number in range(1, -(-count // SITEMAP_SIZE) + 1)]
    return parts


def sitemap_page_ids() -> tuple[list[int], list[int], list[int]]:
    """Ids of the public publications, the rule sets they used and the closed campaigns."""
    publications_ = list(db.session.scalars(select(CreditPublication.id).order_by(CreditPublication.id)))
    rule_sets = list(db.session.scalars(select(CreditPublication.rule_set_id).distinct()
                                        .order_by(CreditPublication.rule_set_id)))
    campaigns = list(db.session.scalars(select(Campaign.id).where(Campaign.status == CampaignStatus.CLOSED)
                                        .order_by(Campaign.id)))
    return publications_, rule_sets, campaigns


def sitemap_register_ids(kind: str, number: int) -> list[int]:
    """The ``number``-th part's ids of ``kind``'s register (by id), empty past the last."""
    model = SITEMAP_REGISTERS[kind]
    return list(db.session.scalars(select(model.id).where(model.archived_at.is_(None)).order_by(model.id)
                                   .limit(SITEMAP_SIZE).offset((number - 1) * SITEMAP_SIZE)))
