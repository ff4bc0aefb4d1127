"""The street kept on each staff member (``street_id``, a copy of their estate's, ``estates.street_copy``): set when
the row is written, moved with the person and with the estate, and the street's certification drill-down that walks
it lists the same people as the estate's street decides — other streets' and companies' staff all around."""
from __future__ import annotations

from sqlalchemy import select

from supervision.companies import services
from supervision.companies.models import Staff
from supervision.estates.models import Estate
from supervision.estates.services import update_estate
from supervision.extensions import db
from tests.factories import gen_certificate_type, gen_estate, gen_position, gen_staff

from ..plans import request_plans


def _street_of(staff_id: int) -> int | None:
    return db.session.execute(select(Staff.street_id).where(Staff.id == staff_id)).scalar_one()


def _uncertified(world):
    """A manager post that needs a certificate, and a person without one on each street's estate and at a head
    office."""
    cert_type = gen_certificate_type()
    post = gen_position(requires=(cert_type,), is_manager=True)
    db.session.commit()
    people = {"east": gen_staff(world.company1, post, world.estate1, name="东城经理"),
              "west": gen_staff(world.company2, post, world.estate2, name="西城经理"),
              "office": gen_staff(world.company1, post, None, name="总部经理")}
    db.session.commit()
    return post, people


def test_a_staff_member_gets_the_estate_s_street_and_keeps_it_as_they_move(world):
    post, people = _uncertified(world)
    assert _street_of(people["east"].id) == world.street1.id
    assert _street_of(people["west"].id) == world.street2.id
    assert _street_of(people["office"].id) is None
    made = services.create_staff(world.company2, {"name": "新人", "position_id": post.id,
                                                  "estate_id": world.estate2.id}, actor=world.officer)
    db.session.commit()
    assert _street_of(made.id) == world.street2.id
    east = gen_estate(community=world.community1, company=world.company2, name="东城二期")  # its company's, street 1
    db.session.commit()
    services.update_staff(made, {"estate_id": east.id}, actor=world.officer)
    db.session.commit()
    assert _street_of(made.id) == world.street1.id
    services.update_staff(made, {"estate_id": None}, actor=world.officer)
    db.session.commit()
    assert _street_of(made.id) is None


def test_an_estate_that_moves_street_takes_its_staff(world):
    _post, people = _uncertified(world)
    other = gen_estate(community=world.community1, company=world.company1, name="留下小区")
    stays = gen_staff(world.company1, people["east"].position, other, name="留下经理")
    db.session.commit()
    update_estate(world.estate1, {"community_id": world.community2.id}, actor=world.officer)
    db.session.commit()
    assert _street_of(people["east"].id) == world.street2.id
    assert _street_of(stays.id) == world.street1.id
    estate = db.session.get(Estate, world.estate1.id)
    estate.street_id, estate.community_id = world.street1.id, world.community1.id
    db.session.commit()
    assert _street_of(people["east"].id) == world.street1.id


def test_a_street_s_certification_drill_down_lists_its_own_staff_and_follows_an_estate_s_move(world, login_as):
    _uncertified(world)

    def listed(user, code="manager_cert") -> set[str]:
        html = login_as(user).get(f"/targets/{code}/gap").get_data(as_text=True)
        return {name for name in ("东城经理", "西城经理", "总部经理") if name in html}

    assert listed(world.street_user) == {"东城经理"}
    assert listed(world.street2_user) == {"西城经理"}
    assert listed(world.street_user, "staff_cert") == {"东城经理"}
    assert listed(world.officer) == {"东城经理", "西城经理", "总部经理"}
    update_estate(world.estate1, {"community_id": world.community2.id}, actor=world.officer)
    db.session.commit()
    assert listed(world.street_user) == set()
    assert listed(world.street2_user) == {"东城经理", "西城经理"}


def test_a_street_s_certification_drill_down_walks_its_street_index(sqlite_only, world, login_as):
    _uncertified(world)
    for code in ("manager_cert", "staff_cert"):
        plans = request_plans(login_as(world.street_user), f"/targets/{code}/gap", "FROM staff")
        keys = [plan for plan in plans if "ix_staff_street_company_name_sort" in plan]
        assert keys and all("TEMP B-TREE" not in plan for plan in keys), (code, plans)
