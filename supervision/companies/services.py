"""Companies, their staff and certificates (持证上岗), and the certification rates.

Certification rate = staff in certificate-requiring positions holding a valid certificate
÷ staff in those positions. A position requires one of several certificate types
(``Position.required_certificates``, reference data in seeds/reference/certificates.json);
holding any one of them, valid on the day, qualifies the person. Staff who have left
(``left_on`` on or before the day) and staff of archived companies are not counted.

``certification_rates`` computes it per district, street, company or estate in one SQL
query; the targets and dashboard features reuse it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, case, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from ..audit.services import record, record_change, snapshot
from ..core import figures, generations
from ..core.errors import DomainError, TransitionError
from ..core.search import contains
from ..core.timeutil import local_today, utcnow
from ..estates.errors import InvalidValues
from ..estates.models import Estate
from ..extensions import db
from .credit_code import credit_code_error
from .models import (
    Certificate,
    CertificateType,
    Company,
    Position,
    QualificationGrade,
    Staff,
    position_certificate_requirements,
)
from .qualification import known_unqualified_clause

EXPIRY_WARNING_DAYS = 60

COMPANY_FIELDS = ("name", "credit_code", "legal_representative", "contact_person", "phone", "address",
                  "qualification_grade", "notes")
STAFF_FIELDS = ("name", "phone", "position_id", "estate_id")
CERTIFICATE_FIELDS = ("certificate_type_id", "number", "issuer", "issued_on", "expires_on")


def _strip(value):
    if isinstance(value, str):
        return value.strip() or None
    return value


# --- companies -------------------------------------------------------------------

def company_errors(values: dict, *, company: Company | None = None) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    name = (values.get("name") or "").strip()
    if not name:
        errors.append(("name", _("请填写企业名称。")))
    elif len(name) > 128:
        errors.append(("name", _("企业名称不能超过128个字符。")))
    raw_code = "".join((values.get("credit_code") or "").split())
    if not raw_code:
        errors.append(("credit_code", _("请填写统一社会信用代码。")))
    else:
        message = credit_code_error(raw_code)
        if message:
            errors.append(("credit_code", message))
    grade = values.get("qualification_grade")
    if grade is not None and not isinstance(grade, QualificationGrade):
        errors.append(("qualification_grade", _("资质等级不正确。")))
    exclude = [Company.id != company.id] if company is not None and company.id else []
    if name and db.session.scalar(select(Company.id).where(func.lower(Company.name) == name.lower(), *exclude)):
        errors.append(("name", _("已有名为“%(name)s”的企业（含已归档的企业）。", name=name)))
    if raw_code and not credit_code_error(raw_code):
        other = db.session.scalar(select(Company).where(Company.credit_code == raw_code, *exclude))
        if other is not None:
            errors.append(("credit_code", _("统一社会信用代码 %(code)s 已登记为“%(name)s”。",
                                            code=raw_code, name=other.name)))
    return errors


def _company_values(values: dict) -> dict:
    cleaned = {key: _strip(values.get(key)) for key in COMPANY_FIELDS if key in values}
    if "credit_code" in cleaned:
        cleaned["credit_code"] = "".join((cleaned["credit_code"] or "").split())
    return cleaned


def create_company(values: dict, *, actor=None, audit_action: str = "company.create") -> Company:
    values = dict(values)
    if values.get("credit_code"):
        values["credit_code"] = "".join(values["credit_code"].split())
    errors = company_errors(values)
    if errors:
        raise InvalidValues(errors)
    return _insert_company(values, actor=actor, audit_action=audit_action)


def _insert_company(values: dict, *, actor=None, audit_action="company.create") -> Company:
    company = Company(**_company_values(values))
    db.session.add(company)
    db.session.flush()
    record(audit_action, company, after=snapshot(company, list(COMPANY_FIELDS)), actor=actor)
    return company


def update_company(company: Company, values: dict, *, actor=None) -> Company:
    merged = {key: getattr(company, key) for key in COMPANY_FIELDS}
    merged.update({key: values[key] for key in COMPANY_FIELDS if key in values})
    errors = company_errors(merged, company=company)
    if errors:
        raise InvalidValues(errors)
    before = snapshot(company, list(COMPANY_FIELDS))
    for key, value in _company_values(merged).items():
        setattr(company, key, value)
    db.session.flush()
    record_change("company.update", company, before, actor=actor)
    return company


def archive_company(company: Company, *, actor=None, reason: str | None = None) -> Company:
    """Archive a company that no longer manages any (active) estate; its history stays."""

    if company.archived_at is not None:
        raise TransitionError(_("该企业已归档。"))
    managed = db.session.scalar(select(func.count(Estate.id)).where(Estate.company_id == company.id,
                                                                    Estate.archived_at.is_(None)))
    if managed:
        raise DomainError(_("该企业仍在管理 %(n)s 个小区，请先变更这些小区的物业服务企业，再归档企业。", n=managed))
    company.archived_at = utcnow()
    db.session.flush()
    record("company.archive", company, before={"archived_at": None},
           after={"archived_at": company.archived_at, "reason": reason}, actor=actor)
    return company


def restore_company(company: Company, *, actor=None) -> Company:
    if company.archived_at is None:
        raise TransitionError(_("该企业未归档。"))
    before = {"archived_at": company.archived_at}
    company.archived_at = None
    db.session.flush()
    record("company.restore", company, before=before, after={"archived_at": None}, actor=actor)
    return company


def filter_companies(statement, *, q=None, grade=None, archived=None, sort=None):
    if q:
        like = f"%{q.strip()}%"
        statement = statement.where(or_(Company.name.ilike(like), Company.credit_code.ilike(like),
                                        Company.legal_representative.ilike(like),
                                        Company.contact_person.ilike(like)))
    if grade == "none":
        statement = statement.where(Company.qualification_grade.is_(None))
    elif grade:
        statement = statement.where(Company.qualification_grade == QualificationGrade(grade))
    if archived == "1":
        statement = statement.where(Company.archived_at.is_not(None))
    elif archived != "all":
        statement = statement.where(Company.archived_at.is_(None))
    key = (sort or "name").lstrip("-")
    column = {"name": Company.name_sort, "credit_code": Company.credit_code, "updated": Company.updated_at}.get(
        key, Company.name_sort)
    return statement.order_by(column.desc() if sort and sort.startswith("-") else column.asc(), Company.id)


# --- certificate states ----------------------------------------------------------

class CertState:
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but expires within EXPIRY_WARNING_DAYS
    EXPIRED = "expired"
    NOT_YET = "not_yet"  # issued in the future (typed ahead)

    LABELS = {"valid": "有效", "expiring": "即将到期", "expired": "已过期", "not_yet": "尚未生效"}
    BADGES = {"valid": "success", "expiring": "warning", "expired": "danger", "not_yet": "secondary"}


def certificate_state(certificate: Certificate, today: date | None = None) -> str:
    today = today or local_today()
    if certificate.issued_on and certificate.issued_on > today:
        return CertState.NOT_YET
    if certificate.expires_on is None:
        return CertState.VALID
    if certificate.expires_on < today:
        return CertState.EXPIRED
    if certificate.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return CertState.EXPIRING
    return CertState.VALID


def staff_requires_certificate(staff: Staff) -> bool:
    return bool(staff.position.required_certificates)


def staff_is_qualified(staff: Staff, today: date | None = None) -> bool | None:
    """True/False for a certificate-requiring position, None when the position needs none.

    Uses the loaded ``certificates`` and ``position.required_certificates`` (load them with
    ``selectinload`` on list pages).
    """
    today = today or local_today()
    required = {t.id for t in staff.position.required_certificates}
    if not required:
        return None
    return any(c.certificate_type_id in required and c.is_valid_on(today) for c in staff.certificates)


# --- certification rates in SQL -----------------------------------------------------

def requires_certificate_clause():
    """The staff member's position requires a certificate."""
    return exists(select(position_certificate_requirements.c.position_id).where(
        position_certificate_requirements.c.position_id == Staff.position_id))


