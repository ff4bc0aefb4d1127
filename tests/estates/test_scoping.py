"""The registries' scoping matrix: every role × object × read/write, through the pages.

Rules (README of the feature, views' docstrings):
- bureau (admin, officer): everything; leader: reads everything, writes nothing;
- street officer: reads the estates of their street and the companies managing them, and
  maintains those estates' owners' committees;
- company user: reads the estates they manage and their own company; maintains their own
  staff and certificates.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from supervision.estates.models import Estate, OwnersCommittee
from supervision.extensions import db

from ..companies.factories import gen_certified, gen_reference

ROLES = ["admin", "officer", "leader", "street_user", "company_user"]


@pytest.fixture
def objects(world):
    ref = gen_reference()
    world.staff1 = gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1)
    world.staff2 = gen_certified(world.company2, ref.electrician, ref.electrician_cert, world.estate2)
    world.cert1 = world.staff1.certificates[0]
    world.cert2 = world.staff2.certificates[0]
    db.session.commit()
    return world


# path template → expected status for admin, officer, leader, street_user (street1), company_user (company1)
READING = {
    "/estates/": (200, 200, 200, 200, 200),
    "/estates/{estate1}": (200, 200, 200, 200, 200),
    "/estates/{estate2}": (200, 200, 200, 404, 404),
    "/estates/committees": (200, 200, 200, 200, 403),
    "/estates/export.xlsx": (200, 200, 200, 200, 200),
    "/companies/": (200, 200, 200, 200, 403),
    "/companies/export.xlsx": (200, 200, 200, 200, 403),
    "/companies/{company1}": (200, 200, 200, 200, 200),
    "/companies/{company2}": (200, 200, 200, 404, 404),
    "/companies/mine": (403, 403, 403, 403, 200),
    "/companies/staff": (200, 200, 200, 403, 200),
    "/companies/staff/{staff1}": (200, 200, 200, 200, 200),
    "/companies/staff/{staff2}": (200, 200, 200, 404, 404),
}
ESTATE_WRITES = {
    # estates: the bureau's to edit
    "/estates/new": (200, 200, 403, 403, 403),
    "/estates/{estate1}/edit": (200, 200, 403, 403, 403),
    "/estates/{estate2}/edit": (200, 200, 403, 404, 404),
    "/estates/{estate1}/archive": (200, 200, 403, 403, 403),
    "/estates/import": (200, 200, 403, 403, 403),
    "/estates/import/template.xlsx": (200, 200, 403, 403, 403),
    # committees: the bureau and the estate's street office
    "/estates/{estate1}/committee/new": (200, 200, 403, 200, 403),
    "/estates/{estate2}/committee/new": (200, 200, 403, 404, 404),
}
COMPANY_WRITES = {
    # companies: the bureau's to edit
    "/companies/new": (200, 200, 403, 403, 403),
    "/companies/{company1}/edit": (200, 200, 403, 403, 403),
    "/companies/{company2}/edit": (200, 200, 403, 404, 404),
    "/companies/{company1}/archive": (200, 200, 403, 403, 403),
    "/companies/import": (200, 200, 403, 403, 403),
    # staff and certificates: the company's own, the bureau may correct
    "/companies/staff/new": (404, 404, 403, 403, 200),  # the bureau must say for which company
    "/companies/staff/new?company_id={company1}": (200, 200, 403, 403, 200),
    "/companies/staff/{staff1}/edit": (200, 200, 403, 403, 200),
    "/companies/staff/{staff2}/edit": (200, 200, 403, 404, 404),
    "/companies/staff/{staff1}/leave": (200, 200, 403, 403, 200),
    "/companies/staff/{staff1}/certificates/new": (200, 200, 403, 403, 200),
    "/companies/certificates/{cert1}/edit": (200, 200, 403, 403, 200),
    "/companies/certificates/{cert2}/edit": (200, 200, 403, 404, 404),
    "/companies/certificates/{cert2}/delete": (200, 200, 403, 404, 404),
}


def _path(template, w):
    return template.format(estate1=w.estate1.id, estate2=w.estate2.id, company1=w.company1.id,
                           company2=w.company2.id, staff1=w.staff1.id, staff2=w.staff2.id, cert1=w.cert1.id,
                           cert2=w.cert2.id)


MATRIX = {"reading": READING, "estate_writes": ESTATE_WRITES, "company_writes": COMPANY_WRITES}


@pytest.mark.parametrize("part", sorted(MATRIX))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_matrix(login_as, objects, role_index, role, part):
    client = login_as(getattr(objects, role))
    outcome = {template: client.get(_path(template, objects)).status_code for template in MATRIX[part]}
    expected = {template: codes[role_index] for template, codes in MATRIX[part].items()}
    assert outcome == expected


def _listed(html, prefix):
    return set(re.findall(rf'href="/{prefix}/(\d+)"', html))


@pytest.mark.parametrize("role, estates, companies", [
    ("officer", {"estate1", "estate2"}, {"company1", "company2"}),
    ("leader", {"estate1", "estate2"}, {"company1", "company2"}),
    ("street_user", {"estate1"}, {"company1"}),
    ("street2_user", {"estate2"}, {"company2"}),
    ("company_user", {"estate1"}, None),
    ("company2_user", {"estate2"}, None),
])
def test_lists_show_only_what_is_in_scope(login_as, objects, role, estates, companies):
    client = login_as(getattr(objects, role))
    listed = _listed(client.get("/estates/").get_data(as_text=True), "estates")
    assert listed == {str(getattr(objects, name).id) for name in estates}
    if companies is not None:
        listed = _listed(client.get("/companies/").get_data(as_text=True), "companies")
        assert listed == {str(getattr(objects, name).id) for name in companies}


def test_company_users_see_only_their_staff(login_as, objects):
    html = login_as(objects.company_user).get("/companies/staff?status=all").get_data(as_text=True)
    assert set(re.findall(r'href="/companies/staff/(\d+)"', html)) == {str(objects.staff1.id)}


def test_street_filter_choices_are_limited_to_the_own_street(login_as, objects):
    html = login_as(objects.street_user).get("/estates/").get_data(as_text=True)
    assert "东城街道" in html and "西城街道" not in html


def test_forbidden_posts_change_nothing(login_as, objects):
    estate = objects.estate1
    assert login_as(objects.company_user).post(f"/estates/{estate.id}/edit", data={
        "name": "改名", "version": estate.version}).status_code == 403
    assert login_as(objects.leader).post(f"/estates/{estate.id}/archive", data={
        "reason": "x", "version": estate.version}).status_code == 403
    assert login_as(objects.street_user).post(f"/estates/{objects.estate2.id}/committee/new", data={
        "status": "preparing", "prep_group_on": "2026-01-05"}).status_code == 404
    assert login_as(objects.company_user).post(f"/companies/staff/{objects.staff2.id}/edit", data={
        "name": "改名", "position_id": objects.staff2.position_id, "version": objects.staff2.version,
    }).status_code == 404
    db.session.expire_all()
    assert (db.session.get(Estate, estate.id).name == "阳光小区"
            and db.session.get(Estate, estate.id).archived_at is None)
    assert db.session.scalar(select(OwnersCommittee.id)) is None
    assert objects.staff2.name != "改名"


def test_street_office_files_its_committee(login_as, objects):
    client = login_as(objects.street_user)
    response = client.post(f"/estates/{objects.estate1.id}/committee/new", data={
        "status": "preparing", "prep_group_on": "2026-01-05", "term_years": "5"})
    assert response.status_code == 302
    committee = db.session.scalar(select(OwnersCommittee))
    assert committee.estate_id == objects.estate1.id
