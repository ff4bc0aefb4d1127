"""English pages for every role, the stored language choice, and documents that stay Chinese.

Two kinds of English catalogue are used here:

- ``pseudo_english``: a stand-in English catalogue in which every msgid is translated to
  ``[en]`` + the msgid. It does not depend on the state of translations/en, so it shows
  which texts go through the English catalogue (pages) and which do not (PDF and Excel
  documents, ``supervision.i18n.in_chinese``).
- the project's own catalogue (translations/en/LC_MESSAGES/messages.po), for the real
  English navigation (tests/test_i18n.py keeps that catalogue complete).
"""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import flask_babel
import pytest
import time_machine
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from supervision.auth.models import User
from supervision.extensions import db
from supervision.reports.weeks import Week

from .credit.factories import gen_basic, gen_event, rules
from .reports.factories import campaign_world, gen_report, local

PO_PATH = Path(__file__).parent.parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MARK = "[en]"
CJK = re.compile(r"[\u4e00-\u9fff]")
NAV = re.compile(r'<nav class="app-sidebar".*?</nav>', re.S)
W39 = Week(2026, 39)
WEDNESDAY = local(2026, 9, 23, 10)

ROLES = ("officer", "leader", "street_user", "company_user")
# A few navigation labels every one of the four roles sees.
COMMON_NAV = ("工作台", "小区台账", "专项行动", "整改事项")


def _catalogue():
    with PO_PATH.open("rb") as po_file:
        return read_po(po_file)


def _english(msgid: str) -> str:
    message = _catalogue().get(msgid)
    return message.string if message is not None and not message.fuzzy else ""


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace(" ", "").replace("\n", "")


def nav_of(html: str) -> str:
    found = NAV.search(html)
    assert found, "no sidebar navigation on the page"
    return found.group(0)


@pytest.fixture
def pseudo_english(monkeypatch):
    """English is a catalogue that translates every msgid to ``[en]`` + msgid."""
    catalog = _catalogue()
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            message.string = tuple(MARK + part for part in message.id)
        else:
            message.string = MARK + message.id
        message.flags.discard("fuzzy")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(fp=buffer)
    original = flask_babel.Domain.get_translations

    def get_translations(self):
        locale = flask_babel.get_locale()
        if locale is not None and locale.language == "en":
            return translations
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", get_translations)
    return translations


@pytest.fixture
def frozen():
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def english(world, frozen):
    """The world with a running campaign, a draft weekly report of street1, and every user in English."""
    rules()  # the credit rule sets
    campaign, _enrolments = campaign_world(world)
    report = gen_report(campaign, world.street1, W39)
    for role in ROLES + ("street2_user", "company2_user", "admin"):
        getattr(world, role).locale = "en"
    db.session.commit()
    world.campaign, world.report = campaign, report
    return world


def _pages(world, role: str) -> list[str]:
    campaign = f"/campaigns/{world.campaign.id}"
    pages = {
        "officer": ["/", "/estates/", "/campaigns/", campaign, "/reports/", "/credit/"],
        "leader": ["/", "/estates/", "/campaigns/", campaign, "/reports/", "/credit/"],
        "street_user": ["/", "/estates/", "/campaigns/", campaign, "/reports/", f"/reports/{world.report.id}/edit"],
        "company_user": ["/", "/estates/", "/campaigns/", campaign, "/credit/mine"],
    }
    return pages[role]


def _get(client, url: str):
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_are_english_for_an_english_user(login_as, english, pseudo_english, role):
    client = login_as(getattr(english, role))
    for url in _pages(english, role):
        html = _get(client, url)
        assert '<html lang="en">' in html, url
        nav = nav_of(html)
        for label in COMMON_NAV:
            assert f">{MARK}{label}</a>" in nav, (url, label)
        # Every navigation label comes from the English catalogue.
        labels = re.findall(r'class="nav-link[^"]*"[^>]*>([^<]*)</a>', nav)
        assert labels and all(label.startswith(MARK) for label in labels), (url, labels)


@pytest.mark.parametrize("role", ROLES)
def test_the_same_pages_stay_chinese_for_a_chinese_user(login_as, english, pseudo_english, role):
    user = getattr(english, role)
    user.locale = "zh_CN"
    db.session.commit()
    client = login_as(user)
    for url in _pages(english, role):
        html = _get(client, url)
        assert '<html lang="zh-CN">' in html and MARK not in html, url
        assert "工作台" in nav_of(html)


