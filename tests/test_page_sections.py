"""Features add sections to the estate and company pages, each in its user's scope."""
from __future__ import annotations

from supervision.core.timeutil import local_today
from supervision.extensions import db
from tests.campaigns.factories import enrol, gen_campaign, gen_item
from tests.credit.factories import gen_event, rules


def _setup(world):
    rules()
    campaign = gen_campaign(world, name="背街小巷整治行动")
    [enrolment] = enrol(campaign, world.estate1, actor=world.officer)
    gen_item(enrolment, actor=world.officer, description="单元门禁损坏")
    gen_event(world.company1, "BL-01", on=local_today(), status="notified", estate=world.estate1,
              actor=world.officer)
    db.session.commit()


def test_estate_page_shows_campaigns_items_and_credit(login_as, world):
    _setup(world)
    html = login_as(world.officer).get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert "背街小巷整治行动" in html and "单元门禁损坏" in html
    assert "信用记录" in html and "BL-01" in html


def test_street_sees_campaigns_but_not_credit_records(login_as, world):
    _setup(world)
    html = login_as(world.street_user).get(f"/estates/{world.estate1.id}").get_data(as_text=True)
    assert "背街小巷整治行动" in html and "BL-01" not in html


def test_company_page_shows_the_grade(login_as, world):
    _setup(world)
    html = login_as(world.company_user).get(f"/companies/{world.company1.id}").get_data(as_text=True)
    assert "信用评价" in html and "信用档案" in html


def test_company_dashboard_shows_its_credit(login_as, world):
    _setup(world)
    html = login_as(world.company_user).get("/").get_data(as_text=True)
    assert "查看信用记录" in html and "暂无数据" not in html.split('data-testid="credit-section"')[1][:400]