def qualified_clause(day: date, *, per_row: bool = False):
    """The staff member holds a certificate that is valid on ``day`` and that the position accepts.

    ``per_row``: tested for each row that reaches it (``OFFSET 0``: PostgreSQL may not turn the EXISTS into a hash
    of every valid certificate), for a statement that tests a few rows only."""
    statement = select(Certificate.id).join(
        position_certificate_requirements,
        position_certificate_requirements.c.certificate_type_id == Certificate.certificate_type_id,
    ).where(
        Certificate.staff_id == Staff.id,
        position_certificate_requirements.c.position_id == Staff.position_id,
        Certificate.valid_on_clause(day),
    )
    return exists(statement.offset(0) if per_row else statement)


def qualified_known_first_clause(day: date):
    """``qualified_clause`` for the staff of a page of companies: the known-qualified range kept on the row
    (``qualification``) first, the certificates tested only for those it does not cover (2,500 staff of 50
    companies at 100×: 3.2 → 2.2 ms of SQLite)."""
    return or_(~known_unqualified_clause(day), qualified_clause(day, per_row=True))


def active_on_clause(day: date):
    """Employed on ``day``: not yet left."""
    return or_(Staff.left_on.is_(None), Staff.left_on > day)


@dataclass(frozen=True)
class Rate:
    key: int | None
    numerator: int  # certificated staff in certificate-requiring positions
    denominator: int  # staff in certificate-requiring positions

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def missing(self) -> int:
        return self.denominator - self.numerator


