"""Company register pages: credit-code validation, uniqueness, archive rules, the company page."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.companies.credit_code import make_credit_code
from supervision.companies.models import Company, QualificationGrade
from supervision.extensions import db

from ..factories import gen_company, gen_estate
from .factories import gen_certified, gen_reference

CODE = make_credit_code("91110105MA01ABCD1")


def data(**overrides):
    values = {"name": "新物业服务有限公司", "credit_code": CODE, "legal_representative": "赵一",
              "contact_person": "钱二", "phone": "010-1234", "address": "某路1号", "qualification_grade": "",
              "notes": ""}
    values.update(overrides)
    return values


def test_bureau_registers_a_company(login_as, world):
    response = login_as(world.officer).post("/companies/new", data=data(qualification_grade="grade_2"))
    assert response.status_code == 302
    company = db.session.scalar(select(Company).where(Company.credit_code == CODE))
    assert company.name == "新物业服务有限公司" and company.qualification_grade is QualificationGrade.GRADE_2
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.object_id == company.id,
                                                           AuditLog.object_type == "Company")) == "company.create"


def test_a_wrong_check_character_is_explained(login_as, world):
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    html = login_as(world.officer).post("/companies/new", data=data(credit_code=wrong)).get_data(as_text=True)
    assert f"校验码错误：第18位应为“{CODE[17]}”" in html and f'value="{wrong}"' in html
    assert db.session.scalar(select(Company).where(Company.name == "新物业服务有限公司")) is None


def test_short_code_and_duplicates(login_as, world):
    client = login_as(world.officer)
    html = client.post("/companies/new", data=data(credit_code="91110105MA01")).get_data(as_text=True)
    assert "统一社会信用代码应为18位，当前为12位" in html
    html = client.post("/companies/new", data=data(name="甲物业服务有限公司",
                                                   credit_code=world.company2.credit_code)).get_data(as_text=True)
    assert "已有名为“甲物业服务有限公司”的企业" in html
    assert f"统一社会信用代码 {world.company2.credit_code} 已登记为“乙物业服务有限公司”" in html


def test_edit_and_concurrency(login_as, world):
    client = login_as(world.officer)
    company = world.company1
    version = str(company.version)
    values = data(name=company.name, credit_code=company.credit_code, phone="999", version=version)
    assert client.post(f"/companies/{company.id}/edit", data=values).status_code == 302
    html = client.post(f"/companies/{company.id}/edit", data={**values, "phone": "111"}).get_data(as_text=True)
    assert "该记录已被他人修改" in html
    db.session.refresh(company)
    assert company.phone == "999"


def test_a_company_still_managing_estates_cannot_be_archived(login_as, world):
    client = login_as(world.officer)
    company = world.company1
    client.post(f"/companies/{company.id}/archive", data={"reason": "注销", "version": company.version})
    db.session.refresh(company)
    assert company.archived_at is None
    idle = gen_company(name="闲置物业")
    db.session.commit()
    client.post(f"/companies/{idle.id}/archive", data={"reason": "注销", "version": idle.version})
    db.session.refresh(idle)
    assert idle.archived_at is not None
    listed = re.findall(r'href="/companies/(\d+)"', client.get("/companies/").get_data(as_text=True))
    assert str(idle.id) not in listed and str(company.id) in listed


def test_company_page_lists_estates_staff_and_highlights_certificates(login_as, world):
    ref = gen_reference()
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="快到期",
                  expires_on=date(2026, 7, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="已过期",
                  expires_on=date(2026, 5, 1))
    gen_certified(world.company1, ref.electrician, ref.electrician_cert, world.estate1, name="还早",
                  expires_on=date(2027, 5, 1))
    gen_estate(world.street2, company=world.company1, name="第二个项目")
    db.session.commit()
    with time_machine.travel(datetime(2026, 6, 1, 4, tzinfo=UTC), tick=False):
        html = login_as(world.officer).get(f"/companies/{world.company1.id}").get_data(as_text=True)
    assert "阳光小区" in html and "第二个项目" in html
    states = dict(re.findall(r'data-state="(\w+)">低压电工证.*?(\d{4}-\d{2}-\d{2})', html, re.S))
    assert states == {"expiring": "2026-07-01", "expired": "2026-05-01", "valid": "2027-05-01"}
    assert 'class="cert cert-expired"' in html and 'class="cert cert-expiring"' in html
    assert 'data-testid="company-rate">66.7%' in html


def test_street_office_sees_only_its_estates_on_a_company_page(login_as, world):
    gen_estate(world.street2, company=world.company1, name="别街项目")
    db.session.commit()
    html = login_as(world.street_user).get(f"/companies/{world.company1.id}").get_data(as_text=True)
    assert "阳光小区" in html and "别街项目" not in html


def test_company_list_counts_without_per_row_queries(login_as, world, count_queries):
    ref = gen_reference()
    db.session.commit()
    client = login_as(world.officer)

    def add(n):
        for _ in range(n):
            company = gen_company()
            estate = gen_estate(company=company)
            gen_certified(company, ref.manager, ref.manager_cert, estate)
        db.session.commit()

    add(3)
    with count_queries() as small:
        client.get("/companies/")
    add(40)
    with count_queries() as large:
        html = client.get("/companies/").get_data(as_text=True)
    assert len(small) == len(large) and "100.0%" in html


def test_mine_is_the_company_users_own_page(login_as, world):
    html = login_as(world.company_user).get("/companies/mine").get_data(as_text=True)
    assert "甲物业服务有限公司" in html and "登记人员" in html and "变更记录" not in html


def test_the_company_page_takes_a_fixed_number_of_queries(login_as, world, count_queries):
    """Its sections render as templates of their own: the unread count is still read once."""
    ref = gen_reference()
    gen_certified(world.company1, ref.manager, ref.manager_cert, world.estate1)
    db.session.commit()
    officer, company_user = login_as(world.officer), login_as(world.company_user)
    pages = [(officer, f"/companies/{world.company1.id}"), (company_user, f"/companies/{world.company1.id}"),
             (company_user, "/companies/mine")]
    counts = []
    for _round in range(2):
        per_page = []
        for client, url in pages:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            per_page.append(len(statements))
            unread = [s for s in statements if "FROM notifications" in s]
            assert len(unread) == 1
        counts.append(per_page)
        for _n in range(5):  # more estates and certified staff
            estate = gen_estate(street=world.street1, company=world.company1)
            gen_certified(world.company1, ref.manager, ref.manager_cert, estate)
        db.session.commit()
    assert counts[0] == counts[1] and max(counts[0]) <= 15
