"""Generate a district at k times the demo size, for the benchmark.

1× is the demo district itself (``flask seed demo``: 8 streets, 40 communities, 240 estates, 30
companies, their staff, two campaigns with enrolments, rectification items and notices, weekly
reports, credit events …). k× adds k − 1 copies of everything below the streets — communities,
estates, owners' committees, the companies with their staff and certificates, enrolments (in the same
campaigns), surveys, self-inspections and their answers, rectification notices and items with their
transitions, spot checks, acceptances, credit events, objections, clues and publication rows, the
estates' managements, lifts, fire facilities, party buildings, preliminary services, routine supervisions,
aliases and service contracts, the companies' filings, the owners' complaints, and the
audit log and every user's notifications (the users are shared: each inbox grows k×) — so the
proportions of the demo are kept (communities per street, items per enrolment, events per company …).

The district keeps its 8 streets, as a real district does (a few dozen at most): a bigger district
has more estates per street, not hundreds of streets. The weekly reports — one per campaign × street ×
week — grow k× through the campaigns instead: k× adds k − 1 closed copies of the demo's campaigns
("past campaigns") with their phases, weekly reports and report transitions (no enrolments of their
own). The active campaigns, users, rule sets and other reference data are shared, as they would be in
one bigger district.

The bulletin's week (the latest closed week of the default campaign) is a full one: every street
expected to report (the 4 streets with estates enrolled in that campaign) has sent its report — on
time but one late, a returned one corrected and sent again — each with full-length narratives
(progress, problems, plans of dozens of sentences in paragraphs, naming the street's estates). The
bulletin's digest trims them to 150 characters; its annex prints each report in full from a new page,
four pages a street, so the bulletin PDF is 20 pages at every scale (3 of digest, 1 of annex index, 16).

The copies are written with SQLAlchemy Core bulk inserts (``insert()`` with lists of dicts) against
the app's own tables: each copy's ids are the originals shifted by a per-table stride, foreign keys to
copied tables are shifted the same way, and the few unique values (street and company names, credit
codes, notice numbers, credit-event keys) get a copy number. Valid rows by construction: they are the
demo's rows, which the app's own services produced.

Usage (inside an app context, on a freshly migrated database)::

    from bench.generate import generate
    counts = generate(scale=10)
"""
from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from sqlalchemy import func, insert, select, text, update

from supervision.campaigns.models import CampaignStatus
from supervision.companies.credit_code import make_credit_code
from supervision.core import generations
from supervision.core.sortkey import name_sort_key
from supervision.extensions import db
from supervision.seeding import seed_demo

# Tables copied per street, in an order where every foreign key points to a table already copied.
CLONED = (
    "communities", "companies", "estates", "owners_committees", "staff", "certificates",
    "enrolments", "survey_records", "self_inspections", "self_inspection_answers",
    "rectification_notices", "spot_checks", "acceptances", "rectification_items", "item_transitions",
    "acceptance_item_verdicts",
    "credit_clues", "credit_events", "credit_objections", "credit_publication_rows",
    # what hangs off an estate or a company outside the campaigns: its management, lifts, fire facilities,
    # party building, preliminary service, routine supervision, aliases, service contracts and their fees,
    # the companies' filings, the owners' complaints
    "estate_managements", "lifts", "fire_facilities", "party_buildings", "preliminary_services",
    "routine_supervisions", "estate_aliases", "service_contracts", "contract_fees", "company_filings",
    "complaints", "complaint_transitions", "safety_item_links",
)

# Past campaigns: closed copies of the demo's campaigns with their phases and weekly reports.
CAMPAIGN_CLONED = ("campaigns", "campaign_phases", "weekly_reports", "weekly_report_transitions")

# RectificationItem.source_id points to the record the item came from, by source.
ITEM_SOURCE_TABLES = {
    "survey": "survey_records", "self_inspection": "self_inspections",
    "spot_check": "spot_checks", "acceptance": "acceptances",
}

