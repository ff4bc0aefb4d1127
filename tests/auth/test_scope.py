"""The scoping helper as a matrix: role × object × read/write → 200 / 403 / 404."""
from __future__ import annotations

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden, NotFound

from supervision.auth import scope
from supervision.auth.models import User
from supervision.auth.roles import BUREAU
from supervision.companies.models import Company, Staff
from supervision.estates.models import Estate
from supervision.extensions import db

from ..factories import gen_position, gen_staff

ROLES = ["admin", "officer", "leader", "street_user", "company_user"]

# (object, expected for each role in ROLES when reading): True visible, False 404.
READ = {
    "estate1": [True, True, True, True, True],       # street1, company1
    "estate2": [True, True, True, False, False],     # street2, company2
    "company1": [True, True, True, True, True],      # manages an estate in street1
    "company2": [True, True, True, False, False],
    "staff1": [True, True, True, True, True],        # company1, works at estate1
    "staff2": [True, True, True, False, False],
}
MODELS = {"estate": Estate, "company": Company, "staff": Staff}


def _outcome(call) -> int:
    try:
        call()
    except NotFound:
        return 404
    except Forbidden:
        return 403
    return 200


@pytest.fixture
def objects(world):
    position = gen_position()
    world.staff1 = gen_staff(world.company1, position, world.estate1)
    world.staff2 = gen_staff(world.company2, position, world.estate2)
    return world


@pytest.mark.parametrize("name", sorted(READ))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_read_matrix(app, objects, name, role_index, role):
    user = getattr(objects, role)
    obj = getattr(objects, name)
    model = MODELS[name.rstrip("12")]
    with app.test_request_context():
        login_user(user)
        expected = 200 if READ[name][role_index] else 404
        assert _outcome(lambda: scope.load(model, obj.id)) == expected
        ids = set(db.session.scalars(scope.visible(model).with_only_columns(model.id)))
        assert (obj.id in ids) is READ[name][role_index]


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_write_needs_a_bureau_role(app, objects, role_index, role):
    """Editing an estate is the bureau's: visible-but-forbidden is 403, invisible is 404."""
    user = getattr(objects, role)
    with app.test_request_context():
        login_user(user)
        own = _outcome(lambda: scope.load(Estate, objects.estate1.id, roles=BUREAU))
        other = _outcome(lambda: scope.load(Estate, objects.estate2.id, roles=BUREAU))
    if user.role in BUREAU:
        assert (own, other) == (200, 200)
    elif role == "leader":
        assert (own, other) == (403, 403)
    else:
        assert (own, other) == (403, 404)


def test_users_are_visible_to_admin_only(app, world):
    for user, expected in [(world.admin, 7), (world.officer, 1), (world.street_user, 1)]:
        with app.test_request_context():
            login_user(user)
            ids = set(db.session.scalars(scope.visible(User).with_only_columns(User.id)))
            assert len(ids) == expected and user.id in ids


ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/regions/", "/admin/audit/"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_answer_403_to_other_roles(login_as, world, path, role):
    response = login_as(getattr(world, role)).get(path)
    assert response.status_code == (200 if role == "admin" else 403)


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_unknown_user_id_answers_404(login_as, world):
    assert login_as(world.admin).get("/admin/users/99999/edit").status_code == 404
