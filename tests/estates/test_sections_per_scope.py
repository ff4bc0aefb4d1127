"""The estate page's statements are built once per shape of user and still scoped to each user."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from supervision.contracts.models import FilingStatus, ServiceContract
from supervision.estates.models import Estate
from supervision.estates.sections import PerScope
from supervision.extensions import db
from tests.contracts.factories import gen_contract


def test_per_scope_builds_once_per_shape_and_binds_each_users_street_and_company(world):
    built = []

    def build(user):
        built.append(user)
        return select(Estate.id).where(Estate.scope_clause(user)).order_by(Estate.id)

    statements = PerScope(build)

    def visible(user):
        return db.session.scalars(statements(user), PerScope.params(user)).all()

    assert visible(world.street_user) == [world.estate1.id]
    assert visible(world.street2_user) == [world.estate2.id]
    assert visible(world.company_user) == [world.estate1.id]
    assert visible(world.company2_user) == [world.estate2.id]
    assert visible(world.officer) == sorted([world.estate1.id, world.estate2.id])
    assert statements(world.street_user) is statements(world.street2_user)
    assert len(built) == 3  # street, company, district: one statement each


def test_estate_page_sections_keep_to_the_users_scope(login_as, world):
    gen_contract(world.estate1, status=FilingStatus.FILED, starts_on=date(2024, 1, 1), ends_on=date(2099, 12, 31))
    db.session.commit()
    contract = db.session.scalars(select(ServiceContract).where(ServiceContract.estate_id == world.estate1.id)).one()
    url = f"/estates/{world.estate1.id}"
    # The street office of the estate and its company see it; the other street's office and company do not.
    assert login_as(world.street_user).get(url).status_code == 200
    assert login_as(world.company_user).get(url).status_code == 200
    assert login_as(world.street2_user).get(url).status_code == 404
    assert login_as(world.company2_user).get(url).status_code == 404
    # The contracts section lists the contract for those who see it (the cached statement binds their street).
    html = login_as(world.street_user).get(url).get_data(as_text=True)
    assert f"/contracts/{contract.id}" in html
