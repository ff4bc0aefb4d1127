"""Pickers: the search is scoped to the user, typed text is matched on submit, forged ids are refused,
and list pages no longer carry an option per company."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from supervision.campaigns.models import SpotCheck
from supervision.contracts.models import FilingStatus
from supervision.core.timeutil import local_today
from supervision.credit.models import CreditClue
from supervision.extensions import db
from supervision.pickers import services

from .. import factories as f
from ..campaigns import factories as campaign_factories
from ..contracts.factories import gen_contract
from ..credit.factories import rules


@pytest.fixture
def district(world):
    """The world plus look-alike estates: a 幸福家园 in each street, one more 阳光 estate in street 1."""
    world.happy1 = f.gen_estate(community=world.community1, company=world.company1, name="幸福家园",
                                address="东城幸福路88号")
    world.happy2 = f.gen_estate(community=world.community2, company=world.company2, name="幸福家园",
                                address="西城幸福路2号")
    world.sunny2 = f.gen_estate(community=world.community1, company=world.company1, name="新阳光花园")
    db.session.commit()
    return world


def _values(client, kind, q, **params):
    response = client.get(f"/pickers/{kind}", query_string=dict(params, q=q))
    assert response.status_code == 200 and response.mimetype == "application/json"
    return [option["id"] for option in response.get_json()]


def test_the_search_finds_by_name_address_and_code_within_the_users_scope(district, login_as):
    w = district
    officer = login_as(w.officer)
    assert _values(officer, "estates", "幸福家园") == sorted([w.happy1.id, w.happy2.id])
    assert _values(officer, "estates", "西城幸福路") == [w.happy2.id]  # by address
    assert _values(officer, "estates", "阳光")[0] == w.estate1.id  # a name starting with the text comes first
    assert _values(officer, "companies", w.company2.credit_code) == [w.company2.id]  # by credit code
    option = officer.get("/pickers/estates?q=西城幸福").get_json()[0]
    assert option == {"id": w.happy2.id, "value": "幸福家园", "label": "幸福家园 · 西城街道", "hint": "西城幸福路2号"}
    # A street office finds only its street's estates and companies, a company only its own.
    street = login_as(w.street_user)
    assert _values(street, "estates", "月亮") == [] and _values(street, "estates", "幸福") == [w.happy1.id]
    assert _values(street, "companies", "乙物业") == [] and _values(street, "companies", "甲物业") == [w.company1.id]
    company = login_as(w.company_user)
    assert _values(company, "estates", "月亮") == [] and _values(company, "estates", "幸福") == [w.happy1.id]
    assert _values(company, "companies", "乙物业") == []
    # "all" (choosing the company to assign) widens the bureau's and streets' choice, never a company's.
    assert _values(street, "companies", "乙物业", all=1) == [w.company2.id]
    assert _values(company, "companies", "乙物业", all=1) == []
    # Narrowing parameters and wildcards in the text.
    assert _values(officer, "estates", "幸福", street=w.street2.id) == [w.happy2.id]
    assert _values(officer, "estates", "%") == [] and _values(officer, "estates", "") == []


def test_the_search_needs_a_login(district, client):
    response = client.get("/pickers/estates?q=幸福")
    assert response.status_code in (302, 401) and b"happy" not in response.data
    assert b"\xe5\xb9\xb8" not in response.data  # no 幸 of an estate name in any answer


def _spot_check(client, **fields):
    data = {"checked_on": local_today().isoformat(), "summary": "夜间抽查"}
    data.update(fields)
    return client.post("/campaigns/spot-checks/new", data=data)


def test_typed_text_is_matched_on_submit_without_javascript(district, login_as):
    w = district
    officer = login_as(w.officer)
    response = _spot_check(officer, estate_id="", estate_id_text="月亮小区")
    assert response.status_code == 302
    assert db.session.scalar(select(SpotCheck.estate_id)) == w.estate2.id
    # A listed label ("名称 · 街道") names one of two estates of the same name.
    assert _spot_check(officer, estate_id="", estate_id_text="幸福家园 · 西城街道").status_code == 302
    assert db.session.scalar(select(func.max(SpotCheck.estate_id))) == w.happy2.id


def test_ambiguous_or_unknown_text_lists_candidates_and_keeps_the_text(district, login_as):
    w = district
    officer = login_as(w.officer)
    page = _spot_check(officer, estate_id="", estate_id_text="幸福家园", summary="我写的抽查情况")
    page = page.get_data(as_text=True)
    assert "找到多个小区" in page and "幸福家园 · 东城街道" in page and "幸福家园 · 西城街道" in page
    assert 'value="幸福家园"' in page and "我写的抽查情况" in page  # nothing typed is lost
    assert 'aria-invalid="true"' in page
    page = _spot_check(officer, estate_id="", estate_id_text="阳光").get_data(as_text=True)
    assert "没有名称为“阳光”的小区" in page and "阳光小区 · 东城街道" in page
    assert db.session.scalar(select(func.count(SpotCheck.id))) == 0


def test_a_forged_id_outside_the_scope_is_refused(district, login_as):
    w = district
    rules()
    db.session.commit()
    street = login_as(w.street_user)
    response = street.post("/credit/clues/new", data={
        "estate_id": w.estate2.id, "estate_id_text": "月亮小区", "occurred_on": "2026-11-02",
        "description": "跨街道报送的线索，应被拒绝。"})
    assert response.status_code == 200 and "不在您的权限范围内" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(CreditClue.id))) == 0
    # A company editing its contract cannot make another company its party.
    contract = gen_contract(w.estate1, status=FilingStatus.SUBMITTED)
    db.session.commit()
    company = login_as(w.company_user)
    response = company.post(f"/contracts/{contract.id}/edit", data={
        "company_id": w.company2.id, "owner_party": "业主委员会", "starts_on": "2026-01-01", "ends_on": "2028-12-31",
        "version": contract.version}, content_type="multipart/form-data")
    assert response.status_code == 200 and "不在您的权限范围内" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(contract), contract.id).company_id == w.company1.id


def test_the_resolution_rules(district, app):
    w = district
    picker = services.PICKERS["companies"]
    assert services.resolve(picker, w.officer, None, w.company2.credit_code.lower(), {}).option.id == w.company2.id
    assert services.resolve(picker, w.officer, str(w.company1.id), None, {}).option.id == w.company1.id  # a link
    assert services.resolve(picker, w.officer, str(w.company1.id), "", {}).option is None  # cleared
    # The text wins over a hidden id it no longer names (no JavaScript to clear the id).
    assert services.resolve(picker, w.officer, str(w.company1.id), "乙物业服务有限公司", {}).option.id == w.company2.id
    assert services.resolve(picker, w.company_user, str(w.company2.id), None, {}).error
    assert services.resolve(picker, w.officer, "99999999999", None, {}).error


def test_the_items_list_has_no_option_per_company(world, login_as):
    for n in range(150):
        f.gen_company(name=f"批量物业公司{n:03d}")
    db.session.commit()
    officer = login_as(world.officer)
    page = officer.get("/campaigns/items").get_data(as_text=True)
    assert "批量物业公司" not in page and len(re.findall(r"<option", page)) < 60
    assert 'data-picker-url="/pickers/companies"' in page and 'role="combobox"' in page
    # A link that names a company (?company=N) still filters by it and shows its name.
    linked = officer.get(f"/campaigns/items?company={world.company2.id}").get_data(as_text=True)
    assert f'id="company-value" name="company" type="hidden" value="{world.company2.id}"' in linked
    assert 'value="乙物业服务有限公司"' in linked
    # Typed without JavaScript: matched; an unknown name says so on the list page.
    typed = officer.get("/campaigns/items?company=&company_text=甲物业服务有限公司").get_data(as_text=True)
    assert f'value="{world.company1.id}"' in typed
    unknown = officer.get("/campaigns/items?company=&company_text=不存在的公司").get_data(as_text=True)
    assert "没有找到“不存在的公司”对应的企业" in unknown


def test_without_javascript_the_spot_check_form_lists_the_typed_estates_campaigns(world, login_as):
    campaign = campaign_factories.gen_campaign(world)
    campaign_factories.enrol(campaign, world.estate2, actor=world.officer)
    db.session.commit()
    officer = login_as(world.officer)
    page = officer.get("/campaigns/spot-checks/new").get_data(as_text=True)
    assert 'name="pick_estate"' in page and page.count('role="combobox"') == 1  # one estate picker
    assert f'<option value="{campaign.id}"' not in page
    response = officer.post("/campaigns/spot-checks/new", data={
        "estate_id": "", "estate_id_text": "月亮小区", "summary": "先写的情况", "pick_estate": "1"})
    page = response.get_data(as_text=True)
    assert re.search(rf'<option[^>]*value="{campaign.id}"', page)
    assert "先写的情况" in page and f'value="{world.estate2.id}"' in page
    assert db.session.scalar(select(func.count(SpotCheck.id))) == 0
    # With JavaScript the page asks for the same list by the estate's id (?estate=N).
    linked = officer.get(f"/campaigns/spot-checks/new?estate={world.estate2.id}").get_data(as_text=True)
    assert f'value="{campaign.id}"' in linked and 'value="月亮小区"' in linked


def test_a_list_filter_that_names_nothing_shows_nothing_not_everything(world, login_as):
    position = f.gen_position("cleaner_filter", name="保洁员")
    f.gen_staff(world.company1, position, world.estate1, name="甲方员工")
    f.gen_staff(world.company2, position, world.estate2, name="乙方员工")
    db.session.commit()
    officer = login_as(world.officer)
    everyone = officer.get("/companies/staff").get_data(as_text=True)
    assert "甲方员工" in everyone and "乙方员工" in everyone
    chosen = officer.get(f"/companies/staff?company_id={world.company1.id}").get_data(as_text=True)
    assert "甲方员工" in chosen and "乙方员工" not in chosen
    unknown = officer.get("/companies/staff?company_id=&company_id_text=不存在的公司").get_data(as_text=True)
    assert "甲方员工" not in unknown and "乙方员工" not in unknown
    assert "没有找到“不存在的公司”对应的企业" in unknown and 'value="不存在的公司"' in unknown
    # A company user naming another company in the filter sees nothing of it (nor of its own).
    company = login_as(world.company_user)
    forged = company.get(f"/companies/staff?company_id={world.company2.id}").get_data(as_text=True)
    assert "乙方员工" not in forged


def test_a_row_renderer_gives_each_row_the_widgets_own_html(app, world):
    """The clerk's queue renders its per-row picker once and fills in each row: the same HTML as the
    widget's per row, names escaped."""
    from supervision.complaints.forms import AssignForm

    with app.test_request_context():
        from flask_login import login_user

        login_user(world.officer)
        field = AssignForm(meta={"csrf": False}).estate_id
        kwargs = {"class_": "form-control form-control-sm", "aria-label": "小区"}
        render = field.row_renderer(**kwargs)
        for row_id, value, text in (("estate-7", 12, '阳光<花园> & "一期"'), ("estate-8", None, "")):
            assert render(row_id, value, text) == field(id=row_id, chosen=(value, text), **kwargs)
