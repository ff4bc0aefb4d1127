"""SQL and script injection: every filter of every list page, and the text fields that
end up in pages, PDFs and Excel exports.

Filters: each GET filter field of each list page (collected from the page's own
filter form, plus the query arguments its view reads directly) receives SQL- and
script-injection strings and a number too large for the database. The page must
answer 200 (a 404 for a number that names nothing), show no more rows than a search
that matches nothing, echo what was typed escaped, and never carry markup that would
run script. Hypothesis types arbitrary text into the estate search; a NUL character
anywhere is refused.

Text fields: records are created through the web forms with script-injection
strings; their pages escape them, their PDFs print them literally (extracted with
pypdf), and the Excel exports never turn a leading "=" into a formula. Names that
end up in download file names, and in the dashboard's charts, are checked too.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from supervision.campaigns.models import RectificationItem
from supervision.extensions import db

from . import html_checks as H
from .injection_world import build_lists_world


@dataclass
class ListPage:
    name: str
    path: Callable[[object], str]
    role: str = "officer"
    extra: tuple[str, ...] = ()  # query arguments the view reads without a form field


COMMON = ("sort", "page")
PAGES = [
    ListPage("estates", lambda w: "/estates/", extra=COMMON + ("alert",)),
    ListPage("estates-as-street", lambda w: "/estates/", role="street", extra=COMMON),
    ListPage("companies", lambda w: "/companies/", extra=COMMON),
    ListPage("staff", lambda w: "/companies/staff", extra=COMMON),
    ListPage("committees", lambda w: "/estates/committees", extra=COMMON),
    ListPage("campaigns", lambda w: "/campaigns/", extra=COMMON),
    ListPage("enrolments", lambda w: f"/campaigns/{w.campaign.id}/enrolments", extra=COMMON),
    ListPage("enrol", lambda w: f"/campaigns/{w.campaign.id}/enrol", extra=COMMON),
    ListPage("items", lambda w: "/campaigns/items", extra=COMMON + ("estate", "notice", "enrolment")),
    ListPage("items-as-company", lambda w: "/campaigns/items", role="company", extra=COMMON + ("estate",)),
    ListPage("notices", lambda w: "/campaigns/notices", extra=COMMON + ("campaign",)),
    ListPage("spot-checks", lambda w: "/campaigns/spot-checks", extra=COMMON),
    ListPage("reports", lambda w: "/reports/", extra=COMMON),
    ListPage("reports-as-street", lambda w: "/reports/", role="street", extra=COMMON),
    ListPage("overview", lambda w: "/reports/overview", extra=COMMON),
    ListPage("bulletin", lambda w: "/reports/bulletin", extra=COMMON),
    ListPage("credit-ranking", lambda w: "/credit/", extra=COMMON),
    ListPage("credit-events", lambda w: "/credit/events", extra=COMMON),
    ListPage("clues", lambda w: "/credit/clues", extra=COMMON),
    ListPage("clues-as-street", lambda w: "/credit/clues", role="street", extra=COMMON),
    ListPage("targets", lambda w: "/targets/", extra=COMMON),
    ListPage("targets-gap", lambda w: "/targets/coverage/gap", extra=COMMON + ("street", "year")),
    ListPage("audit", lambda w: "/admin/audit/", role="admin", extra=COMMON),
    ListPage("users", lambda w: "/admin/users", role="admin", extra=COMMON),
]


@pytest.fixture
def lists_world():
    return build_lists_world()


def _user(world, role):
    return {"officer": world.officer, "admin": world.admin, "leader": world.leader, "street": world.street_user,
            "company": world.company_user}[role]


def _get(client, url, params=None):
    response = client.get(url, query_string=params or {})
    return response, response.get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_list_filters_resist_injection(page, lists_world, login_as):
    client = login_as(_user(lists_world, page.role))
    url = page.path(lists_world)
    response, html = _get(client, url)
    assert response.status_code == 200
    everything = H.rows(html)
    assert everything > 0, f"{page.name}: the world should put rows on this page"
    fields = H.filter_fields(html)
    names = {f.name for f in fields}
    fields += [H.Field(name, "arg") for name in page.extra if name not in names]
    assert len(fields) > len(page.extra) or page.name == "targets-gap", f"{page.name}: no filter form found"

    for f in fields:
        _response, html = _get(client, url, {f.name: H.NOTHING})
        assert _response.status_code == 200, (page.name, f.name, "baseline")
        nothing = H.rows(html)
        if f.kind == "text":
            # A free-text search for nothing finds nothing: the comparison below is meaningful.
            assert nothing < everything, (page.name, f.name, nothing, everything)
        for payload in H.SELECT_PAYLOADS if f.kind == "select" else H.PAYLOADS:
            response, html = _get(client, url, {f.name: payload})
            where = (page.name, f.name, payload)
            # A number too large for any id or year may name nothing (404); nothing else may fail.
            assert response.status_code in ((200, 404) if payload.isdigit() else (200,)), where
            assert not H.dangers(html), (where, H.dangers(html))
            assert H.rows(html) <= nothing, (where, H.rows(html), nothing)
            if f.kind == "text":
                assert f'value="{escape(payload)}"' in html, (where, "the filter should show what was typed")

    # Nothing was dropped or changed by the strings sent.
    _response, html = _get(client, url)
    assert H.rows(html) == everything


# --- text fields through the web forms, into pages, PDFs and exports -------------

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
FORMULA = "=cmd|' /C calc'!A0"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return _squash("".join(page.extract_text() or "" for page in reader.pages))


def assert_pdf_prints(response, *texts):
    """The PDF shows each text literally: not dropped as markup, not escaped twice."""
    text = _pdf_text(response)
    for expected in texts:
        assert _squash(expected) in text, f"{expected!r} is not printed in the PDF"
    assert "&lt;" not in text and "&#34;" not in text and "&amp;" not in text


def assert_escaped(response, *texts):
    """The page carries each text escaped, and no markup that would run script."""
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert not H.dangers(html), H.dangers(html)
    for text in texts:
        assert str(escape(text)) in html, f"{text!r} should be on the page, escaped"


def assert_no_formula(response, *texts):
    """No cell of any sheet is a formula; each text is there as a plain string."""
    assert response.status_code == 200, response.status_code
    workbook = load_workbook(io.BytesIO(response.data))
    strings = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    strings.append(cell.value)
    for text in texts:
        assert any(text in value for value in strings), f"{text!r} is missing from the workbook"


def _submit(client, url, having, **changes):
    """Fill the page's form the way a browser would, change some fields, and post it."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = H.form_values(page.get_data(as_text=True), having)
    data.update({name: value for name, value in changes.items() if value is not None})
    response = client.post(url, data=data)
    assert response.status_code == 302, (url, response.status_code, _errors(response))
    return response.headers["Location"]


