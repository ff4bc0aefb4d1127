"""The demo district holds open cases at several rungs, published disclosures and today's proposals."""
from __future__ import annotations

from sqlalchemy import func, select

from supervision.enforcement.models import (
    CaseStatus,
    EnforcementCase,
    EnforcementProposal,
    EnforcementRung,
    EnforcementStep,
    ProposalStatus,
    StepStatus,
)
from supervision.enforcement.public import published_disclosures
from supervision.extensions import db


def test_the_demo_has_open_cases_at_several_rungs(demo):
    with demo.app.app_context(), demo.app.test_request_context():
        rungs = set(db.session.scalars(select(EnforcementRung.code).join(
            EnforcementCase, EnforcementCase.rung_id == EnforcementRung.id).where(
            EnforcementCase.status == CaseStatus.OPEN)))
        assert {"interview", "circular", "exposure"} <= rungs
        assert db.session.scalar(select(func.count(EnforcementStep.id))
                                 .where(EnforcementStep.status == StepStatus.PENDING)) >= 1  # a penalty for the leader
        assert {d.kind for d in published_disclosures()} == {"通报", "曝光"}
        assert db.session.scalar(select(func.count(EnforcementProposal.id))
                                 .where(EnforcementProposal.status == ProposalStatus.PENDING)) >= 1
        assert demo.counts_first == demo.counts_second  # idempotent