# Per-user history: the audit log and the notifications grow with the district's activity (issue 21).
# Their users are shared, so each user's inbox and audit trail grow k× too — the worst case for the
# pages that list them. The audit rows keep pointing to the demo's objects.
HISTORY_CLONED = ("audit_log", "notifications")

CHUNK = 5_000


def _community_name(name: str, copy: int) -> str:
    return f"{name[:-2]}{copy + 1}社区" if name.endswith("社区") else f"{name}{copy + 1}"


def _fixers(copy: int, maxima: dict):
    """Per-table functions that make the copy's unique values unique."""

    def communities(row):
        row["name"] = _community_name(row["name"], copy)
        if row.get("code"):
            row["code"] = f"{row['code']}-{copy}"

    def estates(row):
        row["name"] = f"{row['name']}{copy + 1}期"

    def companies(row):
        row["name"] = f"{row['name']}（{copy + 1}）"
        row["credit_code"] = make_credit_code(f"91{copy:05d}0MA{row['id'] % 10_000_000:07d}")

    def notices(row):
        row["sequence"] = row["sequence"] + copy * maxima["notice_seq"]
        row["number"] = f"〔{row['year']}〕整改第{row['sequence']:04d}号"

    def items(row):
        table = ITEM_SOURCE_TABLES.get(getattr(row["source"], "value", row["source"]))
        if row.get("source_id") is not None and table:
            row["source_id"] = row["source_id"] + copy * maxima[table]

    def events(row):
        if row.get("source_key"):
            row["source_key"] = f"{row['source_key']}#{copy}"
        if row.get("notice_seq") is not None:
            row["notice_seq"] = row["notice_seq"] + copy * maxima["event_seq"]
        if row.get("notice_number"):
            row["notice_number"] = f"{row['notice_number']}-{copy}"

    def lifts(row):
        row["registration_code"] = f"{row['registration_code']}-{copy}"[-32:]

    def contracts(row):
        if row.get("filing_number"):
            row["filing_number"] = f"{row['filing_number']}-{copy}"

    def complaints(row):
        row["tracking_no"] = f"{row['tracking_no']}{copy:04d}"  # TS and 8 characters: 14 of 20
        if row.get("owner_token_hash"):
            row["owner_token_hash"] = hashlib.sha256(f"{row['owner_token_hash']}#{copy}".encode()).hexdigest()
        if row.get("ticket_no"):
            row["ticket_no"] = f"{row['ticket_no']}-{copy}"

    def aliases(row):
        row["alias"] = f"{row['alias']}{copy + 1}期"

    return {"communities": communities, "estates": estates, "companies": companies, "rectification_notices": notices,
            "rectification_items": items, "credit_events": events, "lifts": lifts, "service_contracts": contracts,
            "complaints": complaints, "estate_aliases": aliases}


def _reset_sequences(connection, tables) -> None:
    if connection.dialect.name != "postgresql":
        return
    for name in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 1))"))