GROUPS = ("district", "street", "company", "estate")


def certification_rates(group_by: str = "company", *, managers_only: bool = False, on: date | None = None,
                        street_id: int | None = None, company_id: int | None = None,
                        estate_id: int | None = None, keys=None) -> dict:
    """{key: Rate} in one SQL query.

    - ``group_by``: "district" (a single row, key None: every counted staff member), "street"
      (the street of the estate the person works on), "company" or "estate". Head-office staff
      (no estate) count for their company and the district only.
    - ``managers_only``: only manager positions (项目经理 …, ``Position.is_manager``): the
      manager certification rate (经理持证率, target 100 %).
    - ``on``: the day on which certificates must be valid and staff employed (default today).
    - ``street_id`` / ``company_id`` / ``estate_id`` / ``keys``: restrict the staff counted.

    Groups with no staff in certificate-requiring positions do not appear.
    """

    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    day = on or local_today()
    key_column = {"district": None, "street": Estate.street_id, "company": Staff.company_id,
                  "estate": Staff.estate_id}[group_by]
    numerator = func.sum(case((qualified_clause(day), 1), else_=0))
    columns = ([key_column] if key_column is not None else []) + [func.count(Staff.id), numerator]
    statement = (select(*columns).select_from(Staff)
                 .join(Company, Company.id == Staff.company_id)
                 .where(Company.archived_at.is_(None), active_on_clause(day), requires_certificate_clause()))
    if group_by in ("street", "estate") or street_id is not None:
        statement = statement.join(Estate, Estate.id == Staff.estate_id).where(Estate.archived_at.is_(None))
    if managers_only:
        statement = statement.join(Position, Position.id == Staff.position_id).where(Position.is_manager.is_(True))
    if street_id is not None:
        statement = statement.where(Estate.street_id == street_id)
    if company_id is not None:
        statement = statement.where(Staff.company_id == company_id)
    if estate_id is not None:
        statement = statement.where(Staff.estate_id == estate_id)
    if keys is not None and key_column is not None:
        statement = statement.where(key_column.in_(list(keys)))
    if key_column is not None:
        statement = statement.group_by(key_column)
    result = {}
    for row in db.session.execute(statement):
        if key_column is None:
            if row[0]:
                result[None] = Rate(None, int(row[1] or 0), int(row[0]))
        else:
            result[row[0]] = Rate(row[0], int(row[2] or 0), int(row[1]))
    return result


def certification_rate(*, managers_only: bool = False, on: date | None = None, **restrict) -> Rate:
    """One rate over the staff selected by ``restrict`` (company_id=, estate_id=, street_id=)."""
    rates = certification_rates("district", managers_only=managers_only, on=on, **restrict)
    return rates.get(None) or Rate(None, 0, 0)


def company_rates_and_managers(company_ids, *, on: date | None = None) -> tuple[dict, dict]:
    """``certification_rates("company", keys=…)`` and its ``managers_only=True`` twin from one query (a page
    of companies): ({company id: Rate}, {company id: Rate}); as there, a company without staff in a
    certificate-requiring (manager) position is left out."""
    ids = list(company_ids)
    if not ids:
        return {}, {}
    day = on or local_today()
    qualified = qualified_known_first_clause(day)
    manager = Position.is_manager.is_(True)
    statement = (select(Staff.company_id, func.count(Staff.id), func.sum(case((qualified, 1), else_=0)),
                        func.count(Staff.id).filter(manager), func.sum(case((and_(manager, qualified), 1), else_=0)))
                 .select_from(Staff).join(Company, Company.id == Staff.company_id)
                 .join(Position, Position.id == Staff.position_id)
                 .where(Company.archived_at.is_(None), active_on_clause(day), requires_certificate_clause(),
                        Staff.company_id.in_(ids))
                 .group_by(Staff.company_id))
    rates, managers = {}, {}
    for key, total, qualified_total, manager_total, qualified_managers in db.session.execute(statement):
        rates[key] = Rate(key, int(qualified_total or 0), int(total))
        if manager_total:
            managers[key] = Rate(key, int(qualified_managers or 0), int(manager_total))
    return rates, managers