def _errors(response):
    html = response.get_data(as_text=True)
    return re.findall(r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>([^<]*)<', html)


def test_estate_item_notice_and_acceptance_texts_are_escaped_printed_and_exported_as_text(world, login_as):
    from supervision.estates.models import Estate

    from ..campaigns.factories import enrol, gen_campaign

    officer = login_as(world.officer)
    name, address, notes = f"{FORMULA}{XSS}小区", f"{XSS}路1号", f"{FORMULA} 备注{XSS}"
    location = _submit(officer, "/estates/new", "name", name=name, address=address, notes=notes,
                       community_id=str(world.community1.id), community_id_text=world.community1.name,
                       management_mode="professional",
                       company_id=str(world.company1.id), company_id_text=world.company1.name)
    assert_escaped(officer.get(location), name, address, notes)
    assert_escaped(officer.get("/estates/", query_string={"q": "小区"}), name)
    assert_no_formula(officer.get("/estates/export.xlsx"), name, notes)
    estate = db.session.scalar(select(Estate).where(Estate.name == name))
    assert estate is not None and estate.address == address and estate.notes == notes

    campaign = gen_campaign(world, code="p12_rectification")
    (enrolment,) = enrol(campaign, estate, actor=world.officer)
    db.session.commit()
    description = f"{FORMULA} 问题{XSS}"
    location = _submit(officer, f"/campaigns/enrolments/{enrolment.id}/items/new", "description",
                       source="complaint", description=description)
    assert_escaped(officer.get(location), name)  # the estate's page: descriptions are cut at 80 characters
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.enrolment_id == enrolment.id))
    assert item.description == description
    assert_escaped(officer.get(f"/campaigns/items/{item.id}"), name, description)
    assert_escaped(officer.get("/campaigns/items", query_string={"q": "问题"}), name)
    assert_no_formula(officer.get("/campaigns/items/export.xlsx"), description)

    remarks = f"请整改{XSS}"
    location = _submit(officer, f"/campaigns/notices/new?estate={estate.id}&campaign={campaign.id}", "remarks",
                       remarks=remarks)
    assert_escaped(officer.get(location), name, address, description, remarks)
    notice_id = int(location.rstrip("/").split("/")[-1])
    assert_pdf_prints(officer.get(f"/campaigns/notices/{notice_id}.pdf"), name, address, description, remarks)

    verdict_remarks, comment = f"验收意见{XSS}", f"未整改{XSS}"
    location = _submit(officer, f"/campaigns/enrolments/{enrolment.id}/acceptance", "inspected_on",
                       verdict="failed", remarks=verdict_remarks, **{f"c_{item.id}": comment, f"v_{item.id}": "0"})
    assert_escaped(officer.get(location), name, description, verdict_remarks, comment)
    acceptance_id = int(location.rstrip("/").split("/")[-1])
    assert_pdf_prints(officer.get(f"/campaigns/acceptances/{acceptance_id}.pdf"), name, description,
                      verdict_remarks, comment)
    # The company sees the same pages, escaped.
    company = login_as(world.company_user)
    assert_escaped(company.get(f"/campaigns/items/{item.id}"), name, description)
    assert_escaped(company.get(f"/campaigns/notices/{notice_id}"), name, remarks)


