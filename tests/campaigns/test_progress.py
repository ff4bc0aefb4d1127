"""Derived progress: an enrolment's stage follows its records through every phase, and
the campaign page's numbers agree with the lists they link to."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from supervision.campaigns.models import (
    AcceptanceVerdict,
    EnrolmentStage,
    ItemSource,
    ItemState,
    PhaseKind,
    RectificationItem,
)
from supervision.campaigns.services import acceptance, progress, self_inspection
from supervision.campaigns.services import enrolment as enrolment_service
from supervision.campaigns.services.survey import ProblemInput, record_survey
from supervision.core.timeutil import local_today
from supervision.estates.models import ManagementMode
from supervision.extensions import db

from ..factories import gen_estate
from . import factories as f

Stage = EnrolmentStage


def _fill(si, user, *, fail_codes=()):
    raw = {}
    for item in si.template.items:
        failing = item.code in fail_codes
        if item.kind.value == "yes_no":
            raw[item.id] = "否" if failing else "是"
        elif item.kind.value in ("percent", "count"):
            ok = item.threshold if item.comparator == ">=" else 0
            raw[item.id] = "0" if failing and item.comparator == ">=" else str(int(ok))
    outcome = self_inspection.save_answers(si, raw, {}, actor=user)
    assert not outcome.errors


def test_stage_follows_the_records_through_every_phase(running):
    w = running
    e = w.enrolment1
    assert progress.stage_of(e) is Stage.SURVEY
    survey = record_survey(e, actor=w.street_user, surveyed_on=local_today(),
                           management_mode=ManagementMode.PROFESSIONAL, company_id=w.company1.id,
                           committee_status=None, notes="",
                           problems=[ProblemInput("消防安全", "楼道堆物")])
    assert progress.stage_of(e) is Stage.SELF_INSPECTION
    si = self_inspection.start(e, actor=w.company_user)
    _fill(si, w.company_user, fail_codes={"FIR-02"})
    assert progress.stage_of(e) is Stage.SELF_INSPECTION  # a draft is not a submission
    created = self_inspection.submit(si, actor=w.company_user)
    assert [i.source for i in created] == [ItemSource.SELF_INSPECTION]
    assert progress.stage_of(e) is Stage.RECTIFICATION
    self_inspection.return_for_revision(si, comment="请核实", actor=w.officer)
    assert progress.stage_of(e) is Stage.SELF_INSPECTION  # returned: to be submitted again
    self_inspection.submit(si, actor=w.company_user)
    items = db.session.scalars(select(RectificationItem).where(RectificationItem.enrolment_id == e.id)).all()
    assert len(items) == 2  # the survey's problem and the failed check, not duplicated on resubmission
    for item in items:
        f.move(item, f.PATH_TO[ItemState.SUBMITTED], answerer=w.company_user, officer=w.officer)
    assert progress.stage_of(e) is Stage.RECTIFICATION
    verdicts = {i.id: acceptance.ItemVerdictInput(i.source is ItemSource.SURVEY, "") for i in items}
    acceptance.record_acceptance(e, actor=w.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.FAILED,
                                 remarks="", item_verdicts=verdicts, reopen_deadline_workdays=5)
    assert progress.stage_of(e) is Stage.RECTIFICATION
    failed = next(i for i in items if i.source is ItemSource.SELF_INSPECTION)
    assert failed.state is ItemState.REJECTED
    f.move(failed, [ItemState.IN_PROGRESS, ItemState.SUBMITTED, ItemState.ACCEPTED], answerer=w.company_user,
           officer=w.officer)
    assert progress.stage_of(e) is Stage.ACCEPTANCE
    acceptance.record_acceptance(e, actor=w.officer, inspected_on=local_today(), verdict=AcceptanceVerdict.PASSED,
                                 remarks="", item_verdicts={i.id: acceptance.ItemVerdictInput(True) for i in items})
    assert progress.stage_of(e) is Stage.CLOSED and e.closed_at is not None
    assert survey.enrolment is e
    enrolment_service.withdraw(w.enrolment2, reason="纳入旧改", actor=w.officer)
    assert progress.stage_of(w.enrolment2) is Stage.WITHDRAWN


def test_stages_depend_on_the_campaigns_phases(world):
    """Without survey or self-inspection phases those steps are not waited for; an estate
    without a company is never waiting for a self-inspection."""
    campaign = f.gen_campaign(world, code="s5_clearing")  # 调研摸底—推进落实—巩固提升: no self-inspection
    kinds = [p.kind for p in campaign.phases]
    assert kinds == [PhaseKind.SURVEY, PhaseKind.RECTIFICATION, PhaseKind.ACCEPTANCE]
    (e,) = f.enrol(campaign, world.estate1, actor=world.officer)
    record_survey(e, actor=world.officer, surveyed_on=local_today(), management_mode=ManagementMode.PROFESSIONAL,
                  company_id=world.company1.id, committee_status=None, notes="", problems=[])
    assert progress.stage_of(e) is Stage.ACCEPTANCE
    four = f.gen_campaign(world, name="四阶段")
    no_company = gen_estate(community=world.community1, name="无物业小区")
    (e2,) = f.enrol(four, no_company, actor=world.officer)
    record_survey(e2, actor=world.officer, surveyed_on=local_today(), management_mode=ManagementMode.NONE,
                  company_id=None, committee_status=None, notes="", problems=[])
    assert progress.stage_of(e2) is Stage.ACCEPTANCE


def _numbers(html: str, label: str) -> list[str]:
    return re.findall(label, html)


def test_campaign_page_numbers_match_their_lists(running, login_as):
    w = running
    extra = [gen_estate(community=w.community1, company=w.company1, name=f"东城{n}号小区") for n in range(3)]
    f.enrol(w.campaign, *extra, actor=w.officer)
    record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today(),
                  management_mode=ManagementMode.PROFESSIONAL, company_id=w.company1.id, committee_status=None,
                  notes="", problems=[ProblemInput("消防安全", "堆物"), ProblemInput("环境卫生", "垃圾")])
    items = db.session.scalars(select(RectificationItem)).all()
    items[0].deadline = local_today() - timedelta(days=3)  # overdue
    db.session.commit()
    data = progress.campaign_progress(w.campaign)
    rows = {r.street: r for r in data.rows}
    assert rows["东城街道"].enrolled == 4 and rows["东城街道"].stages == {"survey": 3, "self_inspection": 1}
    assert rows["东城街道"].not_surveyed == 3 and rows["东城街道"].items_total == 2
    assert rows["东城街道"].items_overdue == 1 and rows["西城街道"].stages == {"survey": 1}
    client = login_as(w.officer)
    html = client.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)
    street1 = w.street1.id
    # Every figure links to the list behind it, and that list has exactly that many rows.
    link = f'href="/campaigns/{w.campaign.id}/enrolments?street={street1}&amp;stage=survey">3</a>'
    assert link in html
    listing = client.get(f"/campaigns/{w.campaign.id}/enrolments?street={street1}&stage=survey").get_data(as_text=True)
    assert "共 3 条" in listing
    listing = client.get(f"/campaigns/{w.campaign.id}/enrolments?street={street1}&surveyed=0").get_data(as_text=True)
    assert "共 3 条" in listing
    assert f'href="/campaigns/items?campaign={w.campaign.id}&amp;street={street1}&amp;overdue=1">1</a>' in html
    overdue = client.get(f"/campaigns/items?campaign={w.campaign.id}&street={street1}&overdue=1").get_data(as_text=True)
    assert "共 1 条" in overdue and f"#{items[0].id}<" in overdue


@pytest.mark.parametrize("cached", [True, False], ids=["progress cached", "progress computed"])
def test_campaign_page_query_count_does_not_grow_with_enrolments(running, login_as, count_queries, cached):
    w = running
    f.gen_item(w.enrolment1, actor=w.officer)
    db.session.commit()
    client = login_as(w.officer)
    client.get(f"/campaigns/{w.campaign.id}")

    def queries():
        counts = []
        for url in (f"/campaigns/{w.campaign.id}", f"/campaigns/{w.campaign.id}/enrolments", "/campaigns/items"):
            client.get(url)  # the progress table of the current data is cached now …
            if not cached:  # … or computed again
                client.application.extensions.pop("campaign_progress", None)
            with count_queries() as q:
                assert client.get(url).status_code == 200
            counts.append(len(q))
        return counts

    before = queries()
    for n in range(6):
        estate = gen_estate(community=w.community2 if n % 2 else w.community1, company=w.company1,
                            name=f"加测小区{n}")
        (e,) = f.enrol(w.campaign, estate, actor=w.officer)
        f.gen_item(e, actor=w.officer)
    db.session.commit()
    assert queries() == before


def test_enrolment_list_filters(running, login_as):
    w = running
    client = login_as(w.officer)
    html = client.get(f"/campaigns/{w.campaign.id}/enrolments?q=阳光").get_data(as_text=True)
    assert "阳光小区" in html and "月亮小区" not in html
    html = client.get(f"/campaigns/{w.campaign.id}/enrolments?company={w.company2.id}").get_data(as_text=True)
    assert "月亮小区" in html and "阳光小区" not in html


def test_campaign_page_counts_agree_with_each_enrolments_stage(running, count_queries):
    """The page adds stages up from grouped facts: the sums must equal ``stage_of`` enrolment by enrolment."""
    from collections import Counter
    from itertools import product

    from supervision.campaigns.models import (
        EnrolmentStatus,
        ResponsibleParty,
        SelfInspection,
        SelfInspectionStatus,
        SurveyRecord,
    )

    w = running
    statuses = (EnrolmentStatus.ACTIVE, EnrolmentStatus.CLOSED, EnrolmentStatus.WITHDRAWN)
    inspections = (None, SelfInspectionStatus.RETURNED, SelfInspectionStatus.SUBMITTED)
    enrolments = []
    for n, (status, has_company, surveyed, inspection, items) in enumerate(product(
            statuses, (True, False), (True, False), inspections, ("none", "open", "accepted"))):
        estate = gen_estate(community=w.community1 if n % 3 else w.community2,
                            company=w.company1 if has_company else None, name=f"组合{n}号小区")
        (e,) = f.enrol(w.campaign, estate, actor=w.officer)
        e.status = status
        if surveyed:
            db.session.add(SurveyRecord(enrolment_id=e.id, surveyed_on=local_today()))
        if inspection is not None:
            db.session.add(SelfInspection(enrolment_id=e.id, template_id=w.campaign.checklist_template_id,
                                          status=inspection))
        if items != "none":
            item = f.gen_item(e, actor=w.officer, party=ResponsibleParty.COMPANY if has_company
                              else ResponsibleParty.STREET)
            if items == "accepted":
                item.state = ItemState.ACCEPTED
        enrolments.append(e)
    db.session.commit()

    expected = Counter()
    for e in [w.enrolment1, w.enrolment2, *enrolments]:
        expected[(e.street_id, progress.stage_of(e).value)] += 1
    assert w.campaign.phases  # loaded (after the commit) before counting
    with count_queries() as queries:
        data = progress.campaign_progress(w.campaign)
    assert len(queries) == 4  # the data generation (the cache's key), street names, enrolment facts, items
    got = Counter()
    for row in data.rows:
        for stage, count in row.stages.items():
            got[(row.street_id, stage)] += count
        if row.withdrawn:
            got[(row.street_id, Stage.WITHDRAWN.value)] += row.withdrawn
        # Each milestone equals the length of the list it links to.
        for flt, value in ((progress.EnrolmentFilter(street_id=row.street_id, surveyed=False), row.not_surveyed),
                           (progress.EnrolmentFilter(street_id=row.street_id, self_inspected=False),
                            row.not_self_inspected),
                           (progress.EnrolmentFilter(street_id=row.street_id, closed=True), row.closed),
                           (progress.EnrolmentFilter(street_id=row.street_id, closed=False), row.not_closed),
                           (progress.EnrolmentFilter(street_id=row.street_id), row.enrolled)):
            listed = db.session.execute(progress.enrolment_rows_statement(w.campaign.id, flt)).all()
            assert len(listed) == value, (row.street, flt)
    assert got == expected
    assert sum(expected.values()) == len(enrolments) + 2 and len({stage for _s, stage in expected}) == 6


def test_cached_progress_follows_every_change_at_once(running, login_as):
    """The campaign page's table is reused between changes, never after one (data generation)."""
    w = running
    client = login_as(w.officer)
    street_client = login_as(w.street_user)

    def street1_row():
        data = progress.campaign_progress(w.campaign, user=w.officer)
        return {r.street_id: r for r in data.rows}[w.street1.id]

    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 200
    assert street1_row().stages == {"survey": 1} and street1_row().items_total == 0
    assert progress.campaign_progress(w.campaign, user=w.officer) is progress.campaign_progress(
        w.campaign, user=w.officer)  # unchanged data: the same cached table

    record_survey(w.enrolment1, actor=w.officer, surveyed_on=local_today(),
                  management_mode=ManagementMode.PROFESSIONAL, company_id=w.company1.id, committee_status=None,
                  notes="", problems=[ProblemInput("消防安全", "堆物")])
    db.session.commit()
    assert street1_row().stages == {"self_inspection": 1} and street1_row().items_total == 1
    assert "东城街道" in client.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)

    item = db.session.scalars(select(RectificationItem)).one()
    item.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    assert street1_row().items_overdue == 1

    w.street1.name = "东城新街道"
    db.session.commit()
    assert "东城新街道" in client.get(f"/campaigns/{w.campaign.id}").get_data(as_text=True)

    # A street officer's table is their own, not the district's one from the cache.
    mine = progress.campaign_progress(w.campaign, user=w.street_user)
    assert {r.street_id for r in mine.rows} == {w.street1.id}
    assert street_client.get(f"/campaigns/{w.campaign.id}").status_code == 200
    district = progress.campaign_progress(w.campaign, user=w.officer)
    assert {r.street_id for r in district.rows} > {w.street1.id}


def test_cached_progress_cannot_be_changed_by_a_reader(running):
    """The cached table is shared by every request of the process: it is frozen all the way down."""
    import dataclasses

    data = progress.campaign_progress(running.campaign, user=running.officer)
    row = data.rows[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.enrolled = 99
    with pytest.raises(TypeError):
        row.stages["survey"] = 99
    with pytest.raises(TypeError):
        data.total.stages["survey"] = 99
    with pytest.raises(AttributeError):
        data.rows.append(row)
    again = progress.campaign_progress(running.campaign, user=running.officer)
    assert again.total.enrolled == sum(r.enrolled for r in again.rows) == 2
