"""The landing page per role, the SVG charts and the monthly report PDF."""
from __future__ import annotations

import io
from datetime import date, timedelta
from fractions import Fraction

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from supervision.companies.models import Position
from supervision.core.timeutil import local_today
from supervision.estates.models import CommitteeStatus, ManagementMode
from supervision.extensions import db
from supervision.security import SVG_CSP

from ..factories import gen_certificate, gen_community, gen_estate, gen_staff, gen_street
from ..targets.factories import commit, gen_cert_posts, gen_committee, gen_snapshot


@pytest.fixture
def district(world):
    w = world
    manager_cert, electric_cert, manager, electrician, _cleaner = gen_cert_posts()
    gen_certificate(gen_staff(w.company1, manager, w.estate1, name="持证经理"), manager_cert)
    gen_staff(w.company1, manager, w.estate1, name="无证经理")
    gen_certificate(gen_staff(w.company1, electrician, w.estate1, name="过期电工"), electric_cert,
                    expires_on=local_today() - timedelta(days=30))
    gen_certificate(gen_staff(w.company2, electrician, w.estate2, name="乙公司电工"), electric_cert)
    gen_committee(w.estate1, CommitteeStatus.FORMED)
    w.unmanaged = gen_estate(community=w.community2, name="无物业西苑", management_mode=ManagementMode.NONE)
    today = local_today()
    for weeks_back, numerator in ((4, 1), (3, 1), (2, 2), (1, 2)):
        gen_snapshot("coverage", today - timedelta(weeks=weeks_back), numerator, 3)
        gen_snapshot("committee", today - timedelta(weeks=weeks_back), numerator - 1, 3)
        gen_snapshot("coverage", today - timedelta(weeks=weeks_back), 1, 1, street=w.street1)
    commit()
    return w


def _scorecard(html):
    return html.split('data-testid="scorecard"')[1].split("</table>")[0]


@pytest.mark.parametrize("who", ["admin", "officer", "leader"])
def test_bureau_and_leader_see_the_district(login_as, district, who):
    html = login_as(getattr(district, who)).get("/").get_data(as_text=True)
    table = _scorecard(html)
    assert "全区" in table and "东城街道" in table and "西城街道" in table
    assert "物业管理覆盖率" in table and "目标 ≥ 100%" in table
    # Every number links to its drill-down, per street.
    assert 'href="/targets/coverage/gap"' in table
    assert f'href="/targets/coverage/gap?street={district.street2.id}"' in table
    assert "66.7%" in table  # coverage 2/3 for the district
    assert "key-figures" in html and "无物业小区" in html
    assert "/dashboard/charts/trend.svg" in html and "/dashboard/charts/streets.svg?indicator=coverage" in html
    assert "/dashboard/report.pdf" in html


def test_street_officer_sees_its_own_street_only(login_as, district):
    html = login_as(district.street_user).get("/").get_data(as_text=True)
    table = _scorecard(html)
    assert "东城街道" in table and "全区" not in table
    assert "西城街道" not in html and "无物业西苑" not in html
    assert f"/dashboard/charts/trend.svg?street={district.street1.id}" in html
    assert "/dashboard/charts/streets.svg" not in html


def test_company_user_sees_its_certification_and_an_empty_credit_section(login_as, district):
    html = login_as(district.company_user).get("/").get_data(as_text=True)
    assert 'data-testid="scorecard"' not in html
    certification = html.split('data-testid="company-certification"')[1]
    assert "50.0%" in certification  # managers: 1 of 2
    assert "33.3%" in certification  # all staff: 1 of 3
    assert "无证经理" in html and "过期电工" in html and "持证经理" not in html.split("信用评价")[0].split(
        "未持有效证书的人员")[1]
    assert "乙公司电工" not in html
    assert 'data-testid="credit-section"' in html and "暂无信用数据" in html  # no rule set loaded


def test_credit_hook_fills_the_section(login_as, district, monkeypatch):
    from supervision.dashboard import hooks

    monkeypatch.setattr(hooks, "company_credit", lambda company: {
        "score": 92, "grade": "AA", "grade_badge": "success", "period": "2026年度", "url": None})
    html = login_as(district.company_user).get("/").get_data(as_text=True)
    section = html.split('data-testid="credit-section"')[1]
    assert "AA" in section and "92" in section and "2026年度" in section