def test_company_credit_event_and_clue_texts_are_escaped_printed_and_exported_as_text(world, login_as):
    from supervision.companies.models import Company
    from supervision.core.timeutil import local_today
    from supervision.credit import services as credit
    from supervision.credit.models import CreditClue, CreditEvent

    from ..credit.factories import rules
    from ..factories import credit_code_for, gen_estate

    rules()
    db.session.commit()
    officer = login_as(world.officer)
    name, legal = f"{FORMULA}{XSS}物业公司", f"张{XSS}"
    location = _submit(officer, "/companies/new", "credit_code", name=name, credit_code=credit_code_for(987654),
                       legal_representative=legal, address=f"{XSS}大道9号")
    assert_escaped(officer.get(location), name, legal)
    assert_escaped(officer.get("/companies/"), name)
    assert_no_formula(officer.get("/companies/export.xlsx"), name)
    company = db.session.scalar(select(Company).where(Company.name == name))
    assert company is not None and company.legal_representative == legal

    # A deduction, notified: its notice prints the company and the facts.
    today = local_today().isoformat()
    rule_set = credit.rule_set_for(local_today())
    facts = f"经查{XSS}未按合同提供服务"
    location = _submit(officer, f"/credit/events/new?company_id={company.id}", "description",
                       item_id=str(credit.item_by_code(rule_set, "BL-01").id), occurred_on=today,
                       description=facts, issue="1")
    event = db.session.scalar(select(CreditEvent).where(CreditEvent.description == facts))
    assert event is not None and event.notice_number, "the deduction should have been notified"
    assert_escaped(officer.get(location), name, facts)
    assert_escaped(officer.get("/credit/events"), name)
    assert_pdf_prints(officer.get(f"/credit/events/{event.id}/notice.pdf"), name, facts)
    # An addition counts at once: the credit report prints it (cut at 60 characters, XSS is shorter).
    praise = XSS
    _submit(officer, f"/credit/events/new?company_id={company.id}", "description",
            item_id=str(credit.item_by_code(rule_set, "LH-04").id), occurred_on=today, description=praise,
            issue="1")
    assert_escaped(officer.get(f"/credit/companies/{company.id}"), name, praise)
    assert_pdf_prints(officer.get(f"/credit/companies/{company.id}/report.pdf"), name, legal, praise)
    assert_escaped(officer.get("/credit/"), name)
    assert_no_formula(officer.get("/credit/export.xlsx"), name)

    # A street office reports a clue about an estate the company manages in its street.
    estate = gen_estate(community=world.community1, company=company, name=f"{XSS}花园")
    db.session.commit()
    street = login_as(world.street_user)
    clue_text = f"{FORMULA}乱收费{XSS}"
    location = _submit(street, "/credit/clues/new", "description", estate_id=str(estate.id),
                       estate_id_text=estate.name, occurred_on=today, description=clue_text)
    assert_escaped(street.get(location), clue_text, estate.name)
    clue = db.session.scalar(select(CreditClue).where(CreditClue.description == clue_text))
    assert_escaped(officer.get(f"/credit/clues/{clue.id}"), clue_text, name)
    assert_escaped(officer.get("/credit/clues"), name)


