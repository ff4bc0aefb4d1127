"""Estate services: the due date follows edits; history includes the committee's changes."""
from __future__ import annotations

from datetime import date

import pytest

from supervision.core.errors import TransitionError
from supervision.estates import services
from supervision.estates.models import ManagementMode
from supervision.extensions import db


def test_due_date_follows_the_vote(world):
    estate = world.estate1
    services.update_estate(estate, {"professional_vote_on": date(2026, 4, 30), "professional_vote_households": 260})
    assert estate.committee_due_on == date(2026, 6, 30)
    services.update_estate(estate, {"professional_vote_households": 200})  # 200 of 500: under half
    assert estate.committee_due_on is None


def test_the_street_follows_the_community(world):
    services.update_estate(world.estate1, {"community_id": world.community2.id})
    assert world.estate1.street_id == world.street2.id


def test_archive_twice_is_refused(world):
    services.archive_estate(world.estate1)
    with pytest.raises(TransitionError):
        services.archive_estate(world.estate1)
    services.restore_estate(world.estate1)
    assert world.estate1.archived_at is None


def test_history_includes_the_committee(world):
    services.update_estate(world.estate1, {"households": 510})
    services.create_committee(world.estate1, {"prep_group_on": date(2026, 1, 5)})
    db.session.commit()
    actions = [row.action for row in services.estate_history(world.estate1)]
    assert actions == ["committee.create", "estate.update"]


def test_values_are_trimmed(world):
    estate = services.create_estate({"name": "  空格小区 ", "address": " 路 ", "community_id": world.community1.id,
                                     "management_mode": ManagementMode.NONE, "notes": "   "})
    assert (estate.name, estate.address, estate.notes) == ("空格小区", "路", None)
