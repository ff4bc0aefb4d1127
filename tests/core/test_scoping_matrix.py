"""Every scoped model against the users of ANOTHER street and ANOTHER company.

For each model with a ``scope_clause``, one row belongs to street 1 / company 1 (the world's
``estate1``) and one to street 2 / company 2 (``estate2``). The street-1 officer and the company-1
user must never see the other side's row (``scope.visible`` leaves it out, ``scope.load`` answers
404), and see their own where their role may. A model that gains a ``scope_clause`` without a row
here fails ``test_every_scoped_model_is_in_the_matrix``.
"""
from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from supervision.api.models import ApiToken
from supervision.attachments.models import OWNER_TYPES, Attachment
from supervision.audit.models import AuditLog
from supervision.auth import scope
from supervision.auth.models import User, UserSession
from supervision.campaigns.models import (
    Acceptance,
    AcceptanceVerdict,
    Campaign,
    CampaignStatus,
    ChecklistItem,
    ChecklistKind,
    ChecklistTemplate,
    Enrolment,
    RectificationItem,
    RectificationNotice,
    SelfInspection,
    SelfInspectionAnswer,
    SpotCheck,
    SpotCheckSample,
    SurveyRecord,
)
from supervision.companies.models import Certificate, Company, Staff
from supervision.complaints.models import Complaint, ComplaintTransition, RoutineSupervision
from supervision.contracts.models import ContractFee, PartyBuilding, PreliminaryService, ServiceContract
from supervision.credit.models import (
    CreditClue,
    CreditCorrection,
    CreditEvent,
    CreditGrade,
    CreditObjection,
    CreditPublication,
    CreditPublicationRow,
    CreditRuleItem,
    CreditRulePart,
    CreditRuleSet,
    CreditRuleSetYear,
    EventStatus,
)
from supervision.enforcement.models import (
    CaseStatus,
    EnforcementCase,
    EnforcementProposal,
    EnforcementRefusal,
    EnforcementRung,
    EnforcementStep,
    LegalArticle,
    StepStatus,
)
from supervision.estates.management import EstateManagement
from supervision.estates.models import Estate, OwnersCommittee
from supervision.extensions import db
from supervision.filings.models import CompanyFiling, FilingRequirement
from supervision.jobs.models import Job
from supervision.notifications.models import DigestDelivery, Notification, NotificationPreference
from supervision.pickers import services as picker_services
from supervision.regions.models import Community, District, Street
from supervision.reports.models import ReportStatus, ReportTransition, WeeklyReport
from supervision.reports.weeks import Week
from supervision.safety.models import FireFacility, Lift
from supervision.surveys.models import (
    Household,
    Rating,
    SurveyAnswer,
    SurveyCode,
    SurveyQuestion,
    SurveyQuestionSet,
    SurveyRound,
    SurveyRoundEstate,
    SurveyVote,
    VoteMethod,
)
from supervision.targets.models import Target, TargetSnapshot

from ..complaints.factories import gen_complaint, gen_routine, gen_transition
from ..contracts.factories import gen_contract, gen_filing, gen_party, gen_preliminary, gen_requirement
from ..credit.factories import gen_event, rules
from ..enforcement.factories import ladder
from ..estates.factories import gen_committee
from ..factories import gen_certificate, gen_certificate_type, gen_position, gen_staff
from ..reports.factories import (
    gen_acceptance,
    gen_campaign,
    gen_enrolment,
    gen_item,
    gen_report,
    gen_self_inspection,
    gen_survey,
    local,
    utc,
)
from ..safety.factories import gen_facility, gen_lift
from ..targets.factories import gen_snapshot, gen_target

_n = itertools.count(1)


