"""Each role sees the navigation of its role, and nothing more."""
from __future__ import annotations

import pytest

ADMIN_LINKS = ["/admin/users", "/admin/regions/", "/admin/audit/"]


@pytest.mark.parametrize("who, sees_admin", [
    ("admin", True), ("officer", False), ("leader", False), ("street_user", False), ("company_user", False),
])
def test_admin_links_only_for_admin(login_as, world, who, sees_admin):
    html = login_as(getattr(world, who)).get("/").get_data(as_text=True)
    nav = html.split('class="app-sidebar"')[1].split("</nav>")[0]
    for link in ADMIN_LINKS:
        assert (f'href="{link}"' in nav) is sees_admin
    assert 'href="/"' in nav  # everyone has the workbench


def test_navigation_follows_the_role_table(app, world):
    """The rendered sections are exactly those the table grants the role."""
    from flask_login import login_user

    from supervision.navigation import NAV, nav_for

    for user in (world.admin, world.officer, world.leader, world.street_user, world.company_user):
        with app.test_request_context():
            login_user(user)
            shown = {item.endpoint for _section, items in nav_for(user) for item in items}
        expected = {item.endpoint for item in NAV if user.role in item.roles and item.endpoint in app.view_functions}
        assert shown == expected
        assert all(user.role in item.roles for item in NAV if item.endpoint in shown)


def test_role_badge_in_header(login_as, world):
    html = login_as(world.street_user).get("/").get_data(as_text=True)
    assert "街道办" in html and "东城街道" in html
