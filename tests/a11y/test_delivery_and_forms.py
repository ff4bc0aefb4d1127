"""Accessibility and slow-phone delivery, server side: field errors tied to their fields, a summary
announced as an alert, tagged PDFs, versioned long-cached static files, compressed responses."""
from __future__ import annotations

import gzip
import io
import re

import brotli
from flask import url_for
from pypdf import PdfReader

from supervision.documents.pdf import html_to_pdf


def test_an_invalid_form_ties_each_error_to_its_field(login_as, world):
    client = login_as(world.officer)
    page = client.post("/account/password", data={"current_password": "", "new_password": "", "confirm": ""})
    html = page.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="current_password"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    for error_id in described.split():
        assert re.search(rf'id="{error_id}"[^>]*>请输入当前密码。<', html)
    assert re.search(r'<div class="alert alert-danger" role="alert"[^>]*>请按提示修改标红的内容。', html)
    # A valid field carries no aria-invalid.
    page = client.get("/account/password")
    assert "aria-invalid" not in page.get_data(as_text=True)


def test_pdfs_are_tagged_for_screen_readers():
    data = html_to_pdf("<h1>整改通知书</h1><p>阳光小区</p><table><tr><th>项目</th><td>1</td></tr></table>")
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]


def test_static_urls_carry_a_content_version_and_are_cached_for_a_year(app, client, login_as, world):
    with app.test_request_context():
        css = url_for("static", filename="css/app.css")
        bootstrap_css = url_for("bootstrap.static", filename="css/bootstrap.min.css")
    assert re.search(r"/static/css/app\.css\?v=[0-9a-f]{12}$", css)
    assert "?v=" in bootstrap_css
    html = login_as(world.officer).get("/").get_data(as_text=True)
    assert 'href="/static/css/app.css?v=' in html and 'src="/static/js/app.js?v=' in html
    assert "bootstrap.min.js" not in html and "popper" not in html  # no template uses Bootstrap's JavaScript
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers.get("ETag")
    again = client.get(css, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # Without the version the file is re-validated as before.
    assert "immutable" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_big_pages_and_static_text_are_compressed(app, client, login_as, world):
    officer = login_as(world.officer)
    page = officer.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert page.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "<html" in brotli.decompress(page.get_data()).decode()
    plain = officer.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and "<html" in plain.get_data(as_text=True)
    with app.test_request_context():
        css = url_for("bootstrap.static", filename="css/bootstrap.min.css")
    zipped = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(zipped.get_data())
    assert b"Bootstrap" in body and len(zipped.get_data()) < len(body) / 3


def test_the_trend_chart_has_a_data_table(login_as, world):
    client = login_as(world.officer)
    home = client.get("/").get_data(as_text=True)
    # the other charts have their tables under them: tests/dashboard/test_chart_tables.py
    assert 'href="/dashboard/charts/trend"' in home and "数值见图下的图表数据" in home
    page = client.get("/dashboard/charts/trend?weeks=4")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="trend-table"' in html
    assert "<caption" in html and html.count('scope="col"') == 6  # the week and five indicators
    # A street office sees its own street's table only; a company none.
    street = login_as(world.street_user)
    assert street.get(f"/dashboard/charts/trend?street={world.street2.id}").status_code == 404
    assert world.street1.name in street.get("/dashboard/charts/trend").get_data(as_text=True)
    assert login_as(world.company_user).get("/dashboard/charts/trend").status_code in (403, 404)
