"""Fixtures of the portal tests."""
from __future__ import annotations

import pytest

from .factories import build_public_world, register_test_sources, unregister_test_sources


@pytest.fixture
def public(app):
    app.extensions.pop("portal_pages", None)
    world = build_public_world()
    yield world
    app.extensions.pop("portal_pages", None)


@pytest.fixture
def sources(public):
    register_test_sources()
    yield public
    unregister_test_sources()
