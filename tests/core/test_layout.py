"""The base layout's sidebar and fixed URLs (supervision/navigation.py): built once per role, catalogue and
application root, the same HTML and links a per-page build gives, the page's own entry marked."""
from __future__ import annotations

import re

from flask import url_for
from flask_login import login_user

from supervision.navigation import fixed_url, nav_for, nav_html, nav_url


def _links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="nav-link[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', html)


def test_the_sidebar_marks_the_current_page_and_lists_the_roles_entries(login_as, world):
    client = login_as(world.officer)
    for path, endpoint in (("/", "dashboard.index"), ("/estates/", "estates.index"), ("/notifications/", None)):
        html = client.get(path).get_data(as_text=True)
        sidebar = html.split('class="app-sidebar"')[1].split('<div class="d-lg-none">')[0]
        current = re.findall(r'<a class="nav-link active" href="([^"]+)" aria-current="page">', sidebar)
        assert current == ([path] if endpoint else []), path
        assert sidebar.count("aria-current") == len(current)


def test_the_kept_sidebar_equals_a_fresh_build(app, world):
    for user in (world.officer, world.street_user, world.company_user, world.admin):
        with app.test_request_context("/estates/"):
            login_user(user)
            app.extensions.pop("navigation_html", None)
            fresh = str(nav_html(user))
            kept = str(nav_html(user))
            expected = [(nav_url(item), str(item.label)) for _section, items in nav_for(user) for item in items]
        assert fresh == kept
        assert _links(fresh) == expected
        sections = [str(section) for section, _items in nav_for(user) if section]
        assert re.findall(r'<div class="nav-section">([^<]+)</div>', fresh) == sections


def test_fixed_urls_equal_url_for_under_each_application_root(app):
    for root in ("", "/supervision"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            for endpoint, values in (("jobs.index", {}), ("static", {"filename": "css/app.css"})):
                assert fixed_url(endpoint, **values) == url_for(endpoint, **values)
                assert fixed_url(endpoint, **values).startswith(f"{root}/")