def _add(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


class Sides:
    """Pairs (ours, theirs): ours in street 1 / company 1, theirs in street 2 / company 2.
    Built on demand, so that a test builds only what its model needs."""

    def __init__(self, world):
        self.w = world

    def pair(self, name):
        return getattr(self, name)

    @cached_property
    def estate(self):
        return self.w.estate1, self.w.estate2

    @cached_property
    def committee(self):
        return gen_committee(self.w.estate1), gen_committee(self.w.estate2)

    @cached_property
    def management(self):
        return tuple(_add(EstateManagement(estate_id=e.id, company_id=e.company_id, management_mode=e.management_mode,
                                           started_on=date(2026, 1, 1))) for e in self.estate)

    @cached_property
    def company(self):
        return self.w.company1, self.w.company2

    @cached_property
    def staff(self):
        position = gen_position()
        return (gen_staff(self.w.company1, position, self.w.estate1),
                gen_staff(self.w.company2, position, self.w.estate2))

    @cached_property
    def certificate(self):
        kind = gen_certificate_type()
        return tuple(gen_certificate(staff, kind) for staff in self.staff)

    @cached_property
    def enrolment(self):
        # One campaign per side: each enrols only that side's estate.
        return (gen_enrolment(gen_campaign(), self.w.estate1), gen_enrolment(gen_campaign(), self.w.estate2))

    @cached_property
    def campaign(self):
        return tuple(e.campaign for e in self.enrolment)

    @cached_property
    def survey(self):
        return tuple(gen_survey(e, date(2026, 8, 10)) for e in self.enrolment)

    @cached_property
    def self_inspection(self):
        return tuple(gen_self_inspection(e, utc(local(2026, 8, 20))) for e in self.enrolment)

    @cached_property
    def answer(self):
        template = db.session.get(ChecklistTemplate, self.self_inspection[0].template_id)
        item = _add(ChecklistItem(template_id=template.id, code=f"c{next(_n)}", position=1, category="安全防范",
                                  requirement="消防通道畅通", kind=ChecklistKind.YES_NO))
        return tuple(_add(SelfInspectionAnswer(self_inspection_id=si.id, item_id=item.id, value_bool=True))
                     for si in self.self_inspection)

    @cached_property
    def item(self):
        return tuple(gen_item(e.campaign, e, opened_at=utc(local(2026, 8, 12)), deadline=date(2026, 9, 30))
                     for e in self.enrolment)

    @cached_property
    def notice(self):
        return tuple(_add(RectificationNotice(
            number=f"〔2026〕整改第{n:04d}号", year=2026, sequence=n, estate_id=e.estate_id, street_id=e.street_id,
            company_id=e.company_id, campaign_id=e.campaign_id, issued_on=date(2026, 8, 12),
            deadline=date(2026, 9, 30))) for n, e in zip((next(_n), next(_n)), self.enrolment))

    @cached_property
    def spot_check(self):
        return tuple(_add(SpotCheck(estate_id=estate.id, street_id=estate.street_id, company_id=estate.company_id,
                                    checked_on=date(2026, 8, 14))) for estate in self.estate)

    @cached_property
    def spot_check_sample(self):
        return tuple(_add(SpotCheckSample(seed=next(_n), size=1, street_id=estate.street_id, drawn_on=date(2026, 8, 14),
                                          entries=[{"estate_id": estate.id, "weight": 1}])) for estate in self.estate)

    @cached_property
    def acceptance(self):
        return tuple(gen_acceptance(e, date(2026, 10, 8), AcceptanceVerdict.PASSED) for e in self.enrolment)

    @cached_property
    def report(self):
        week = Week.of(date(2026, 8, 10))
        return (gen_report(self.campaign[0], self.w.street1, week), gen_report(self.campaign[1], self.w.street2, week))

    @cached_property
    def report_transition(self):
        return tuple(_add(ReportTransition(report_id=r.id, to_status=ReportStatus.DRAFT)) for r in self.report)

    @cached_property
    def lift(self):
        return gen_lift(self.w.estate1), gen_lift(self.w.estate2)

    @cached_property
    def fire_facility(self):
        return gen_facility(self.w.estate1), gen_facility(self.w.estate2)

    @cached_property
    def target(self):
        return (gen_target("manager_cert", 2026, "0.9", street=self.w.street1),
                gen_target("manager_cert", 2026, "0.9", street=self.w.street2))

    @cached_property
    def snapshot(self):
        return (gen_snapshot("manager_cert", date(2026, 8, 10), 1, 2, street=self.w.street1),
                gen_snapshot("manager_cert", date(2026, 8, 10), 1, 2, street=self.w.street2))

    @cached_property
    def credit_event(self):
        rules()
        return tuple(gen_event(c, "JC-01", on=date(2026, 3, 2)) for c in self.company)

    @cached_property
    def objection(self):
        return tuple(_add(CreditObjection(event_id=e.id, company_id=e.company_id, reasons="事实不符",
                                          submitted_on=date(2026, 3, 5))) for e in self.credit_event)

    @cached_property
    def clue(self):
        return tuple(_add(CreditClue(street_id=estate.street_id, estate_id=estate.id, company_id=estate.company_id,
                                     occurred_on=date(2026, 3, 1), description="乱收费")) for estate in self.estate)

    @cached_property
    def publication_row(self):
        rule_set = rules()[0]
        publication = _add(CreditPublication(name=f"2026年第{next(_n)}期", as_of=date(2026, 6, 30),
                                             rule_set_id=rule_set.id, rule_set_name=str(rule_set)))
        # Neither row is on the red or black list: only the company itself (and the bureau) may see it.
        return tuple(_add(CreditPublicationRow(
            publication_id=publication.id, company_id=c.id, company_name=c.name, credit_code=c.credit_code,
            position=i, base=Decimal("80"), parts={}, total=Decimal("80"), grade_code="B", grade_label="B级",
            grade_rank=2)) for i, c in enumerate(self.company, 1))

    @cached_property
    def enforcement_case(self):
        ladder()
        self.rung = db.session.scalar(select(EnforcementRung).order_by(EnforcementRung.level).limit(1))
        return tuple(_add(EnforcementCase(company_id=e.company_id, estate_id=e.id, street_id=e.street_id,
                                          status=CaseStatus.OPEN, rung_id=self.rung.id, opened_on=date(2026, 9, 1)))
                     for e in self.estate)

    @cached_property
    def enforcement_step(self):
        return tuple(_add(EnforcementStep(case_id=c.id, rung_id=self.rung.id, status=StepStatus.ISSUED, title="约谈",
                                          content="经查", doc_word="约谈", year=2026, seq=n,
                                          number=f"〔2026〕约谈第{n:04d}号"))
                     for n, c in zip((next(_n), next(_n)), self.enforcement_case))

    @cached_property
    def enforcement_proposal(self):
        cases = self.enforcement_case
        return tuple(_add(EnforcementProposal(company_id=c.company_id, estate_id=c.estate_id, street_id=c.street_id,
                                              rung_id=self.rung.id, proposed_on=date(2026, 9, 1))) for c in cases)

    @cached_property
    def refusal(self):
        return tuple(_add(EnforcementRefusal(company_id=e.company_id, estate_id=e.id, street_id=e.street_id,
                                             occurred_on=date(2026, 9, 1), description="拒不整改"))
                     for e in self.estate)

    @cached_property
    def preliminary(self):
        return tuple(gen_preliminary(e) for e in self.estate)

    @cached_property
    def party(self):
        return tuple(gen_party(e) for e in self.estate)

    @cached_property
    def contract(self):
        return tuple(gen_contract(e) for e in self.estate)

    @cached_property
    def contract_fee(self):
        return tuple(c.fees[0] for c in self.contract)

    @cached_property
    def filing_requirement(self):
        return tuple(gen_requirement(c) for c in self.campaign)

    @cached_property
    def company_filing(self):
        return tuple(gen_filing(r, c) for r, c in zip(self.filing_requirement, self.company))

    @cached_property
    def survey_round(self):
        question_set = _add(SurveyQuestionSet(code=f"s{next(_n)}", name="问卷"))
        return tuple(_add(SurveyRound(name=f"测评{next(_n)}", opens_on=date(2026, 8, 1), closes_on=date(2026, 8, 31),
                                      question_set_id=question_set.id)) for _ in self.estate)

    @cached_property
    def round_estate(self):
        return tuple(_add(SurveyRoundEstate(round_id=r.id, estate_id=e.id, street_id=e.street_id,
                                            company_id=e.company_id, households=10, code_salt="x"))
                     for r, e in zip(self.survey_round, self.estate))

    @cached_property
    def survey_round_of_estate(self):
        return tuple(re.round for re in self.round_estate)  # a round is seen through its estates

    @cached_property
    def survey_code(self):
        return tuple(_add(SurveyCode(round_estate_id=re.id, serial=1, code_hash=f"{next(_n):064d}"))
                     for re in self.round_estate)

    @cached_property
    def household(self):
        return tuple(_add(Household(estate_id=e.id, room="1-101", phone_hash="0" * 64, phone_masked="138****0000"))
                     for e in self.estate)

    @cached_property
    def survey_vote(self):
        return tuple(_add(SurveyVote(round_id=re.round_id, round_estate_id=re.id, street_id=re.street_id,
                                     company_id=re.company_id, method=VoteMethod.CODE, overall=Rating.SATISFIED,
                                     address_hash="0" * 64)) for re in self.round_estate)

    @cached_property
    def survey_answer(self):
        question = _add(SurveyQuestion(question_set_id=self.survey_round[0].question_set_id, code=f"q{next(_n)}",
                                       text="总体评价", is_overall=True))
        return tuple(_add(SurveyAnswer(vote_id=v.id, question_id=question.id, rating=Rating.SATISFIED))
                     for v in self.survey_vote)

    @cached_property
    def complaint(self):
        return tuple(gen_complaint(estate) for estate in self.estate)

    @cached_property
    def complaint_transition(self):
        return tuple(gen_transition(c) for c in self.complaint)

    @cached_property
    def routine(self):
        return tuple(gen_routine(estate) for estate in self.estate)

    def attachments_of(self, owner_pair):
        out = []
        for owner in owner_pair:
            n = next(_n)
            out.append(_add(Attachment(owner_type=type(owner).attachment_owner_type, owner_id=owner.id,
                                       stored_name=f"stored{n}.jpg", original_name="照片.jpg",
                                       content_type="image/jpeg", size=10, sha256=hashlib.sha256(b"%d" % n).hexdigest(),
                                       uploaded_by_id=self.w.officer.id)))
        return tuple(out)


# model → (pair in Sides, the street-1 officer sees ours, the company-1 user sees ours)
MATRIX = {
    Estate: ("estate", True, True),
    OwnersCommittee: ("committee", True, True),
    EstateManagement: ("management", True, True),
    Company: ("company", True, True),
    Staff: ("staff", True, True),
    Certificate: ("certificate", True, True),
    Campaign: ("campaign", True, True),
    Enrolment: ("enrolment", True, True),
    SurveyRecord: ("survey", True, True),
    SelfInspection: ("self_inspection", True, True),
    SelfInspectionAnswer: ("answer", True, True),
    RectificationItem: ("item", True, True),
    RectificationNotice: ("notice", True, True),
    SpotCheck: ("spot_check", True, True),
    SpotCheckSample: ("spot_check_sample", False, False),
    Acceptance: ("acceptance", True, True),
    Lift: ("lift", True, True),
    FireFacility: ("fire_facility", True, True),
    WeeklyReport: ("report", True, False),
    ReportTransition: ("report_transition", True, False),
    Target: ("target", True, False),
    TargetSnapshot: ("snapshot", True, False),
    CreditEvent: ("credit_event", False, True),
    CreditObjection: ("objection", False, True),
    CreditClue: ("clue", True, False),
    CreditPublicationRow: ("publication_row", False, True),
    EnforcementCase: ("enforcement_case", True, True),
    EnforcementStep: ("enforcement_step", True, True),
    EnforcementProposal: ("enforcement_proposal", False, False),
    EnforcementRefusal: ("refusal", True, True),
    PreliminaryService: ("preliminary", True, True),
    PartyBuilding: ("party", True, True),
    ServiceContract: ("contract", True, True),
    ContractFee: ("contract_fee", True, True),
    FilingRequirement: ("filing_requirement", True, True),
    CompanyFiling: ("company_filing", True, True),
    SurveyRound: ("survey_round_of_estate", True, True),
    SurveyRoundEstate: ("round_estate", True, True),
    SurveyCode: ("survey_code", True, False),
    Household: ("household", True, False),
    SurveyVote: ("survey_vote", True, False),
    SurveyAnswer: ("survey_answer", True, False),
    Complaint: ("complaint", True, True),
    ComplaintTransition: ("complaint_transition", True, True),
    RoutineSupervision: ("routine", True, True),
}
# Visible to every logged-in user (reference data, the region tree, published results, the audit log,
# whose pages are for the bureau's roles only).
PUBLIC = {District, Street, Community, CreditRuleSet, CreditRulePart, CreditRuleItem, CreditGrade,
          CreditRuleSetYear, CreditPublication, CreditCorrection, AuditLog, EnforcementRung, LegalArticle,
          SurveyQuestionSet, SurveyQuestion}
# A user's own rows.
OWN_ROWS = {User, Notification, ApiToken, UserSession, Job, NotificationPreference, DigestDelivery}
# Follows its owner row: tested over every owner type below.
BY_OWNER = {Attachment}


def _scoped_models():
    return {mapper.class_ for mapper in db.Model.registry.mappers if hasattr(mapper.class_, "scope_clause")}


def test_every_scoped_model_is_in_the_matrix(app):
    assert _scoped_models() == set(MATRIX) | PUBLIC | OWN_ROWS | BY_OWNER


def _visible_ids(model, user, ids):
    return set(db.session.scalars(scope.visible(model, user, select(model.id)).where(model.id.in_(ids))))


def _check(model, ours, theirs, user, sees_ours: bool):
    assert _visible_ids(model, user, [ours.id, theirs.id]) == ({ours.id} if sees_ours else set())
    with pytest.raises(NotFound):
        scope.load(model, theirs.id, user=user)
    if sees_ours:
        assert scope.load(model, ours.id, user=user).id == ours.id
    else:
        with pytest.raises(NotFound):
            scope.load(model, ours.id, user=user)


@pytest.mark.parametrize("model", list(MATRIX), ids=lambda m: m.__name__)
def test_other_street_and_other_company_are_out_of_scope(world, model):
    name, street_sees, company_sees = MATRIX[model]
    ours, theirs = Sides(world).pair(name)
    db.session.commit()
    _check(model, ours, theirs, world.street_user, street_sees)
    _check(model, ours, theirs, world.company_user, company_sees)
    # The mirror image: street 2 and company 2 see theirs and never ours.
    _check(model, theirs, ours, world.street2_user, street_sees)
    _check(model, theirs, ours, world.company2_user, company_sees)
    for user in (world.officer, world.leader):
        assert _visible_ids(model, user, [ours.id, theirs.id]) == {ours.id, theirs.id}


# owner type → the pair of owners in Sides
OWNERS = {"estate": "estate", "company": "company", "survey": "survey", "self_inspection": "self_inspection",
          "answer": "answer", "item": "item", "spot_check": "spot_check", "acceptance": "acceptance",
          "weekly_report": "report", "credit_event": "credit_event", "credit_objection": "objection",
          "credit_clue": "clue", "preliminary": "preliminary", "service_contract": "contract",
          "company_filing": "company_filing", "complaint": "complaint"}


def test_every_attachment_owner_type_is_tested(app):
    assert set(OWNERS) == set(OWNER_TYPES)


@pytest.mark.parametrize("owner_type", sorted(OWNERS))
def test_attachments_follow_their_owner(world, owner_type):
    sides = Sides(world)
    owners = sides.pair(OWNERS[owner_type])
    owner_model = OWNER_TYPES[owner_type]
    ours, theirs = sides.attachments_of(owners)
    db.session.commit()
    _, street_sees, company_sees = MATRIX[owner_model]
    _check(Attachment, ours, theirs, world.street_user, street_sees)
    _check(Attachment, ours, theirs, world.company_user, company_sees)
    _check(Attachment, theirs, ours, world.street2_user, street_sees)
    _check(Attachment, theirs, ours, world.company2_user, company_sees)


def test_an_unattached_upload_is_its_uploaders_alone(world):
    upload = _add(Attachment(owner_type=None, owner_id=None, stored_name="loose.jpg", original_name="a.jpg",
                             content_type="image/jpeg", size=1, sha256="0" * 64, uploaded_by_id=world.company_user.id))
    db.session.commit()
    assert scope.load(Attachment, upload.id, user=world.company_user).id == upload.id
    for user in (world.company2_user, world.street_user, world.officer):
        with pytest.raises(NotFound):
            scope.load(Attachment, upload.id, user=user)


@pytest.mark.parametrize("model", sorted(PUBLIC, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_public_models_are_visible_to_every_role(world, model):
    for user in (world.street_user, world.company_user, world.officer):
        assert str(scope.visible(model, user).whereclause) == "true"


def test_own_rows_only(world):
    mine = _add(Notification(user_id=world.company_user.id, kind="x", title="给我的", dedup_key="a"))
    other = _add(Notification(user_id=world.company2_user.id, kind="x", title="给别人的", dedup_key="a"))
    token = _add(ApiToken(user_id=world.company2_user.id, name="t", prefix="abc", token_hash="f" * 64,
                          expires_at=datetime.now(UTC) + timedelta(days=1)))
    db.session.commit()
    assert _visible_ids(Notification, world.company_user, [mine.id, other.id]) == {mine.id}
    now = datetime.now(UTC)
    own_login = _add(UserSession(user_id=world.company_user.id, token_hash="a" * 64, created_at=now, last_seen_at=now))
    other_login = _add(UserSession(user_id=world.company2_user.id, token_hash="b" * 64, created_at=now,
                                   last_seen_at=now))
    db.session.commit()
    assert _visible_ids(UserSession, world.company_user, [own_login.id, other_login.id]) == {own_login.id}
    with pytest.raises(NotFound):
        scope.load(UserSession, other_login.id, user=world.admin)
    with pytest.raises(NotFound):
        scope.load(ApiToken, token.id, user=world.company_user)
    with pytest.raises(NotFound):
        scope.load(User, world.company2_user.id, user=world.company_user)
    assert scope.load(User, world.company2_user.id, user=world.admin).id == world.company2_user.id
    own_job = _add(Job(user_id=world.company_user.id, kind="x", title="我的任务"))
    other_job = _add(Job(user_id=world.company2_user.id, kind="x", title="别人的任务"))
    db.session.commit()
    assert _visible_ids(Job, world.company_user, [own_job.id, other_job.id]) == {own_job.id}
    with pytest.raises(NotFound):
        scope.load(Job, other_job.id, user=world.admin)


# --- the special cases ----------------------------------------------------------

def test_a_draft_campaign_and_its_records_stay_with_the_bureau(world):
    sides = Sides(world)
    ours = sides.enrolment[0]
    ours.campaign.status = CampaignStatus.DRAFT
    survey = sides.survey[0]
    db.session.commit()
    for user in (world.street_user, world.company_user):
        for model, row in ((Campaign, ours.campaign), (Enrolment, ours), (SurveyRecord, survey)):
            with pytest.raises(NotFound):
                scope.load(model, row.id, user=user)
    assert scope.load(Campaign, ours.campaign.id, user=world.officer)


def test_a_company_never_sees_the_bureaus_draft_credit_events(world):
    rules()
    draft = gen_event(world.company1, "JC-01", on=date(2026, 3, 2), status="draft")
    db.session.commit()
    assert draft.status is EventStatus.DRAFT
    with pytest.raises(NotFound):
        scope.load(CreditEvent, draft.id, user=world.company_user)
    assert scope.load(CreditEvent, draft.id, user=world.officer)


def test_the_red_and_black_lists_are_public(world):
    listed, unlisted = Sides(world).publication_row
    listed.black = True
    db.session.commit()
    for user in (world.street_user, world.company2_user):
        assert scope.load(CreditPublicationRow, listed.id, user=user).id == listed.id
    with pytest.raises(NotFound):
        scope.load(CreditPublicationRow, unlisted.id, user=world.street_user)


def test_street_offices_see_the_districts_targets_but_no_company_does(world):
    district = gen_target("manager_cert", 2026, "0.9")
    db.session.commit()
    assert scope.load(Target, district.id, user=world.street_user).id == district.id
    with pytest.raises(NotFound):
        scope.load(Target, district.id, user=world.company_user)


def test_head_office_staff_are_not_a_street_offices(world):
    staff = gen_staff(world.company1, gen_position(), estate=None)
    db.session.commit()
    assert scope.load(Staff, staff.id, user=world.company_user).id == staff.id
    with pytest.raises(NotFound):
        scope.load(Staff, staff.id, user=world.street_user)


def test_scope_clauses_work_on_aliases_and_inside_queries_of_the_parent(world):
    from sqlalchemy.orm import aliased

    sides = Sides(world)
    staff = sides.staff
    db.session.commit()
    # The staff rule speaks of estates: inside a query of estates it must not be correlated away.
    statement = select(Estate.id, Staff.id).join(Staff, Staff.estate_id == Estate.id).where(
        Staff.scope_clause(world.street_user))
    assert db.session.execute(statement).all() == [(world.estate1.id, staff[0].id)]
    alias = aliased(Staff)
    assert set(db.session.scalars(select(alias.id).where(alias.scope_clause(world.street_user)))) == {staff[0].id}


@pytest.mark.parametrize("kind", ["estates", "companies", "staff"])
def test_the_pickers_search_and_resolve_only_within_the_scope(world, kind):
    """The type-ahead pickers (supervision/pickers) find and accept only what ``scope.visible`` allows."""
    picker = picker_services.PICKERS[kind]
    if kind == "staff":
        position = gen_position()
        ours = gen_staff(world.company1, position, world.estate1, name="甲员工")
        theirs = gen_staff(world.company2, position, world.estate2, name="乙员工")
        db.session.commit()
    else:
        ours, theirs = (world.estate1, world.estate2) if kind == "estates" else (world.company1, world.company2)
    for user in (world.street_user, world.company_user):
        assert [o.id for o in picker_services.search(picker, user, ours.name, {})] == [ours.id]
        assert picker_services.search(picker, user, theirs.name, {}) == []
        assert picker_services.resolve(picker, user, None, theirs.name, {}).option is None
        assert picker_services.resolve(picker, user, str(theirs.id), None, {}).error
    for user in (world.street2_user, world.company2_user):
        assert picker_services.search(picker, user, ours.name, {}) == []
    assert [o.id for o in picker_services.search(picker, world.officer, theirs.name, {})] == [theirs.id]


def test_the_community_picker_offers_every_streets_communities_to_every_role(world):
    """Communities are the region tree (``Community.scope_clause``: everyone): each role finds another street's,
    and ``street`` narrows the choice to one street, for every role alike."""
    picker = picker_services.PICKERS["communities"]
    for user in (world.officer, world.street_user, world.company_user, world.street2_user, world.company2_user):
        assert [o.id for o in picker_services.search(picker, user, world.community2.name, {})] == [world.community2.id]
        assert picker_services.search(picker, user, world.community2.name, {"street": world.street1.id}) == []
        assert picker_services.resolve(picker, user, None, world.community1.name, {}).option.id == world.community1.id
