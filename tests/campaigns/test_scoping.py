"""Scoping: companies and streets see and act on their own rows only; leaders only read."""
from __future__ import annotations

import pytest

from supervision.auth import scope
from supervision.campaigns.models import (
    Campaign,
    CampaignStatus,
    Enrolment,
    ItemState,
    RectificationItem,
    ResponsibleParty,
)
from supervision.extensions import db

from . import factories as f


@pytest.fixture
def scoped(running):
    w = running
    w.item1 = f.gen_item(w.enrolment1, actor=w.officer)  # company1, street1
    w.item2 = f.gen_item(w.enrolment2, actor=w.officer)  # company2, street2
    w.street_item2 = f.gen_item(w.enrolment2, actor=w.officer, party=ResponsibleParty.STREET)
    db.session.commit()
    return w


def _visible_ids(app, user, model):
    from flask_login import login_user

    with app.test_request_context():
        login_user(user)
        return set(db.session.scalars(scope.visible(model).with_only_columns(model.id)))


def test_a_company_cannot_see_or_answer_another_companys_items(app, scoped, login_as):
    w = scoped
    assert _visible_ids(app, w.company_user, RectificationItem) == {w.item1.id}
    client = login_as(w.company_user)
    assert client.get(f"/campaigns/items/{w.item2.id}").status_code == 404
    assert client.post(f"/campaigns/items/{w.item2.id}/start", data={"version": w.item2.version}).status_code == 404
    response = client.post(f"/campaigns/items/{w.item2.id}/answer",
                           data={"version": w.item2.version, "response": "x", "fact_date": "2026-01-01"})
    assert response.status_code == 404
    db.session.refresh(w.item2)
    assert w.item2.state is ItemState.OPEN
    listing = client.get("/campaigns/items").get_data(as_text=True)
    assert f"#{w.item1.id}<" in listing and f"#{w.item2.id}<" not in listing
    export = client.get("/campaigns/items/export.xlsx")
    assert export.status_code == 200
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [w.item1.id]
    # Its own item it may answer.
    assert client.post(f"/campaigns/items/{w.item1.id}/start", data={"version": w.item1.version}).status_code == 302
    db.session.refresh(w.item1)
    assert w.item1.state is ItemState.IN_PROGRESS


def test_a_street_cannot_see_another_streets_enrolments(app, scoped, login_as):
    w = scoped
    assert _visible_ids(app, w.street_user, Enrolment) == {w.enrolment1.id}
    client = login_as(w.street_user)
    assert client.get(f"/campaigns/enrolments/{w.enrolment2.id}").status_code == 404
    assert client.get(f"/campaigns/enrolments/{w.enrolment2.id}/survey").status_code == 404
    assert client.get(f"/campaigns/enrolments/{w.enrolment1.id}").status_code == 200
    listing = client.get(f"/campaigns/{w.campaign.id}/enrolments").get_data(as_text=True)
    assert "阳光小区" in listing and "月亮小区" not in listing
    page = client.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)
    assert "东城街道" in page and "西城街道" not in page
    # The other street's item, even one the street office answers for, stays invisible.
    assert client.get(f"/campaigns/items/{w.street_item2.id}").status_code == 404
    assert login_as(w.street2_user).get(f"/campaigns/items/{w.street_item2.id}").status_code == 200


def test_streets_and_companies_do_not_see_a_campaign_in_preparation(app, world, login_as):
    draft = f.gen_campaign(world, status=CampaignStatus.DRAFT, name="筹备中的行动")
    (_enrolment,) = f.enrol(draft, world.estate1, actor=world.officer)
    db.session.commit()
    for user in (world.street_user, world.company_user):
        assert _visible_ids(app, user, Campaign) == set()
        assert _visible_ids(app, user, Enrolment) == set()
        assert login_as(user).get(f"/campaigns/{draft.id}").status_code == 404
    assert _visible_ids(app, world.leader, Campaign) == {draft.id}


@pytest.mark.parametrize("who", ["leader", "street_user", "company_user"])
def test_only_the_bureau_runs_campaigns(scoped, login_as, who):
    w = scoped
    client = login_as(getattr(w, who))
    assert client.get("/campaigns/new").status_code == 403
    assert client.get(f"/campaigns/{w.campaign.id}/enrol").status_code == 403
    assert client.get(f"/campaigns/enrolments/{w.enrolment1.id}/acceptance").status_code == 403
    html = client.post(f"/campaigns/items/{w.item1.id}/accept", data={"version": w.item1.version},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能变为“已销项”" in html  # visible to all three, refused by the state machine's rules
    db.session.refresh(w.item1)
    assert w.item1.state is ItemState.OPEN


def test_a_leader_reads_everything_and_changes_nothing(scoped, login_as):
    w = scoped
    client = login_as(w.leader)
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 200
    assert client.get(f"/campaigns/items/{w.item2.id}").status_code == 200
    assert client.get("/campaigns/spot-checks").status_code == 200
    client.post(f"/campaigns/items/{w.item2.id}/start", data={"version": w.item2.version})
    db.session.refresh(w.item2)
    assert w.item2.state is ItemState.OPEN


def test_spot_checks_are_for_the_bureau_and_leaders(scoped, login_as):
    assert login_as(scoped.street_user).get("/campaigns/spot-checks").status_code == 403
    assert login_as(scoped.company_user).get("/campaigns/spot-checks").status_code == 403
    assert login_as(scoped.leader).get("/campaigns/spot-checks/new").status_code == 403
