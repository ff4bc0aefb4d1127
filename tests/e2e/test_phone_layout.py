"""Every role on a phone (390×844) and a tablet (768×1024): the menu opens without JavaScript, and no
page of the role's navigation scrolls sideways (wide tables scroll inside their own box)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

ROLES = ("admin", "officer", "leader", "street", "company")
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
# Screenshots of each role's home page on a phone; SCREENSHOT_DIR=docs/screenshots refreshes the committed ones.
SCREENSHOTS = os.environ.get("SCREENSHOT_DIR")

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _nav_paths(page) -> list[str]:
    hrefs = page.locator("#app-nav a.nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if h and h.startswith("/")))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_role_fits_a_phone(new_context, live_server, role, tmp_path):
    context = new_context(viewport=PHONE, java_script_enabled=False)
    page = sign_in(context.new_page(), live_server, role)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{role}-phone.png"), full_page=False)
    # The navigation is a menu: closed, then opened by the header's 菜单 (no JavaScript in this context).
    expect(page.locator("#app-nav")).to_be_hidden()
    page.locator("label[for=nav-toggle]").click()
    expect(page.locator("#app-nav")).to_be_visible()
    paths = _nav_paths(page)
    assert len(paths) >= 4
    wide = []
    for path in paths:
        page.goto(live_server.url + path)
        if page.evaluate(OVERFLOW) > 0:
            wide.append(f"{path}: {page.evaluate(OVERFLOW)}px too wide")
    assert not wide, f"pages wider than a phone for {role}:\n" + "\n".join(wide)


@pytest.mark.parametrize("role", ("officer", "company"))
def test_a_tablet_shows_the_pages_without_sideways_scroll(new_context, live_server, role):
    page = sign_in(new_context(viewport=TABLET).new_page(), live_server, role)
    page.locator("label[for=nav-toggle]").click()
    for path in _nav_paths(page)[:8]:
        page.goto(live_server.url + path)
        assert page.evaluate(OVERFLOW) <= 0, path
