"""axe-core over every role's navigation pages at a desktop (1280×800) and a phone (390×844) viewport:
no violation of impact serious or critical (WCAG 2.1 A/AA and axe best practices)."""
from __future__ import annotations

import json
import os

import pytest

from .axe import describe, run_axe
from .conftest import sign_in

ROLES = ("admin", "officer", "leader", "street", "company")
# AXE_DUMP=file.jsonl keeps every violation found, for working through them.
DUMP = os.environ.get("AXE_DUMP")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _nav_paths(page) -> list[str]:
    hrefs = page.locator("#app-nav a.nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(h for h in hrefs if h and h.startswith("/")))


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_main_pages_have_no_serious_accessibility_violation(new_context, live_server, role, viewport):
    # bypass_csp: the app's Content-Security-Policy (rightly) refuses the injected axe script.
    context = new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = sign_in(context.new_page(), live_server, role)
    paths = ["/"] + [p for p in _nav_paths(page) if p != "/"]
    assert len(paths) >= 4
    found = []
    for path in paths:
        page.goto(live_server.url + path)
        violations = run_axe(page)
        found += describe(path, violations)
        if DUMP:
            with open(DUMP, "a", encoding="utf-8") as out:
                record = {"role": role, "viewport": viewport, "path": path, "violations": violations}
                out.write(json.dumps(record) + "\n")
    assert not found, f"axe-core violations for {role} at {viewport}:\n" + "\n".join(found)


def test_keyboard_users_keep_their_place_and_see_the_focus(new_context, live_server):
    page = sign_in(new_context(viewport=VIEWPORTS["desktop"]).new_page(), live_server, "officer")
    page.goto(live_server.url + "/campaigns/items")
    # The first Tab reaches the skip link, drawn with a focus ring of at least 3px.
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return {cls: e.className, width: parseFloat(s.outlineWidth), style: s.outlineStyle}; }""")
    assert "skip-link" in focused["cls"] and focused["width"] >= 3 and focused["style"] != "none"
    # Arrowing through a filter drop-down does not submit the page at every step; the 查询 button does.
    select = page.locator("form.filter-bar select").first
    select.focus()
    before = page.url
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url == before
    page.locator("form.filter-bar button[type=submit]").click()
    page.wait_for_load_state()
    assert "?" in page.url
