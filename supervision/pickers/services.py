"""Searching and resolving estates and companies within what the user may see."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from ..auth import scope
from ..companies.models import Company, Staff
from ..core.forms import MAX_INT
from ..estates.models import Estate
from ..extensions import db
from ..regions.models import Community, Street

LIMIT = 20
CANDIDATES_SHOWN = 5
SEPARATOR = " · "


@dataclass(frozen=True)
class Option:
    id: int
    name: str
    label: str
    hint: str

    def as_json(self) -> dict:
        return {"id": self.id, "value": self.name, "label": self.label, "hint": self.hint}


def _int_param(value) -> int | None:
    text = str(value if value is not None else "")
    return int(text) if text.isdigit() and 0 < int(text) <= MAX_INT else None


class EstatePicker:
    """Estates by name or address; ``street`` and ``company`` narrow the choice further than the scope."""

    kind = "estates"
    params = ("street", "company")

    @staticmethod
    def noun() -> str:
        return _("小区")

    def base(self, user, params: dict, *, active_only: bool = True):
        statement = (scope.visible(Estate, user, select(Estate.id, Estate.name, Estate.address,
                                                        Street.name.label("street")))
                     .join(Street, Street.id == Estate.street_id))
        if active_only:
            statement = statement.where(Estate.archived_at.is_(None))
        if (street_id := _int_param(params.get("street"))) is not None:
            statement = statement.where(Estate.street_id == street_id)
        if (company_id := _int_param(params.get("company"))) is not None:
            statement = statement.where(Estate.company_id == company_id)
        return statement

    def __init__(self):  # instance attributes: on the class, SQLAlchemy's descriptors would bind to self
        self.name_column, self.sort_column, self.id_column = Estate.name, Estate.name_sort, Estate.id
        self.search_columns, self.code_column = (Estate.address,), None

    @staticmethod
    def option(row) -> Option:
        return Option(row.id, row.name, f"{row.name}{SEPARATOR}{row.street}", row.address or "")

    @staticmethod
    def qualifier_clause(qualifier: str):
        return Street.name == qualifier


class CompanyPicker:
    """Companies by name, unified social credit code or address."""

    kind = "companies"
    params = ("all",)

    @staticmethod
    def noun() -> str:
        return _("企业")

    def base(self, user, params: dict, *, active_only: bool = True):
        columns = select(Company.id, Company.name, Company.credit_code, Company.address)
        # Assigning an estate's company (a handover, a contract, a survey) chooses among every company in
        # the register, as the drop-downs did; a company user still only ever finds itself.
        everyone = params.get("all") in ("1", 1, True) and not getattr(user, "is_company", False)
        statement = columns if everyone else scope.visible(Company, user, columns)
        if active_only:
            statement = statement.where(Company.archived_at.is_(None))
        return statement

    def __init__(self):
        self.name_column, self.sort_column, self.id_column = Company.name, Company.name_sort, Company.id
        self.search_columns, self.code_column = (Company.credit_code, Company.address), Company.credit_code

    @staticmethod
    def option(row) -> Option:
        return Option(row.id, row.name, f"{row.name}{SEPARATOR}{row.credit_code}", row.address or "")

    @staticmethod
    def qualifier_clause(qualifier: str):
        return Company.credit_code == qualifier


class StaffPicker:
    """Staff of active companies by name or phone; ``company`` narrows the choice to one company's staff.

    Staff names repeat across a district, so the label (and the text accepted on submit) carries the
    company: "张伟 · 甲物业服务有限公司"."""

    kind = "staff"
    params = ("company",)

    @staticmethod
    def noun() -> str:
        return _("人员")

    def base(self, user, params: dict, *, active_only: bool = True):
        statement = (scope.visible(Staff, user, select(Staff.id, Staff.name, Staff.phone,
                                                        Company.name.label("company")))
                     .join(Company, Company.id == Staff.company_id))
        if active_only:
            statement = statement.where(Staff.left_on.is_(None), Company.archived_at.is_(None))
        if (company_id := _int_param(params.get("company"))) is not None:
            statement = statement.where(Staff.company_id == company_id)
        return statement

    def __init__(self):
        self.name_column, self.sort_column, self.id_column = Staff.name, Staff.name_sort, Staff.id
        self.search_columns, self.code_column = (Staff.phone,), None

    @staticmethod
    def option(row) -> Option:
        return Option(row.id, row.name, f"{row.name}{SEPARATOR}{row.company}", row.phone or "")

    @staticmethod
    def qualifier_clause(qualifier: str):
        return Company.name == qualifier


class CommunityPicker:
    """Active communities by name or code, labelled with their street ("幸福社区 · 东湖街道"); ``street``
    narrows the choice to one street's. Every role may see the region tree (``Community.scope_clause``)."""

    kind = "communities"
    params = ("street",)

    @staticmethod
    def noun() -> str:
        return _("社区")

    def base(self, user, params: dict, *, active_only: bool = True):
        statement = (scope.visible(Community, user, select(Community.id, Community.name, Community.code,
                                                           Street.name.label("street")))
                     .join(Street, Street.id == Community.street_id))
        if active_only:
            statement = statement.where(Community.active.is_(True))
        if (street_id := _int_param(params.get("street"))) is not None:
            statement = statement.where(Community.street_id == street_id)
        return statement

    def __init__(self):
        self.name_column, self.sort_column, self.id_column = Community.name, Community.name_sort, Community.id
        self.search_columns, self.code_column = (Community.code,), Community.code

    @staticmethod
    def option(row) -> Option:
        return Option(row.id, row.name, f"{row.name}{SEPARATOR}{row.street}", row.code or "")

    @staticmethod
    def qualifier_clause(qualifier: str):
        return Street.name == qualifier