def test_dashboard_queries_do_not_grow_with_streets(app, login_as, district, count_queries, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SIZE", 0)  # count the computation, not a cache hit
    client = login_as(district.leader)
    client.get("/")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    for index in range(6):
        street = gen_street(district.district, name=f"新街道{index}")
        gen_estate(community=gen_community(street))
    commit()
    with count_queries() as many:
        html = client.get("/").get_data(as_text=True)
    assert "新街道5" in html
    assert len(few) == len(many)


# --- charts ------------------------------------------------------------------------------------


def _svg(response):
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == SVG_CSP
    svg = response.get_data(as_text=True)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    return svg


def test_trend_chart_carries_chinese_labels_as_text(login_as, district):
    svg = _svg(login_as(district.leader).get("/dashboard/charts/trend.svg"))
    assert "全区 · 主要指标周趋势" in svg
    assert "物业管理覆盖率" in svg and "业委会组建率" in svg
    assert "Noto Sans CJK SC" in svg and "完成率" in svg


def test_single_indicator_trend_shows_the_target(login_as, district):
    svg = _svg(login_as(district.leader).get(f"/dashboard/charts/trend.svg?indicator=coverage&street="
                                              f"{district.street1.id}"))
    assert "东城街道 · 物业管理覆盖率 周趋势" in svg and "目标 100.0%" in svg


def test_trend_chart_without_snapshots_says_so(login_as, world):
    svg = _svg(login_as(world.leader).get("/dashboard/charts/trend.svg"))
    assert "暂无数据" in svg


def test_street_bars_and_indicator_bars(login_as, district):
    client = login_as(district.officer)
    svg = _svg(client.get("/dashboard/charts/streets.svg?indicator=coverage"))
    assert "各街道物业管理覆盖率" in svg and "东城街道" in svg and "西城街道" in svg
    assert "100.0%" in svg and "50.0%" in svg and "已达标" in svg and "滞后" in svg
    svg = _svg(client.get("/dashboard/charts/indicators.svg"))
    assert "全区 · 各项指标完成情况" in svg and "项目经理持证率" in svg and "专项行动销号率" in svg
    assert client.get("/dashboard/charts/streets.svg?indicator=nope").status_code == 404


def test_charts_may_be_cached_privately_only(login_as, district):
    response = login_as(district.leader).get("/dashboard/charts/indicators.svg")
    assert "private" in response.headers["Cache-Control"]


# --- the monthly report ---------------------------------------------------------------------------


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_monthly_report_pdf(login_as, district):
    today = local_today()
    response = login_as(district.leader).get(f"/dashboard/report.pdf?month={today.year}-{today.month:02d}")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = _pdf_text(response)
    compact = text.replace(" ", "").replace("\n", "")
    assert "全区物业管理目标考核月度工作报告" in compact
    assert f"{today.year}年{today.month}月" in compact
    for phrase in ("主要数据", "全区目标完成情况", "各街道完成情况", "东城街道", "西城街道", "趋势与对比",
                   "未达标明细", "无物业西苑", "无证经理", "口径说明", "物业管理覆盖率", "66.7%"):
        assert phrase in compact, phrase


def test_street_report_leaves_other_streets_out(login_as, district):
    text = _pdf_text(login_as(district.street_user).get("/dashboard/report.pdf"))
    compact = text.replace(" ", "").replace("\n", "")
    assert "东城街道物业管理目标考核月度工作报告" in compact
    assert "西城街道" not in compact and "无物业西苑" not in compact


def test_the_monthly_report_takes_a_fixed_number_of_queries(app, login_as, district, count_queries, monkeypatch):
    """A fixed number of queries however many estates, staff and streets: the gap lists take one query per
    kind of row (staff, estates …), not one per indicator."""
    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SIZE", 0)  # count the computation, not a cache hit
    monkeypatch.setitem(app.config, "PDF_JOB_PAGES", 1000)  # made in the request however long it grows
    manager, electrician = (db.session.scalar(select(Position).where(Position.name == name))
                            for name in ("项目经理", "电工"))
    clients = [login_as(district.leader), login_as(district.street_user)]
    for client in clients:  # the process's calendar caches are filled by the first request
        assert client.get("/dashboard/report.pdf").status_code == 200
    counts = []
    for round_ in range(2):
        with count_queries() as statements:
            for client in clients:
                assert client.get("/dashboard/report.pdf").status_code == 200
        counts.append(len(statements))
        # committee, coverage and the contracts' estate indicators all list estates: one query for all
        assert sum(str(s).startswith("SELECT estates.id, estates.name") for s in statements) == 2  # 2 requests
        assert sum(str(s).startswith("SELECT staff.id") for s in statements) == 2
        for index in range(4):  # more unmanaged estates, uncertified staff, and streets
            street = gen_street(district.district, name=f"新街道{round_}{index}")
            gen_estate(community=gen_community(street), management_mode=ManagementMode.NONE)
            gen_estate(community=district.community1, management_mode=ManagementMode.NONE)
            gen_staff(district.company1, manager, district.estate1)
            gen_staff(district.company2, electrician, district.estate2)
        commit()
    assert counts[0] == counts[1]


def test_gap_samples_are_each_indicators_first_gap_rows(district):
    """The batched gap lists give what each indicator's own drill-down query gives first, in its order."""
    from supervision.dashboard.services import LISTED_SUBJECTS, gap_samples
    from supervision.targets.indicators import all_indicators, gap_rows

    gen_estate(community=district.community1, name="无物业东苑", management_mode=ManagementMode.NONE)
    commit()
    day = local_today()
    chosen = [indicator for indicator in all_indicators() if indicator.subject in LISTED_SUBJECTS]
    for street_id in (None, district.street1.id):
        samples = gap_samples(chosen, day, street_id, limit=2)
        listed = 0
        for indicator in chosen:
            expected = list(db.session.execute(gap_rows(indicator, day, street_id=street_id).limit(2)).all())
            assert [tuple(row)[:-1] for row in samples[indicator.code]] == [tuple(row) for row in expected]
            listed += len(expected)
        assert listed > 2  # the district has gaps of several kinds


def test_report_month_is_validated(login_as, district):
    client = login_as(district.leader)
    next_month = local_today().replace(day=28) + timedelta(days=5)
    assert client.get(f"/dashboard/report.pdf?month={next_month.year}-{next_month.month:02d}").status_code == 404
    assert client.get("/dashboard/report.pdf?month=2026-13").status_code == 404
    assert client.get("/dashboard/report.pdf?month=junk").status_code == 404


def test_past_month_is_measured_on_its_last_day(district):
    from supervision.dashboard.services import monthly_report, report_day

    assert report_day(2025, 2) == date(2025, 2, 28)
    data = monthly_report(2025, 2)
    assert data["day"] == date(2025, 2, 28) and data["card"].elapsed == Fraction(59, 365)
    assert data["row"].cells["coverage"].counts.denominator == 3
    [coverage_gap] = [gap for gap in data["gaps"] if gap["indicator"].code == "coverage"]
    assert [row[0].name for row in coverage_gap["rows"]] == ["无物业西苑"] and coverage_gap["total"] == 1


def test_chart_labels_are_escaped_text():
    from supervision.dashboard.charts import bars_chart, inline

    svg = bars_chart("标题<script>", [{"label": "<img src=x>街道", "value": Fraction(1, 2),
                                       "threshold": Fraction(1), "status": "behind"}])
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg and "&lt;img src=x&gt;街道" in svg
    assert str(inline(svg)).startswith("<svg")


def test_key_figures_count_formed_committees_of_estates_in_use(district):
    from supervision.core.timeutil import utcnow
    from supervision.dashboard.services import key_figures

    w = district
    gen_committee(w.estate2, CommitteeStatus.PREPARING)  # not formed
    gen_committee(gen_estate(community=w.community1, name="已归档小区", archived_at=utcnow()), CommitteeStatus.FORMED)
    gen_committee(gen_estate(community=w.community2, name="西城新苑"), CommitteeStatus.FORMED)
    commit()

    def committees(street_id=None):
        return {str(f.label): f.value for f in key_figures(local_today(), street_id)}["已成立业委会"]

    assert committees() == 2  # estate1 (street 1) and 西城新苑 (street 2); the archived estate's does not count
    assert committees(w.street1.id) == 1
    assert committees(w.street2.id) == 1


def test_the_company_certification_equals_the_indicators_for_each_company(login_as, district):
    from supervision.dashboard.services import company_certification
    from supervision.targets.indicators import gap_rows, get_indicator, measure_total

    today = local_today()
    for company in (district.company1, district.company2):  # one statement, built once, for both companies
        figures = company_certification(company.id, today)
        assert figures.staff == measure_total(get_indicator("staff_cert"), today, company_id=company.id)
        assert figures.managers == measure_total(get_indicator("manager_cert"), today, company_id=company.id)
        expected = db.session.execute(gap_rows(get_indicator("staff_cert"), today, company_id=company.id)).all()
        assert [row[0].id for row in figures.missing] == [row[0].id for row in expected]
        assert figures.missing_total == len(expected)
    assert company_certification(district.company2.id, today).missing_total == 0
    html = login_as(district.company2_user).get("/").get_data(as_text=True)
    certification = html.split('data-testid="company-certification"')[1]
    assert "100.0%" in certification and "无证经理" not in html and "过期电工" not in html