def certification_rate_and_managers(*, on: date | None = None, company_id: int | None = None,
                                    estate_id: int | None = None) -> tuple[Rate, Rate]:
    """``certification_rate(**restrict)`` and its ``managers_only=True`` twin from one query (a detail page)."""
    day = on or local_today()
    qualified = qualified_known_first_clause(day)
    manager = Position.is_manager.is_(True)
    statement = (select(func.count(Staff.id), func.sum(case((qualified, 1), else_=0)),
                        func.count(Staff.id).filter(manager), func.sum(case((and_(manager, qualified), 1), else_=0)))
                 .select_from(Staff).join(Company, Company.id == Staff.company_id)
                 .join(Position, Position.id == Staff.position_id)
                 .where(Company.archived_at.is_(None), active_on_clause(day), requires_certificate_clause()))
    if company_id is not None:
        statement = statement.where(Staff.company_id == company_id)
    if estate_id is not None:
        statement = statement.where(Staff.estate_id == estate_id)
    total, qualified_total, managers, qualified_managers = db.session.execute(statement).one()
    return (Rate(None, int(qualified_total or 0), int(total or 0)),
            Rate(None, int(qualified_managers or 0), int(managers or 0)))


@lru_cache(maxsize=4)
def _company_certification_statement(day: date):
    """``company_certification``'s query, built once per process and day (the company a bound parameter):
    building it cost more than running it."""
    qualified = qualified_clause(day)
    manager = Position.is_manager.is_(True)
    return (select(Staff.estate_id, func.count(Staff.id), func.sum(case((qualified, 1), else_=0)),
                   func.count(Staff.id).filter(manager), func.sum(case((and_(manager, qualified), 1), else_=0)))
            .select_from(Staff).join(Company, Company.id == Staff.company_id)
            .join(Position, Position.id == Staff.position_id)
            .where(Staff.company_id == bindparam("company_id", type_=Integer), Company.archived_at.is_(None),
                   active_on_clause(day), requires_certificate_clause())
            .group_by(Staff.estate_id))


def company_certification(company_id: int, *, on: date | None = None) -> tuple[Rate, Rate, dict]:
    """A company page's figures from one query grouped by estate: the company's certification rate, its manager
    certification rate (``certification_rate_and_managers(company_id=…)``) and {estate id: Rate} of its staff on
    each estate (``certification_rates("estate", company_id=…)``, head-office staff only in the totals)."""
    day = on or local_today()
    totals = [0, 0, 0, 0]
    estates = {}
    for estate_id, total, qualified_total, managers, qualified_managers in db.session.execute(
            _company_certification_statement(day), {"company_id": company_id}):
        figures_ = (int(total or 0), int(qualified_total or 0), int(managers or 0), int(qualified_managers or 0))
        totals = [a + b for a, b in zip(totals, figures_, strict=True)]
        if estate_id is not None and figures_[0]:
            estates[estate_id] = Rate(estate_id, figures_[1], figures_[0])
    return Rate(None, totals[1], totals[0]), Rate(None, totals[3], totals[2]), estates


@dataclass(frozen=True)
class StaffRow:
    """A staff member as the company page and the staff list show them (plain columns, no ORM row)."""

    id: int
    name: str
    phone: str | None
    position: str
    is_manager: bool
    estate_id: int | None
    estate: str | None
    company_id: int
    company: str
    left_on: date | None
    certificates: tuple  # CertificateRow, by expiry
    qualified: bool | None  # None: the position needs no certificate


@dataclass(frozen=True)
class CertificateRow:
    id: int
    type_name: str
    number: str
    issuer: str | None
    issued_on: date | None
    expires_on: date | None
    state: str


@cache
def _staff_estate():
    """The staff member's estate, aliased (made once: an alias builds a proxy of every column)."""
    return aliased(Estate, name="staff_estate")