def _clone_tables(names, copies: int, fixers) -> dict[str, int]:
    """Add ``copies`` copies of the rows of ``names`` (ids and foreign keys among them shifted)."""
    metadata = db.metadata
    connection = db.session.connection()
    tables = [metadata.tables[name] for name in names]
    # a table keyed by its foreign key (safety_item_links: one row per item) is shifted through that key
    maxima = {t.name: connection.scalar(select(func.coalesce(func.max(t.c.id), 0))) for t in tables if "id" in t.c}
    notices, events = metadata.tables["rectification_notices"], metadata.tables["credit_events"]
    maxima["notice_seq"] = connection.scalar(select(func.coalesce(func.max(notices.c.sequence), 0)))
    maxima["event_seq"] = connection.scalar(select(func.coalesce(func.max(events.c.notice_seq), 0)))
    originals = {t.name: [dict(r) for r in connection.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
                 for t in tables}
    added = {}
    for table in tables:
        rows = originals[table.name]
        shifted = [(column.name, next(iter(column.foreign_keys)).column.table.name)
                   for column in table.columns if column.foreign_keys
                   and next(iter(column.foreign_keys)).column.table.name in names]
        batch = []
        for copy in range(1, copies + 1):
            fix = fixers(copy, maxima).get(table.name)
            for original in rows:
                row = dict(original)
                if "id" in row:
                    row["id"] = original["id"] + copy * maxima[table.name]
                for column, target in shifted:
                    if row[column] is not None:
                        row[column] = row[column] + copy * maxima[target]
                if fix:
                    fix(row)
                if "name_sort" in row:  # the copy's renamed rows sort under their new names
                    row["name_sort"] = name_sort_key(row["name"])
                batch.append(row)
                if len(batch) >= CHUNK:
                    connection.execute(insert(table), batch)
                    batch = []
        if batch:
            connection.execute(insert(table), batch)
        added[table.name] = len(rows) * copies
    generations.wrote(db.session, *names)  # e.g. the cached credit scores depend on some of them
    _reset_sequences(connection, [t.name for t in tables if "id" in t.c])
    return added


def clone(copies: int) -> dict[str, int]:
    """Add ``copies`` copies of the street subtree; returns the rows added per table."""
    return _clone_tables(CLONED, copies, _fixers)


def _campaign_fixers(copy: int, maxima: dict):
    def campaigns(row):
        row["name"] = f"{row['name']}（往期{copy}）"
        row["status"] = CampaignStatus.CLOSED

    return {"campaigns": campaigns}


def clone_campaigns(copies: int) -> dict[str, int]:
    """Add ``copies`` closed copies of the demo's campaigns with their phases and weekly reports.

    A k× district has run k× the campaigns over the years: its weekly reports (one per campaign ×
    street × week) grow k× while the streets stay 8. The copies have no enrolments of their own.
    """
    return _clone_tables(CAMPAIGN_CLONED, copies, _campaign_fixers)


def _history_fixers(copy: int, maxima: dict):
    def notifications(row):
        row["dedup_key"] = f"{row['dedup_key']}#{copy}"[:128]

    return {"notifications": notifications}


def clone_history(copies: int) -> dict[str, int]:
    """Add ``copies`` copies of the audit log and of every user's notifications."""
    return _clone_tables(HISTORY_CLONED, copies, _history_fixers)


def _narrative(sentences, count: int, estates: list[str], per_paragraph: int = 4) -> str:
    """``count`` sentences about the street's estates, in paragraphs (a line each) as a street types them."""
    picked = [sentences[i % len(sentences)].format(estate=estates[i % len(estates)], n=3 + i % 7)
              for i in range(count) if sentences[i % len(sentences)] != "无"]
    return "\n".join("".join(picked[i:i + per_paragraph]) for i in range(0, len(picked), per_paragraph))


# Sentences per narrative in the bulletin's week: about 2,650 characters of progress, 440 of problems
# and 470 of plans (an A4 page of the annex holds ~1,450), so a street's report fills four pages: its figures
# and the start of its progress, two pages of text, then the end of its problems and its plans.
PROGRESS_SENTENCES, PROBLEM_SENTENCES, PLAN_SENTENCES = 60, 25, 20


def full_week(log=print) -> int:
    """Make the bulletin's week (latest closed week of the default campaign) a full one: every
    expected street has sent its report — most on time, one late, the returned one corrected and sent
    again — each with full-length narratives naming the street's estates (a street of a big district
    reports on many estates). Goes through the app's own services (start, save, submit: figures
    snapshot, transitions, audit) for the reports not yet sent. Returns the reports sent in the week."""
    import random

    from supervision.auth.models import User
    from supervision.auth.roles import Role
    from supervision.core.timeutil import utcnow
    from supervision.reports import services
    from supervision.reports.demo import PLANS, PROBLEMS, PROGRESS, _estate_names, _office_time
    from supervision.reports.figures import figure_definitions
    from supervision.reports.models import EDITABLE, WeeklyReport

    campaigns = services.reporting_campaigns()
    if not campaigns:
        return 0
    campaign = campaigns[0]
    week = services.latest_closed_week(campaign)
    if week is None:
        return 0
    now = utcnow()
    names = _estate_names(campaign.id)
    definitions = figure_definitions(campaign)
    users = {u.street_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.STREET_OFFICER).order_by(User.id))}
    grid = services.report_grid(campaign, [week], now=now)
    due = grid.due[week]
    reports = {r.id: r for r in db.session.scalars(select(WeeklyReport).where(
        WeeklyReport.campaign_id == campaign.id, WeeklyReport.iso_year == week.iso_year,
        WeeklyReport.iso_week == week.iso_week))}
    late_done = any(r.is_late for r in reports.values())
    sent = 0
    for row in grid.rows:
        cell = row.cells[0]
        if not cell.expected:
            continue
        rng = random.Random(f"bench:{campaign.id}:{row.street.id}:{week}")
        user = users.get(row.street.id)
        estates = names.get(row.street.id) or ["辖区小区"]
        narratives = {"progress": _narrative(PROGRESS, PROGRESS_SENTENCES, estates),
                      "problems": _narrative(PROBLEMS, PROBLEM_SENTENCES, estates),
                      "next_week_plan": _narrative(PLANS, PLAN_SENTENCES, estates)}
        report = reports.get(cell.report_id) if cell.report_id else None
        if report is None:
            report, _created = services.start_report(campaign, row.street.id, week, user=user,
                                                     now=week.start_utc + timedelta(days=1, hours=9))
        if report.status not in EDITABLE:  # already sent: its narratives become full-length
            for name, value in narratives.items():
                setattr(report, name, value)
            sent += 1
            continue
        values = {e["code"]: e.get("value") for e in report.entered_figures or []}
        entered = {d["code"]: values.get(d["code"]) if values.get(d["code"]) is not None else rng.randint(0, 40)
                   for d in definitions}
        services.save_report(report, entered=entered, contact_person=report.contact_person or (
            user.display_name if user else f"{row.street.name}物业办"), contact_phone=report.contact_phone or (
            user.phone if user else None), user=user, **narratives)
        if report.returned_at is not None:  # corrected and sent again a few hours after the return
            at = min(report.returned_at + timedelta(hours=3), now)
        else:
            at = _office_time(due, rng.randint(1, 40), late=not late_done)
            late_done = True
        services.submit_report(report, user=user, now=min(at, now))
        sent += 1
    db.session.flush()
    log(f"  {sent} reports of week {week} sent, with full-length narratives")
    return sent


