"""Maintaining the region tree. Names are unique among siblings."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit.services import record, record_change, snapshot
from ..core.errors import DomainError
from ..core.pagination import paginate
from ..estates.models import Estate
from ..extensions import db
from .models import Community, District, Street


def bureau_name(district: District | None = None) -> str:
    """The issuing bureau printed on every official document (rectification notices, acceptance
    records, credit reports and notices, the weekly bulletin, the monthly report): the district's
    ``bureau_name``; 区住房和城乡建设局 when none is set. The app serves one district's bureau: a
    caller that has read the district row passes it (no query)."""
    if district is not None:
        name = district.bureau_name
    else:
        name = db.session.scalar(select(District.bureau_name).order_by(District.id).limit(1))
    return (name or "").strip() or _("区住房和城乡建设局")


def _check_unique(model, parent_column, parent_id, name, exclude_id=None):
    statement = select(model.id).where(parent_column == parent_id, func.lower(model.name) == name.lower())
    if exclude_id:
        statement = statement.where(model.id != exclude_id)
    if db.session.scalar(statement):
        raise DomainError(_("同一上级下已有名为“%(name)s”的区域。", name=name), field="name")


def update_district(district: District, *, name, code, bureau_name) -> District:
    before = snapshot(district, ["name", "code", "bureau_name"])
    district.name, district.code, district.bureau_name = name.strip(), code or None, bureau_name.strip()
    record_change("district.update", district, before)
    return district


def create_street(district: District, *, name, code=None, active=True) -> Street:
    name = name.strip()
    _check_unique(Street, Street.district_id, district.id, name)
    street = Street(district_id=district.id, name=name, code=code or None, active=active)
    db.session.add(street)
    record("street.create", street, after=snapshot(street))
    return street


def update_street(street: Street, *, name, code=None, active=True) -> Street:
    name = name.strip()
    _check_unique(Street, Street.district_id, street.district_id, name, exclude_id=street.id)
    before = snapshot(street, ["name", "code", "active"])
    street.name, street.code, street.active = name, code or None, active
    record_change("street.update", street, before)
    return street


def create_community(street: Street, *, name, code=None, active=True) -> Community:
    name = name.strip()
    _check_unique(Community, Community.street_id, street.id, name)
    community = Community(street_id=street.id, name=name, code=code or None, active=active)
    db.session.add(community)
    record("community.create", community, after=snapshot(community))
    return community


def update_community(community: Community, *, name, code=None, active=True) -> Community:
    name = name.strip()
    _check_unique(Community, Community.street_id, community.street_id, name, exclude_id=community.id)
    before = snapshot(community, ["name", "code", "active"])
    community.name, community.code, community.active = name, code or None, active
    record_change("community.update", community, before)
    return community


COMMUNITIES_SHOWN = 12  # per street on the tree page; a street's full list is paged (``street_communities``)


def district_tree(shown: int = COMMUNITIES_SHOWN):
    """Districts with their streets; per street its first ``shown`` communities (by name), how many it
    has, and the number of estates in each community shown. A district has thousands of communities:
    listing them all made the page 682 KB at 100×."""
    districts = db.session.scalars(
        select(District).options(selectinload(District.streets)).order_by(District.name)).all()
    place = func.row_number().over(partition_by=Community.street_id,
                                   order_by=(Community.name_sort, Community.id)).label("place")
    first = select(Community.id, place).subquery()
    communities = db.session.scalars(
        select(Community).join(first, first.c.id == Community.id).where(first.c.place <= shown)
        .order_by(Community.street_id, Community.name_sort, Community.id)).all()
    by_street: dict[int, list[Community]] = {}
    for community in communities:
        by_street.setdefault(community.street_id, []).append(community)
    totals = dict(db.session.execute(select(Community.street_id, func.count(Community.id))
                                     .group_by(Community.street_id)).all())
    return districts, by_street, totals, estate_counts([community.id for community in communities])


def street_communities(street: Street):
    """A page of one street's communities (by name) and the number of estates in each."""
    page = paginate(select(Community).where(Community.street_id == street.id)
                    .order_by(Community.name_sort, Community.id))
    return page, estate_counts([community.id for community in page.items])


def estate_counts(community_ids: list[int]) -> dict[int, int]:
    if not community_ids:
        return {}
    return dict(db.session.execute(select(Estate.community_id, func.count(Estate.id))
                                   .where(Estate.community_id.in_(community_ids))
                                   .group_by(Estate.community_id)).all())