def staff_rows(statement, today: date, *, ids=None) -> list[StaffRow]:
    """``statement`` (a select of ``Staff`` with its conditions and order, e.g. ``scope.visible(Staff).where(…)``)
    as ``StaffRow``s in three queries: the staff with their position, estate and company names, their
    certificates, and which certificate types each position accepts. ``ids``: the rows of these ids (a page's,
    in that order) instead of ``statement``'s order."""
    estate = _staff_estate()
    columns = statement.with_only_columns(
        Staff.id, Staff.name, Staff.phone, Staff.position_id, Position.name.label("position"),
        Position.is_manager.label("is_manager"), Staff.estate_id,
        estate.name.label("estate"), Staff.company_id, Company.name.label("company"), Staff.left_on)
    columns = (columns.join(Position, Position.id == Staff.position_id)
               .join(Company, Company.id == Staff.company_id)
               .outerjoin(estate, estate.id == Staff.estate_id))
    if ids is not None:
        columns = columns.where(Staff.id.in_(list(ids))).order_by(None)
    else:
        columns = columns.order_by(Position.sort_order, Staff.name_sort, Staff.id)
    people = db.session.execute(columns).all()
    if ids is not None:
        by_id = {row.id: row for row in people}
        people = [by_id[i] for i in ids if i in by_id]
    if not people:
        return []
    certificates: dict[int, list] = {}
    for row in db.session.execute(
            select(Certificate.staff_id, Certificate.id, Certificate.certificate_type_id,
                   CertificateType.name.label("type_name"), Certificate.number, Certificate.issuer,
                   Certificate.issued_on, Certificate.expires_on)
            .join(CertificateType, CertificateType.id == Certificate.certificate_type_id)
            .where(Certificate.staff_id.in_([row.id for row in people]))
            .order_by(Certificate.staff_id, Certificate.expires_on, Certificate.id)):
        certificates.setdefault(row.staff_id, []).append(row)
    required: dict[int, set] = {}
    for position_id, type_id in db.session.execute(
            select(position_certificate_requirements.c.position_id,
                   position_certificate_requirements.c.certificate_type_id)
            .where(position_certificate_requirements.c.position_id.in_({row.position_id for row in people}))):
        required.setdefault(position_id, set()).add(type_id)
    out = []
    for row in people:
        held = certificates.get(row.id, [])
        accepted = required.get(row.position_id)
        qualified = None if not accepted else any(
            c.certificate_type_id in accepted and (c.issued_on is None or c.issued_on <= today)
            and (c.expires_on is None or c.expires_on >= today) for c in held)
        out.append(StaffRow(row.id, row.name, row.phone, row.position, bool(row.is_manager), row.estate_id,
                            row.estate, row.company_id, row.company, row.left_on,
                            tuple(CertificateRow(c.id, c.type_name, c.number, c.issuer, c.issued_on, c.expires_on,
                                                 certificate_state(c, today)) for c in held), qualified))
    return out


CERTIFICATION_TOPIC = "dashboard"  # its watch list (dashboard/services.py) has staff, certificates and positions
CERTIFICATION_SUMMARIES = "certification_summaries"


def _summary_key(day: date) -> str:
    return f"district|{day.isoformat()}"


def _summary_statement_tables() -> frozenset[str]:
    return frozenset({Staff.__tablename__, Company.__tablename__, Position.__tablename__,
                      Certificate.__tablename__, position_certificate_requirements.name})


def _precompute_summaries(keys: list[str]) -> dict[str, figures.Entry]:
    day = local_today()
    if _summary_key(day) not in keys:
        return {}
    return {_summary_key(day): figures.Entry(list(_district_summary(day)), _summary_statement_tables())}


def _district_summary(day: date) -> tuple[int, ...]:
    rate, managers = certification_rate_and_managers(on=day)
    qualified = qualified_clause(day)
    # The staff list's 已持证 / 未持证 filters over the whole district count these (current staff of any company).
    required, held = db.session.execute(
        select(func.count(Staff.id), func.sum(case((qualified, 1), else_=0)))
        .where(active_on_clause(day), requires_certificate_clause())).one()
    active = db.session.scalar(select(func.count(Staff.id)).where(active_on_clause(day)))
    return (rate.numerator, rate.denominator, managers.numerator, managers.denominator,
            expiring_count(today=day) or 0, int(held or 0), int(required or 0) - int(held or 0), int(active or 0))


# The district's two certification rates and its count of expiring certificates of today (the staff list's summary
# without a company), computed by the transaction that changes staff, certificates, companies or positions and
# stored (``core.figures``): the first request after such a change reads them (one query) instead of counting every
# staff member (~60 ms at 100×), and a worker keeps them per process until the next change.
figures.register(figures.Precomputed(CERTIFICATION_TOPIC, CERTIFICATION_SUMMARIES,
                                     lambda: [_summary_key(local_today())], _precompute_summaries))


@dataclass(frozen=True)
class Summary:
    rate: Rate
    managers: Rate
    expiring: int
    # Current staff in certificate-requiring positions holding / lacking a valid certificate (companies archived
    # or not): the district's only (None for one company's summary).
    qualified: int | None = None
    unqualified: int | None = None
    active: int | None = None  # current staff (the API's unfiltered total)


