"""core/markup.py's badge: what the ``badge`` macro draws, also without a macro call."""
from __future__ import annotations

from flask import render_template_string

from supervision.campaigns.models import EnrolmentStatus
from supervision.core.markup import status_badge
from supervision.estates.models import ManagementMode


def test_status_badge_as_the_macro(app):
    with app.test_request_context("/"):
        for state in (*ManagementMode, *EnrolmentStatus, None):
            html = render_template_string('{% from "_macros.html" import badge %}{{ badge(s) }}', s=state)
            assert html == status_badge(state)
        mode = next(iter(ManagementMode))
        assert status_badge(mode) == f'<span class="badge bg-{mode.badge} status-badge">{mode.label}</span>'
        assert status_badge(mode, "<b>") == f'<span class="badge bg-{mode.badge} status-badge">&lt;b&gt;</span>'
        assert status_badge(None) == ""