def test_weekly_report_narratives_are_escaped_printed_and_exported_as_text(world, login_as):
    from datetime import timedelta

    from supervision.core.timeutil import local_today, utcnow
    from supervision.reports.weeks import Week

    from ..campaigns.factories import enrol, gen_campaign
    from ..reports.factories import gen_report

    campaign = gen_campaign(world, starts_on=local_today() - timedelta(days=20))
    for enrolment in enrol(campaign, world.estate1, world.estate2, actor=world.officer):
        enrolment.enrolled_at = utcnow() - timedelta(days=14)
    week = Week.current()
    report = gen_report(campaign, world.street1, week)
    db.session.commit()
    street = login_as(world.street_user)
    progress, problems, plan = f"{FORMULA}进展{XSS}", f"需协调{XSS}", f"{FORMULA}计划{XSS}"
    contact = f"李{XSS}"[:64]
    figures = {name: "1" for name in H.form_values(street.get(f"/reports/{report.id}/edit").get_data(as_text=True),
                                                   "progress") if name.startswith("fig_")}
    location = _submit(street, f"/reports/{report.id}/edit", "progress", progress=progress, problems=problems,
                       next_week_plan=plan, contact_person=contact, action="submit", **figures)
    assert location.endswith(f"/reports/{report.id}/submit"), location
    location = _submit(street, location, "version")
    assert_escaped(street.get(location), progress, problems, plan, contact)
    db.session.refresh(report)
    assert report.is_sent and report.progress == progress

    officer = login_as(world.officer)
    assert_escaped(officer.get(f"/reports/{report.id}"), progress, problems, plan)
    query = {"campaign": campaign.id, "week": str(week)}
    assert_escaped(officer.get("/reports/bulletin", query_string=query), progress, problems)
    # The PDF's annex prints the whole report: the plan and the contact too.
    assert_pdf_prints(officer.get("/reports/bulletin.pdf", query_string=query), progress, problems, plan, contact)
    assert_pdf_prints(officer.get("/reports/bulletin.pdf", query_string=dict(query, annex="0")), progress, problems)
    assert_no_formula(officer.get("/reports/bulletin.xlsx", query_string=query), progress, plan)


# --- arbitrary text in a search ---------------------------------------------------

_WILDCARDS = set("%_\\")
_NAMES = ["阳光小区", "月亮小区", "测试路1号"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="ascii"), max_size=30),
    st.builds(lambda name, i, j, pad: pad + name[min(i, j):max(i, j) + 1] + pad,
              st.sampled_from(_NAMES), st.integers(0, 4), st.integers(0, 4), st.sampled_from(["", " ", "\t"])),
    st.builds(lambda a, p, b: a + p + b, st.text(max_size=8), st.sampled_from(H.PAYLOADS), st.text(max_size=8)),
))
def test_any_text_in_the_estate_search_is_a_plain_search(world, login_as, q):
    """Whatever is typed into the estate search, the answer is a page of exactly the
    estates whose name or address contains it (or all of them for a blank search)."""
    if not hasattr(world, "client"):
        world.client = login_as(world.officer)
    response = world.client.get("/estates/", query_string={"q": q})
    if "\x00" in q:
        assert response.status_code == 400  # refused: no database stores or compares a NUL
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not H.dangers(html), H.dangers(html)
    found = H.rows(html)
    term = q.strip()
    if _WILDCARDS & set(term):
        assert found <= 2  # LIKE wildcards may widen a search, never beyond the user's estates
        return
    estates = [(world.estate1.name, world.estate1.address), (world.estate2.name, world.estate2.address)]
    expected = 2 if not term else sum(1 for name, address in estates if term.lower() in name.lower()
                                      or term.lower() in address.lower())
    assert found == expected, (q, found, expected)
    if term:
        assert f'value="{escape(q)}"' in html