def recount_publications() -> None:
    """A publication's counts as publishing would have stored them: its rows grew k× with the companies."""
    publications, rows = db.metadata.tables["credit_publications"], db.metadata.tables["credit_publication_rows"]

    def counted(where=None):
        statement = select(func.count()).where(rows.c.publication_id == publications.c.id)
        return statement.where(where).scalar_subquery() if where is not None else statement.scalar_subquery()

    db.session.execute(update(publications).values(company_count=counted(), red_count=counted(rows.c.red),
                                                   black_count=counted(rows.c.black)))
    generations.wrote(db.session, "credit_publications")


def generate(scale: int, log=print) -> dict[str, int]:
    """Seed the demo district, then grow it to ``scale`` times its size. Commits."""
    started = time.perf_counter()
    seed_demo()
    db.session.commit()
    log(f"  demo seeded in {time.perf_counter() - started:.1f}s")
    if scale > 1:
        started = time.perf_counter()
        added = clone(scale - 1)
        added.update(clone_campaigns(scale - 1))
        added.update(clone_history(scale - 1))
        recount_publications()
        db.session.commit()
        log(f"  {sum(added.values()):,} rows added in {time.perf_counter() - started:.1f}s")
    full_week(log)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Autovacuum vacuums and analyses a table soon after a bulk load; do it now, as a live
        # database would have (the visibility map lets index-only scans skip the heap).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.execute(text("VACUUM ANALYZE"))
    connection = db.session.connection()
    counts = {}
    for name in ("streets", "estates", "companies", "staff", "campaigns", "enrolments", "rectification_items",
                 "weekly_reports", "credit_events", "audit_log", "notifications"):
        counts[name] = connection.scalar(select(func.count()).select_from(db.metadata.tables[name]))
    db.session.commit()
    return counts