@pytest.mark.parametrize("role", ROLES)
def test_navigation_in_the_real_english_catalogue(login_as, english, role):
    """Depends on the translated catalogue: the English labels of messages.po, and no CJK in the navigation."""
    client = login_as(getattr(english, role))
    for url in _pages(english, role):
        nav = nav_of(_get(client, url))
        for label in COMMON_NAV:
            assert _english(label) and _english(label) in nav, (url, label)
        assert not CJK.search(nav), (url, CJK.findall(nav))


def test_the_language_choice_is_stored_on_the_user_and_survives_logout(client, auth, world):
    assert world.officer.locale == "zh_CN"
    assert auth.login(world.officer).status_code == 302
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)

    response = client.post("/language", data={"locale": "en", "next": "/estates/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/estates/")
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.officer.id)) == "en"
    assert '<html lang="en">' in client.get("/estates/").get_data(as_text=True)

    auth.logout()
    with client.session_transaction() as session:  # forget the anonymous choice too
        session.clear()
    assert auth.login(world.officer).status_code == 302
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    # Another browser: the choice is the user's, not the session's.
    other = client.application.test_client()
    assert other.post("/login", data={"username": "officer", "password": _password()}).status_code == 302
    assert '<html lang="en">' in other.get("/").get_data(as_text=True)

    client.post("/language", data={"locale": "zh_CN"})
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.officer.id)) == "zh_CN"
    assert '<html lang="zh-CN">' in other.get("/").get_data(as_text=True)


def test_an_unknown_language_is_not_stored(client, auth, world):
    auth.login(world.officer)
    client.post("/language", data={"locale": "fr"})
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == world.officer.id)) == "zh_CN"


def _password():
    from .conftest import DEMO_PASSWORD

    return DEMO_PASSWORD


# --- documents stay Chinese ------------------------------------------------------------------

NOTICE_DAY = date(2026, 9, 28)


def test_a_deduction_notice_pdf_is_chinese_for_an_english_company_user(login_as, world, pseudo_english):
    rules()
    gen_basic(world.company1, on=NOTICE_DAY)
    event = gen_event(world.company1, "BL-05", on=NOTICE_DAY, status="notified", estate=world.estate1,
                      description="消防通道堵塞未按期整改。")
    world.company_user.locale = "en"
    db.session.commit()
    client = login_as(world.company_user)
    # The English catalogue is in use for this user's pages ...
    assert MARK in client.get(f"/credit/events/{event.id}").get_data(as_text=True)
    # ... but not for the notice.
    response = client.get(f"/credit/events/{event.id}/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert MARK not in text
    for expected in ("物业服务企业信用记分告知单", "甲物业服务有限公司", "扣6分", "提出异议", "阳光小区",
                     "消防通道堵塞未按期整改", "测试区住房和城乡建设局"):
        assert expected in text, expected
    # The page after the download is English again (the forced locale does not leak).
    assert MARK in client.get("/").get_data(as_text=True)


def test_the_monthly_report_pdf_is_chinese_for_an_english_officer(login_as, world, pseudo_english):
    world.officer.locale = "en"
    db.session.commit()
    client = login_as(world.officer)
    assert MARK in client.get("/").get_data(as_text=True)
    response = client.get("/dashboard/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert MARK not in text and CJK.search(text)


def test_excel_downloads_keep_chinese_headers_for_an_english_user(login_as, world, pseudo_english):
    rules()
    gen_basic(world.company1, on=NOTICE_DAY)
    world.officer.locale = "en"
    db.session.commit()
    client = login_as(world.officer)
    assert MARK + "信用评价" in nav_of(client.get("/credit/").get_data(as_text=True))

    response = client.get("/credit/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert sheet.title == "信用评价"
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    for header in ("名次", "企业名称", "统一社会信用代码", "得分", "等级"):
        assert header in headers, header
    cells = [str(cell.value) for ws in workbook.worksheets for row in ws.iter_rows() for cell in row
             if cell.value is not None]
    assert cells and not any(MARK in value for value in cells)

    for url in ("/estates/export.xlsx", "/companies/export.xlsx", "/campaigns/items/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        workbook = load_workbook(io.BytesIO(response.data))
        headers = [str(cell.value) for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]
        assert all(CJK.search(header) for header in headers), (url, headers)
        assert not any(MARK in header for header in headers), (url, headers)


def test_in_chinese_restores_the_users_language(app, world, pseudo_english):
    from flask_babel import gettext

    from supervision.i18n import in_chinese

    @in_chinese
    def view():
        return gettext("工作台"), flask_babel.get_locale().language

    world.officer.locale = "en"
    db.session.commit()
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(world.officer)
        assert gettext("工作台") == MARK + "工作台"
        assert view() == ("工作台", "zh")
        assert gettext("工作台") == MARK + "工作台"
