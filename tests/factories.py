"""Plain ``gen_*`` functions that build rows for tests (CTFd style).

Each adds to the session and flushes; ``build_world`` commits.
"""
from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from supervision.auth.models import User
from supervision.auth.passwords import hash_password
from supervision.auth.roles import Role
from supervision.companies.credit_code import make_credit_code
from supervision.companies.models import Certificate, CertificateType, Company, Position, Staff
from supervision.estates.models import Estate, ManagementMode
from supervision.extensions import db
from supervision.regions.models import Community, District, Street

DEFAULT_PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def gen_district(**kw) -> District:
    n = _n()
    return _add(District(name=kw.pop("name", f"测试区{n}"),
                         bureau_name=kw.pop("bureau_name", f"测试区{n}住房和城乡建设局"), **kw))


def gen_street(district=None, **kw) -> Street:
    district = district or gen_district()
    return _add(Street(district_id=district.id, name=kw.pop("name", f"街道{_n()}"), **kw))


def gen_community(street=None, **kw) -> Community:
    street = street or gen_street()
    return _add(Community(street_id=street.id, name=kw.pop("name", f"社区{_n()}"), **kw))


def credit_code_for(n: int) -> str:
    return make_credit_code(f"91110000MA{n:07d}")


def gen_company(**kw) -> Company:
    n = _n()
    return _add(Company(name=kw.pop("name", f"测试物业服务有限公司{n}"),
                        credit_code=kw.pop("credit_code", credit_code_for(n)), **kw))


def gen_estate(street=None, community=None, company=None, **kw) -> Estate:
    if community is None:
        community = gen_community(street)
    street_id = community.street_id
    kw.setdefault("management_mode", ManagementMode.PROFESSIONAL if company else ManagementMode.NONE)
    kw.setdefault("households", 500)
    kw.setdefault("floor_area", Decimal("50000"))
    return _add(Estate(name=kw.pop("name", f"测试小区{_n()}"), address=kw.pop("address", "测试路1号"),
                       street_id=street_id, community_id=community.id,
                       company_id=company.id if company else None, **kw))


def gen_user(role: Role = Role.BUREAU_OFFICER, *, street=None, company=None, password=DEFAULT_PASSWORD, **kw) -> User:
    n = _n()
    if role is Role.STREET_OFFICER and street is None:
        street = gen_street()
    if role is Role.COMPANY_USER and company is None:
        company = gen_company()
    return _add(User(
        username=kw.pop("username", f"{role.value}{n}"), display_name=kw.pop("display_name", f"用户{n}"),
        role=role, street_id=street.id if street and role is Role.STREET_OFFICER else None,
        company_id=company.id if company and role is Role.COMPANY_USER else None,
        password_hash=hash_password(password), **kw))


def gen_certificate_type(code=None, **kw) -> CertificateType:
    n = _n()
    return _add(CertificateType(code=code or f"cert{n}", name=kw.pop("name", f"证书{n}"), **kw))


def gen_position(code=None, requires=(), is_manager=False, **kw) -> Position:
    n = _n()
    position = Position(code=code or f"pos{n}", name=kw.pop("name", f"岗位{n}"), is_manager=is_manager, **kw)
    position.required_certificates = list(requires)
    return _add(position)


def gen_staff(company, position, estate=None, **kw) -> Staff:
    return _add(Staff(company_id=company.id, position_id=position.id, estate_id=estate.id if estate else None,
                      name=kw.pop("name", f"员工{_n()}"), **kw))


def gen_certificate(staff, certificate_type, *, expires_on: date | None = None, **kw) -> Certificate:
    return _add(Certificate(staff_id=staff.id, certificate_type_id=certificate_type.id,
                            number=kw.pop("number", f"NO{_n():06d}"), expires_on=expires_on, **kw))


def build_world() -> SimpleNamespace:
    """Two streets, each with a community, a company and an estate; a user per role."""
    district = gen_district(name="测试区", bureau_name="测试区住房和城乡建设局")
    street1 = gen_street(district, name="东城街道")
    street2 = gen_street(district, name="西城街道")
    community1 = gen_community(street1, name="东风社区")
    community2 = gen_community(street2, name="西湖社区")
    company1 = gen_company(name="甲物业服务有限公司")
    company2 = gen_company(name="乙物业服务有限公司")
    estate1 = gen_estate(community=community1, company=company1, name="阳光小区")
    estate2 = gen_estate(community=community2, company=company2, name="月亮小区")
    world = SimpleNamespace(
        district=district, street1=street1, street2=street2, community1=community1, community2=community2,
        company1=company1, company2=company2, estate1=estate1, estate2=estate2,
        admin=gen_user(Role.BUREAU_ADMIN, username="admin"),
        officer=gen_user(Role.BUREAU_OFFICER, username="officer"),
        leader=gen_user(Role.LEADER, username="leader"),
        street_user=gen_user(Role.STREET_OFFICER, street=street1, username="street1"),
        street2_user=gen_user(Role.STREET_OFFICER, street=street2, username="street2"),
        company_user=gen_user(Role.COMPANY_USER, company=company1, username="company1"),
        company2_user=gen_user(Role.COMPANY_USER, company=company2, username="company2"),
    )
    db.session.commit()
    return world