def kept_summary(*, on: date, company_id: int | None = None, company_scope=None) -> Summary:
    """The staff list's summary: ``certification_rate_and_managers(company_id=…)`` and ``expiring_count``.

    The district's (no company, every company visible: ``company_scope`` None) is kept per process until the
    staff, certificate or company data change (the "dashboard" data generation), today's read from what the
    committing transaction stored (``CERTIFICATION_SUMMARIES``): counted live it reads every staff member and
    every expiring certificate (~70 ms at 61,000 staff). One company's is counted from its own rows."""
    if company_id is not None and company_scope is None:
        return _company_summary(company_id, on)
    if company_id is not None or company_scope is not None:
        rate, managers = certification_rate_and_managers(on=on, company_id=company_id)
        return Summary(rate, managers, expiring_count(company_id=company_id, today=on, company_scope=company_scope))

    def stored():
        if on != local_today():
            return None
        key = _summary_key(on)
        payload = figures.load(CERTIFICATION_SUMMARIES, generations.current(CERTIFICATION_TOPIC), [key]).get(key)
        return tuple(payload) if payload is not None and len(payload) == 8 else None

    kept = generations.cached(CERTIFICATION_TOPIC, CERTIFICATION_SUMMARIES,
                              current_app.config.get("DASHBOARD_CACHE_SIZE", 16), (on,),
                              lambda: _district_summary(on), stored=stored)
    return Summary(Rate(None, kept[0], kept[1]), Rate(None, kept[2], kept[3]), kept[4], kept[5], kept[6], kept[7])


@lru_cache(maxsize=4)
def _company_summary_statement(day: date):
    """``certification_rate_and_managers(company_id=…)`` and ``expiring_count(company_id=…)`` of one company in ONE
    statement, built once per process and day (the company a bound parameter)."""
    company = bindparam("summary_company_id", type_=Integer)
    qualified = qualified_clause(day)
    manager = Position.is_manager.is_(True)
    expiring = (expiring_certificates(company_id=company, today=day).order_by(None)
                .with_only_columns(func.count(Certificate.id)).correlate(None).scalar_subquery())
    return (select(func.count(Staff.id), func.sum(case((qualified, 1), else_=0)),
                   func.count(Staff.id).filter(manager), func.sum(case((and_(manager, qualified), 1), else_=0)),
                   expiring)
            .select_from(Staff).join(Company, Company.id == Staff.company_id)
            .join(Position, Position.id == Staff.position_id)
            .where(Staff.company_id == company, Company.archived_at.is_(None), active_on_clause(day),
                   requires_certificate_clause()))


def _company_summary(company_id: int, day: date) -> Summary:
    total, qualified_total, managers, qualified_managers, expiring = db.session.execute(
        _company_summary_statement(day), {"summary_company_id": company_id}).one()
    return Summary(Rate(None, int(qualified_total or 0), int(total or 0)),
                   Rate(None, int(qualified_managers or 0), int(managers or 0)), int(expiring or 0))


# --- staff -----------------------------------------------------------------------

def staff_errors(values: dict, company: Company, *, staff: Staff | None = None) -> list[tuple[str, str]]:

    errors: list[tuple[str, str]] = []
    if not (values.get("name") or "").strip():
        errors.append(("name", _("请填写姓名。")))
    if not values.get("position_id") or db.session.get(Position, values["position_id"]) is None:
        errors.append(("position_id", _("请选择岗位。")))
    estate_id = values.get("estate_id")
    if estate_id:
        estate = db.session.get(Estate, estate_id)
        if (estate is None or estate.company_id != company.id) and not (
                staff is not None and staff.estate_id == estate_id):
            errors.append(("estate_id", _("只能选择本企业管理的小区。")))
    return errors


def create_staff(company: Company, values: dict, *, actor=None) -> Staff:
    if company.archived_at is not None:
        raise DomainError(_("该企业已归档，不能登记人员。"))
    errors = staff_errors(values, company)
    if errors:
        raise InvalidValues(errors)
    staff = Staff(company_id=company.id, **{k: _strip(values.get(k)) for k in STAFF_FIELDS})
    db.session.add(staff)
    db.session.flush()
    record("staff.create", staff, after=snapshot(staff, list(STAFF_FIELDS) + ["company_id"]), actor=actor)
    return staff


def update_staff(staff: Staff, values: dict, *, actor=None) -> Staff:
    merged = {key: getattr(staff, key) for key in STAFF_FIELDS}
    merged.update({key: values[key] for key in STAFF_FIELDS if key in values})
    errors = staff_errors(merged, staff.company, staff=staff)
    if errors:
        raise InvalidValues(errors)
    before = snapshot(staff, list(STAFF_FIELDS))
    for key in STAFF_FIELDS:
        setattr(staff, key, _strip(merged[key]))
    db.session.flush()
    record_change("staff.update", staff, before, actor=actor)
    return staff


