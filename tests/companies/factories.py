"""Factories for companies, staff and certificates (reuse ``tests.factories``' ``gen_*``)."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from supervision.extensions import db

from ..factories import gen_certificate, gen_certificate_type, gen_company, gen_position, gen_staff  # noqa: F401


def gen_reference() -> SimpleNamespace:
    """A small version of seeds/reference/certificates.json.

    manager (is_manager) accepts the manager certificate or the practice certificate;
    electrician needs the electrician licence; cleaner needs nothing.
    """
    manager_cert = gen_certificate_type("pm_manager", name="物业管理企业经理岗位证书")
    practice_cert = gen_certificate_type("pm_practice", name="物业管理实务操作专业岗位证书")
    electrician_cert = gen_certificate_type("electrician_low", name="低压电工证", validity_years=6)
    manager = gen_position("project_manager", name="项目经理", is_manager=True,
                           requires=[manager_cert, practice_cert], sort_order=1)
    electrician = gen_position("electrician", name="电工", requires=[electrician_cert], sort_order=2)
    cleaner = gen_position("cleaner", name="保洁员", sort_order=3)
    db.session.flush()
    return SimpleNamespace(manager_cert=manager_cert, practice_cert=practice_cert,
                           electrician_cert=electrician_cert, manager=manager, electrician=electrician,
                           cleaner=cleaner)


def gen_certified(company, position, cert_type, estate=None, *, expires_on: date | None = None,
                  issued_on: date | None = None, **kw):
    """A staff member with one certificate."""
    staff = gen_staff(company, position, estate, **kw)
    gen_certificate(staff, cert_type, expires_on=expires_on, issued_on=issued_on)
    return staff
