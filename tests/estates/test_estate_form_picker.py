"""The estate form chooses its community with a picker (/pickers/communities), not a drop-down of every
community in the district: it works without JavaScript and costs the same queries however many there are."""
from __future__ import annotations

from sqlalchemy import select

from supervision.estates.models import Estate
from supervision.extensions import db

from ..factories import gen_community
from .test_estate_pages import form_data


def _many_communities(world, n=30, start=0):
    for i in range(start, start + n):
        gen_community(world.street1 if i % 2 else world.street2, name=f"新增社区{i:02d}")
    db.session.commit()


def test_the_form_lists_no_community(world, login_as):
    _many_communities(world)
    client = login_as(world.officer)
    for url in ("/estates/new", f"/estates/{world.estate1.id}/edit"):
        html = client.get(url).get_data(as_text=True)
        assert "新增社区" not in html and "西湖社区" not in html, url
        assert 'data-picker-url="/pickers/communities"' in html and 'name="community_id_text"' in html
    # Editing shows the estate's own community in the box, its id in the hidden field.
    html = client.get(f"/estates/{world.estate1.id}/edit").get_data(as_text=True)
    assert 'name="community_id_text"' in html and 'value="东风社区"' in html
    assert f'id="community_id-value" name="community_id" type="hidden" value="{world.community1.id}"' in html


def test_the_forms_queries_do_not_grow_with_the_communities(world, login_as, count_queries):
    client = login_as(world.officer)
    client.get("/estates/new")
    counts = []
    for round_ in range(2):
        with count_queries() as statements:
            assert client.get("/estates/new").status_code == 200
            assert client.get(f"/estates/{world.estate1.id}/edit").status_code == 200
        counts.append(len(statements))
        _many_communities(world, start=100 * round_)
    assert counts[0] == counts[1]


def test_a_typed_community_is_matched_on_submit_without_javascript(world, login_as):
    client = login_as(world.officer)
    response = client.post("/estates/new", data=form_data(world, community_id="", community_id_text="西湖社区",
                                                          company_id=world.company2.id))
    assert response.status_code == 302
    estate = db.session.scalar(select(Estate).where(Estate.name == "新建花园"))
    assert estate.community_id == world.community2.id and estate.street_id == world.street2.id


def test_a_typed_community_code_is_matched_on_submit(world, login_as):
    world.community2.code = "SQ-0207"
    db.session.commit()
    client = login_as(world.officer)
    response = client.post("/estates/new", data=form_data(world, community_id="", community_id_text="sq-0207",
                                                          company_id=world.company2.id))
    assert response.status_code == 302
    estate = db.session.scalar(select(Estate).where(Estate.name == "新建花园"))
    assert estate.community_id == world.community2.id


def test_an_ambiguous_community_names_the_candidates_and_the_label_chooses(world, login_as):
    twin = gen_community(world.street2, name="东风社区")
    db.session.commit()
    client = login_as(world.officer)
    html = client.post("/estates/new", data=form_data(world, community_id="", community_id_text="东风社区")) \
        .get_data(as_text=True)
    assert "找到多个社区" in html and "东风社区 · 东城街道" in html and "东风社区 · 西城街道" in html
    assert db.session.scalar(select(Estate).where(Estate.name == "新建花园")) is None
    response = client.post("/estates/new", data=form_data(world, community_id="",
                                                          community_id_text="东风社区 · 西城街道"))
    assert response.status_code == 302
    assert db.session.scalar(select(Estate.community_id).where(Estate.name == "新建花园")) == twin.id


def test_a_missing_or_inactive_community_is_refused(world, login_as):
    closed = gen_community(world.street1, name="撤销社区", active=False)
    db.session.commit()
    client = login_as(world.officer)
    html = client.post("/estates/new", data=form_data(world, community_id="", community_id_text="")) \
        .get_data(as_text=True)
    assert "请选择所属社区" in html
    html = client.post("/estates/new", data=form_data(world, community_id=closed.id, community_id_text="撤销社区")) \
        .get_data(as_text=True)
    assert "不存在或不在您的权限范围内" in html
    assert db.session.scalar(select(Estate).where(Estate.name == "新建花园")) is None


def test_the_community_search(world, login_as, client):
    gen_community(world.street1, name="撤销社区", active=False)
    db.session.commit()
    officer = login_as(world.officer)
    options = officer.get("/pickers/communities?q=西湖").get_json()
    assert options == [{"id": world.community2.id, "value": "西湖社区", "label": "西湖社区 · 西城街道", "hint": ""}]
    assert officer.get("/pickers/communities?q=撤销").get_json() == []  # inactive communities are not offered
    assert officer.get(f"/pickers/communities?q=社区&street={world.street1.id}").get_json()[0]["id"] \
        == world.community1.id
    assert [o["id"] for o in officer.get(f"/pickers/communities?q=西湖&street={world.street1.id}").get_json()] == []
    client.get("/logout")
    response = client.get("/pickers/communities?q=西湖")
    assert response.status_code in (302, 401) and "西湖".encode() not in response.data