def mark_left(staff: Staff, left_on: date, *, actor=None) -> Staff:
    if staff.left_on is not None:
        raise TransitionError(_("该人员已于 %(d)s 离职。", d=staff.left_on.isoformat()))
    if left_on > local_today() + timedelta(days=31):
        raise InvalidValues([("left_on", _("离职日期不能晚于一个月以后。"))])
    staff.left_on = left_on
    db.session.flush()
    record("staff.leave", staff, before={"left_on": None}, after={"left_on": left_on}, actor=actor)
    return staff


def mark_returned(staff: Staff, *, actor=None) -> Staff:
    if staff.left_on is None:
        raise TransitionError(_("该人员在职。"))
    before = {"left_on": staff.left_on}
    staff.left_on = None
    db.session.flush()
    record("staff.return", staff, before=before, after={"left_on": None}, actor=actor)
    return staff


def filter_staff(statement, *, q=None, company_id=None, estate_id=None, position_id=None, cert=None,
                 status=None, today: date | None = None, sort=None):
    """List filters for staff. ``cert``: qualified, unqualified, expiring, expired, not_required."""
    today = today or local_today()
    if q:
        like = f"%{q.strip()}%"
        if company_id or estate_id:  # a few staff: look up each one's certificates
            numbered = exists(select(Certificate.id).where(Certificate.staff_id == Staff.id,
                                                           contains(Certificate.number, like)))
        else:  # the district's staff: the matching certificates once (IN), not a look-up per staff member
            numbered = Staff.id.in_(select(Certificate.staff_id).where(contains(Certificate.number, like)))
            # Every staff member is read for the text either way: in the table's order (SQLite took the
            # 在职 condition's index and read the 61,900 rows one look-up at a time: 70 → 31 ms at 100×).
            statement = statement.with_hint(Staff, "NOT INDEXED", "sqlite")
        statement = statement.where(or_(contains(Staff.name, like), contains(Staff.phone, like), numbered))
    if company_id:
        statement = statement.where(Staff.company_id == company_id)
    if estate_id == "none":
        statement = statement.where(Staff.estate_id.is_(None))
    elif estate_id:
        statement = statement.where(Staff.estate_id == int(estate_id))
    if position_id:
        statement = statement.where(Staff.position_id == position_id)
    if status == "left":
        statement = statement.where(Staff.left_on.is_not(None), Staff.left_on <= today)
    elif status != "all":
        statement = statement.where(active_on_clause(today))
    if cert == "qualified":
        statement = statement.where(requires_certificate_clause(), qualified_clause(today))
    elif cert == "unqualified":
        statement = statement.where(requires_certificate_clause(), ~qualified_clause(today))
    elif cert == "not_required":
        statement = statement.where(~requires_certificate_clause())
    elif cert == "expiring":
        statement = statement.where(exists(select(Certificate.id).where(
            Certificate.staff_id == Staff.id, Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS))))
    elif cert == "expired":
        statement = statement.where(exists(select(Certificate.id).where(
            Certificate.staff_id == Staff.id, Certificate.expires_on < today)))
    key = (sort or "name").lstrip("-")
    descending = bool(sort and sort.startswith("-"))
    if key == "position":
        statement = statement.join(Position, Position.id == Staff.position_id)
        column = Position.sort_order
    elif key == "expiry":
        column = select(func.min(Certificate.expires_on)).where(
            Certificate.staff_id == Staff.id, Certificate.expires_on >= today).scalar_subquery()
    else:
        column = Staff.name_sort
    # name_sort once: "ORDER BY name_sort, name_sort, id" made SQLite sort every match before the LIMIT.
    ties = (Staff.id,) if column is Staff.name_sort else (Staff.name_sort, Staff.id)
    return statement.order_by(column.desc() if descending else column.asc(), *ties)


# --- certificates ----------------------------------------------------------------

def certificate_errors(values: dict, *, today: date | None = None) -> list[tuple[str, str]]:
    today = today or local_today()
    errors: list[tuple[str, str]] = []
    if not values.get("certificate_type_id") or db.session.get(CertificateType, values["certificate_type_id"]) is None:
        errors.append(("certificate_type_id", _("请选择证书类型。")))
    if not (values.get("number") or "").strip():
        errors.append(("number", _("请填写证书编号。")))
    issued, expires = values.get("issued_on"), values.get("expires_on")
    if issued and issued > today:
        errors.append(("issued_on", _("发证日期不能晚于今天。")))
    if issued and expires and expires < issued:
        errors.append(("expires_on", _("有效期至不能早于发证日期。")))
    return errors


