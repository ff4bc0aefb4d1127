"""A district for the API tests: the world, staff with a certificate, a running campaign with
estate1 (street1, company1) enrolled, an item, the company's self-inspection started, street1's
weekly report of this week, and the credit rules; a bearer token per user."""
from __future__ import annotations

from datetime import timedelta

import pytest

from supervision.api.models import ApiToken
from supervision.api.services import _hash, create_token
from supervision.auth.roles import Role
from supervision.core.timeutil import utcnow
from supervision.extensions import db


@pytest.fixture
def district(world):
    from supervision.campaigns.services import self_inspection as si_service
    from supervision.reports.weeks import Week
    from tests.campaigns.factories import enrol, gen_campaign, gen_item
    from tests.companies.factories import gen_certified, gen_reference
    from tests.credit.factories import rules
    from tests.reports.factories import gen_report

    reference = gen_reference()
    world.staff = gen_certified(world.company1, reference.electrician, reference.electrician_cert, world.estate1)
    world.staff2 = gen_certified(world.company2, reference.electrician, reference.electrician_cert, world.estate2)
    world.campaign = gen_campaign(world)
    (world.enrolment,) = enrol(world.campaign, world.estate1, actor=world.officer)
    world.item = gen_item(world.enrolment, actor=world.officer)
    world.self_inspection = si_service.start(world.enrolment, actor=world.company_user)
    world.week = Week.current()
    world.report = gen_report(world.campaign, world.street1, world.week)
    rules()
    db.session.commit()
    return world


@pytest.fixture
def bearer():
    """``bearer(user)``: the headers of a fresh token of ``user``."""
    tokens = {}

    def headers(user) -> dict:
        if user.id not in tokens:
            if user.role is Role.LEADER:
                # Leaders cannot create tokens (read-only accounts); a token written directly still
                # shows that the API gives a leader the leader's scope, should one ever exist.
                plain = "wyjg_leader-" + user.username
                db.session.add(ApiToken(user_id=user.id, name="测试", prefix=plain[:12], token_hash=_hash(plain),
                                        expires_at=utcnow() + timedelta(days=1)))
            else:
                _token, plain = create_token(user, name="测试", days=5)
            db.session.commit()
            tokens[user.id] = plain
        return {"Authorization": f"Bearer {tokens[user.id]}"}

    return headers