def test_a_nul_character_in_a_search_or_a_text_field_is_refused(world, login_as):
    """PostgreSQL can neither store nor compare text holding NUL: such a request is
    refused with 400 before any query, on every page (it was a 500 there)."""
    from supervision.estates.models import Estate

    officer = login_as(world.officer)
    for url in ("/estates/", "/campaigns/items", "/credit/events", "/admin/audit/"):
        response = officer.get(url, query_string={"q": "阳光\x00小区"})
        assert response.status_code == 400, url
        assert "请求有误" in response.get_data(as_text=True)
    page = officer.get("/estates/new").get_data(as_text=True)
    data = H.form_values(page, "name")
    data.update(name="空\x00字符小区", address="测试路2号", community_id=str(world.community1.id),
                management_mode="none", company_id="")
    assert officer.post("/estates/new", data=data).status_code == 400
    assert db.session.scalar(select(Estate).where(Estate.address == "测试路2号")) is None
    api = officer.get("/api/v1/estates", query_string={"q": "\x00"})
    assert api.status_code == 400 and api.get_json()["code"] == "bad_request"


def test_names_in_download_file_names_cannot_break_the_header(world, login_as):
    """A name holding a quote or a line break (an Excel import keeps both) names the PDF
    it is printed in: the download still works and its header stays one well-formed value."""
    from urllib.parse import unquote

    from supervision.campaigns.models import AcceptanceVerdict
    from supervision.campaigns.services import acceptance
    from supervision.core.timeutil import local_today

    from ..campaigns.factories import enrol, gen_campaign
    from ..credit.factories import rules

    rules()
    world.estate1.name = '阳光"小区\r\n二期'
    world.company1.name = '甲物业"; filename="evil.exe\n服务有限公司'
    campaign = gen_campaign(world, code="p12_rectification")
    (enrolment,) = enrol(campaign, world.estate1, actor=world.officer)
    record = acceptance.record_acceptance(enrolment, actor=world.officer, inspected_on=local_today(),
                                          verdict=AcceptanceVerdict.FAILED, remarks="复查", item_verdicts={})
    db.session.commit()
    officer = login_as(world.officer)
    for url, printed in ((f"/campaigns/acceptances/{record.id}.pdf", "阳光"),
                         (f"/credit/companies/{world.company1.id}/report.pdf", "甲物业")):
        response = officer.get(url)
        assert response.status_code == 200, url
        assert printed in _pdf_text(response)
        header = response.headers["Content-Disposition"]
        match = re.fullmatch(r"inline; filename=\"([^\"\\\x00-\x1f]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)", header)
        assert match, header  # one quoted name without quotes or control characters, then the UTF-8 name
        assert unquote(match.group(2)).startswith(("验收记录-阳光 小区 二期",
                                                   "信用报告-甲物业 ; filename= evil.exe 服务"))


def test_a_street_name_is_escaped_in_pages_and_charts_and_printed_in_the_monthly_report(world, login_as):
    """Street names label the charts: matplotlib must neither pass markup into the SVG
    nor read a "$" as mathtext (a broken formula was a 500 for every chart)."""
    name = "<script>alert(1)</script>$\\frac{1}{$东城"
    admin = login_as(world.admin)
    _submit(admin, f"/admin/regions/streets/{world.street1.id}/edit", "name", name=name)
    db.session.refresh(world.street1)
    assert world.street1.name == name
    officer = login_as(world.officer)
    assert_escaped(officer.get("/"), name)
    assert_escaped(officer.get("/targets/"), name)
    for url in ("/dashboard/charts/streets.svg", f"/dashboard/charts/indicators.svg?street={world.street1.id}",
                f"/dashboard/charts/trend.svg?street={world.street1.id}"):
        response = officer.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml", url
        svg = response.get_data(as_text=True)
        assert "<script" not in svg and "onerror=" not in svg.replace("onerror=alert(1)&gt;", ""), url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;$\\frac{1}{$东城" in svg, url
    assert_pdf_prints(officer.get("/dashboard/report.pdf", query_string={"street": world.street1.id}), name)


def test_text_shaped_like_rich_text_xml_is_exported_as_text(world, login_as):
    """XlsxWriter's constant-memory mode writes a string "<r>…</r>" into the sheet's XML as it is (rich
    text); the export writes it as escaped text, so a name cannot inject XML into the workbook."""
    from supervision.estates.models import Estate

    rich = "<r><rPr><b/></rPr><t>伪造</t></r>"
    estate = db.session.scalar(select(Estate).where(Estate.community_id == world.community1.id))
    estate.name, estate.notes = rich, f" {rich} "
    db.session.commit()
    assert_no_formula(login_as(world.officer).get("/estates/export.xlsx"), rich, f" {rich} ")