PICKERS = {"estates": EstatePicker(), "companies": CompanyPicker(), "staff": StaffPicker(),
           "communities": CommunityPicker()}


def search(picker, user, q: str, params: dict, *, limit: int = LIMIT) -> list[Option]:
    """Up to ``limit`` options matching ``q``: names starting with it first, then shorter names."""
    q = (q or "").strip()[:64]
    if not q:
        return []
    name = picker.name_column
    matches = [name.icontains(q, autoescape=True)] + [c.icontains(q, autoescape=True) for c in picker.search_columns]
    rank = case((name.istartswith(q, autoescape=True), 0), (name.icontains(q, autoescape=True), 1), else_=2)
    ordering = (rank, func.length(name), picker.sort_column, picker.id_column)
    rows = db.session.execute(picker.base(user, params).where(or_(*matches)).order_by(*ordering).limit(limit)).all()
    return [picker.option(row) for row in rows]


def get(picker, user, object_id, params: dict, *, active_only: bool = True) -> Option | None:
    object_id = _int_param(object_id)
    if object_id is None:
        return None
    row = db.session.execute(picker.base(user, params, active_only=active_only)
                             .where(picker.id_column == object_id)).first()
    return picker.option(row) if row is not None else None


def exact(picker, user, text: str, params: dict, *, active_only: bool = True) -> list[Option]:
    """The options whose name (or code) is exactly ``text``; "名称 · 街道" (a listed label) narrows a name."""
    text = (text or "").strip()
    name, _sep, qualifier = text.partition(SEPARATOR.strip())
    name, qualifier = name.strip(), qualifier.strip()
    conditions = [func.lower(picker.name_column) == name.lower()]
    if picker.code_column is not None:
        conditions.append(func.upper(picker.code_column) == text.upper())
    statement = picker.base(user, params, active_only=active_only).where(or_(*conditions))
    if qualifier:
        statement = statement.where(picker.qualifier_clause(qualifier))
    rows = db.session.execute(statement.order_by(picker.sort_column, picker.id_column)
                              .limit(CANDIDATES_SHOWN + 1)).all()
    return [picker.option(row) for row in rows]


@dataclass
class Resolution:
    option: Option | None = None
    error: str | None = None


def resolve(picker, user, raw_id: str | None, text: str | None, params: dict, *,
            active_only: bool = True) -> Resolution:
    """What a submitted picker means: the hidden id if it is the user's to choose and the text still names
    it, else the typed text matched exactly; an error names the candidates so the user can be precise."""
    raw_id = (raw_id or "").strip()
    chosen = None
    if raw_id:
        chosen = get(picker, user, raw_id, params, active_only=active_only)
        if chosen is None:
            return Resolution(error=_("所选%(noun)s不存在或不在您的权限范围内。", noun=picker.noun()))
    if text is None:  # a link carrying only the id (?company=3)
        return Resolution(option=chosen)
    text = text.strip()
    if not text:
        return Resolution()
    if chosen is not None and text in (chosen.name, chosen.label):
        return Resolution(option=chosen)
    found = exact(picker, user, text, params, active_only=active_only)
    if len(found) == 1:
        return Resolution(option=found[0])
    if found:
        return Resolution(error=_("找到多个%(noun)s：%(names)s。请输入更完整的名称，或选择其中一项。",
                                  noun=picker.noun(), names=_names(found)))
    similar = search(picker, user, text, params, limit=CANDIDATES_SHOWN + 1)
    if similar:
        return Resolution(error=_("没有名称为“%(text)s”的%(noun)s。相近的有：%(names)s。请输入完整名称。",
                                  text=text, noun=picker.noun(), names=_names(similar)))
    return Resolution(error=_("没有找到“%(text)s”对应的%(noun)s，请检查输入。", text=text, noun=picker.noun()))


def _names(options: list[Option]) -> str:
    shown = "、".join(option.label for option in options[:CANDIDATES_SHOWN])
    return _("%(names)s 等", names=shown) if len(options) > CANDIDATES_SHOWN else shown