def add_certificate(staff: Staff, values: dict, *, actor=None) -> Certificate:
    errors = certificate_errors(values)
    if errors:
        raise InvalidValues(errors)
    duplicate = db.session.scalar(select(Certificate.id).where(
        Certificate.staff_id == staff.id, Certificate.certificate_type_id == values["certificate_type_id"],
        Certificate.number == values["number"].strip()))
    if duplicate:
        raise InvalidValues([("number", _("该人员已登记过这张证书。"))])
    certificate = Certificate(staff_id=staff.id, **{k: _strip(values.get(k)) for k in CERTIFICATE_FIELDS})
    db.session.add(certificate)
    db.session.flush()
    record("certificate.create", certificate,
           after={**snapshot(certificate, list(CERTIFICATE_FIELDS)), "staff_id": staff.id}, actor=actor)
    return certificate


def update_certificate(certificate: Certificate, values: dict, *, actor=None) -> Certificate:
    merged = {key: getattr(certificate, key) for key in CERTIFICATE_FIELDS}
    merged.update({key: values[key] for key in CERTIFICATE_FIELDS if key in values})
    errors = certificate_errors(merged)
    if errors:
        raise InvalidValues(errors)
    before = snapshot(certificate, list(CERTIFICATE_FIELDS))
    for key in CERTIFICATE_FIELDS:
        setattr(certificate, key, _strip(merged[key]))
    db.session.flush()
    record_change("certificate.update", certificate, before, actor=actor)
    return certificate


def delete_certificate(certificate: Certificate, *, actor=None) -> None:
    """Remove a certificate entered by mistake; the audit log keeps what it was.

    (A certificate that simply expired stays: it is shown as expired.)
    """
    before = {**snapshot(certificate, list(CERTIFICATE_FIELDS)), "staff_id": certificate.staff_id}
    record("certificate.delete", certificate, before=before, after=None, actor=actor)
    db.session.delete(certificate)
    db.session.flush()


def expiring_certificates(*, company_id: int | None = None, today: date | None = None,
                          days: int = EXPIRY_WARNING_DAYS):
    """A select of certificates of current staff that expire within ``days`` days (not yet expired)."""
    today = today or local_today()
    statement = (select(Certificate).join(Staff, Staff.id == Certificate.staff_id)
                 .where(active_on_clause(today), Certificate.expires_on >= today,
                        Certificate.expires_on <= today + timedelta(days=days)))
    if company_id is not None:
        statement = statement.where(Staff.company_id == company_id)
    return statement.order_by(Certificate.expires_on)


def expiring_count(*, company_id: int | None = None, today: date | None = None, company_scope=None) -> int:
    """How many of ``expiring_certificates`` there are, of the companies ``company_scope`` allows.

    The companies join by primary key (not ``company_id IN (visible companies)``, which made SQLite walk
    every company's staff instead of the certificates' expiry index)."""
    statement = expiring_certificates(company_id=company_id, today=today).order_by(None).with_only_columns(
        func.count(Certificate.id))
    if company_scope is not None:
        statement = statement.join(Company, Company.id == Staff.company_id).where(company_scope)
    return db.session.scalar(statement)


def company_counts(company_ids, *, estate_scope=None) -> dict:
    """{company id: (estates, current staff)} for a page of companies, in two grouped queries.

    ``estate_scope`` (a condition on ``Estate``, e.g. the user's ``Estate.scope_clause``) limits which estates
    are counted. The estates are found by company (its index) and the conditions counted as a FILTER: as
    WHERE terms, SQLite walked every unarchived estate (or the street's) instead of the 50 companies'."""

    ids = list(company_ids)
    if not ids:
        return {}
    counted = and_(Estate.archived_at.is_(None), estate_scope if estate_scope is not None else true())
    estates = dict(db.session.execute(
        select(Estate.company_id, func.count(Estate.id).filter(counted)).where(Estate.company_id.in_(ids))
        .group_by(Estate.company_id)
    ).all())
    staff = dict(db.session.execute(
        select(Staff.company_id, func.count(Staff.id)).where(Staff.company_id.in_(ids),
                                                             active_on_clause(local_today()))
        .group_by(Staff.company_id)
    ).all())
    return {i: (estates.get(i, 0), staff.get(i, 0)) for i in ids}


def certification_note() -> str:
    return _("持证率 = 需持证岗位上持有效证书的在职人员数 ÷ 需持证岗位的在职人员数。")

