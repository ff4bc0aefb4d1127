"""The pages: scope (other streets' and companies' cases refused), confirm/dismiss, approvals, documents,
and the public PDF route that serves only what was published."""
from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from supervision.enforcement import services
from supervision.enforcement.models import EnforcementProposal, LegalArticle, ProposalStatus, StepStatus
from supervision.enforcement.public import published_disclosures
from supervision.extensions import db

from .factories import ON, confirmed_interview, ladder, overdue_item, pending


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _two_cases(world):
    ladder()
    _i1, ours = confirmed_interview(world, world.estate1)
    _i2, theirs = confirmed_interview(world, world.estate2)
    return ours, theirs


def test_scope_other_streets_and_companies_cases_are_refused(world, login_as):
    ours, theirs = _two_cases(world)
    for user in (world.street_user, world.company_user):
        client = login_as(user)
        assert client.get(f"/enforcement/cases/{ours.case_id}").status_code == 200
        assert client.get(f"/enforcement/steps/{ours.id}").status_code == 200
        assert client.get(f"/enforcement/steps/{ours.id}/document.pdf").status_code == 200
        assert client.get(f"/enforcement/cases/{theirs.case_id}").status_code == 404
        assert client.get(f"/enforcement/steps/{theirs.id}").status_code == 404
        assert client.get(f"/enforcement/steps/{theirs.id}/document.pdf").status_code == 404
        listing = client.get("/enforcement/cases").get_data(as_text=True)
        assert f"/enforcement/cases/{ours.case_id}\"" in listing
        assert f"/enforcement/cases/{theirs.case_id}\"" not in listing
    for user in (world.officer, world.leader):
        listing = login_as(user).get("/enforcement/cases").get_data(as_text=True)
        assert f"/enforcement/cases/{ours.case_id}\"" in listing and f"/enforcement/cases/{theirs.case_id}\"" in listing


def test_companies_and_streets_only_read(world, login_as):
    ours, _theirs = _two_cases(world)
    for user in (world.street_user, world.company_user):
        client = login_as(user)
        assert client.get(f"/enforcement/cases/{ours.case_id}/escalate").status_code == 403
        assert client.post(f"/enforcement/steps/{ours.id}/publish").status_code == 403
        assert client.get(f"/enforcement/steps/{ours.id}/interview").status_code == 403
        assert client.get("/enforcement/proposals").status_code == 403
        assert client.get("/enforcement/refusals/new").status_code == 403


def test_proposals_are_the_bureaus_alone(world, login_as):
    ladder()
    overdue_item(world.estate1)
    services.sweep(on=ON)
    db.session.commit()
    [proposal] = pending()
    for user in (world.street_user, world.company_user):
        assert login_as(user).get(f"/enforcement/proposals/{proposal.id}").status_code in (403, 404)
    assert login_as(world.officer).get(f"/enforcement/proposals/{proposal.id}").status_code == 200


def test_an_officer_confirms_or_dismisses_in_the_browser(world, login_as):
    ladder()
    overdue_item(world.estate1)
    overdue_item(world.estate2)
    services.sweep(on=ON)
    db.session.commit()
    first, second = pending()
    officer = login_as(world.officer)
    page = officer.get("/enforcement/proposals").get_data(as_text=True)
    assert world.company1.name in page and world.company2.name in page
    response = officer.post(f"/enforcement/proposals/{first.id}/confirm", data={"interview_place": "区住建局"})
    assert response.status_code == 302
    refused = officer.post(f"/enforcement/proposals/{second.id}/dismiss", data={"reason": ""})
    assert refused.status_code == 200 and "请填写不予采纳的理由" in refused.get_data(as_text=True)
    assert officer.post(f"/enforcement/proposals/{second.id}/dismiss", data={"reason": "已延期"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(EnforcementProposal, first.id).status is ProposalStatus.CONFIRMED
    assert db.session.get(EnforcementProposal, second.id).status is ProposalStatus.DISMISSED


def test_an_officer_cannot_approve_an_exposure(world, login_as):
    ours, _theirs = _two_cases(world)
    exposure = services.take_step(ours.case, services.rung_by_code("exposure"), actor=world.officer, on=ON)
    db.session.commit()
    assert login_as(world.officer).post(f"/enforcement/steps/{exposure.id}/approve").status_code == 403
    assert login_as(world.street_user).get(f"/enforcement/steps/{exposure.id}").status_code == 404  # a draft
    assert login_as(world.leader).post(f"/enforcement/steps/{exposure.id}/approve").status_code == 302
    db.session.expire_all()
    assert exposure.status is StepStatus.PUBLISHED


def test_the_interview_notice_pdf(world, login_as):
    ours, _theirs = _two_cases(world)
    response = login_as(world.company_user).get(f"/enforcement/steps/{ours.id}/document.pdf")
    text = _pdf_text(response.data)
    assert response.mimetype == "application/pdf"
    assert "约谈通知书" in text and "〔2026〕约谈第0001号" in text and world.company1.name in text


def test_the_public_route_serves_only_published_documents(world, client):
    ours, _theirs = _two_cases(world)
    circular = services.take_step(ours.case, services.rung_by_code("circular"), actor=world.officer, on=ON)
    db.session.commit()
    assert client.get(f"/public/enforcement/{ours.id}.pdf").status_code == 404  # an interview is never public
    assert client.get(f"/public/enforcement/{circular.id}.pdf").status_code == 404  # issued, not yet published
    assert published_disclosures() == []
    portal_before = client.get("/public/disclosures").get_data(as_text=True)
    assert "〔2026〕通报第0001号" not in portal_before
    services.publish_step(circular, actor=world.officer, on=ON)
    db.session.commit()
    # The public portal shows it at once (its cached page is keyed by the enforcement data generation).
    portal = client.get("/public/disclosures").get_data(as_text=True)
    assert "〔2026〕通报第0001号" in portal and f"/public/enforcement/{circular.id}.pdf" in portal
    assert "〔2026〕通报第0001号" in client.get(f"/public/companies/{world.company1.id}").get_data(as_text=True)
    response = client.get(f"/public/enforcement/{circular.id}.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    assert "全区各物业服务企业" in text and "〔2026〕通报第0001号" in text
    [disclosure] = published_disclosures(company_id=world.company1.id)
    assert (disclosure.kind, disclosure.number, disclosure.company_name) == ("通报", "〔2026〕通报第0001号",
                                                                            world.company1.name)
    assert disclosure.approving_office == "测试区住房和城乡建设局" and disclosure.published_on == ON
    assert disclosure.pdf_url.endswith(f"/public/enforcement/{circular.id}.pdf")
    assert published_disclosures(company_id=world.company2.id) == []


def test_the_overview_counts_drill_down(world, login_as):
    ours, theirs = _two_cases(world)
    services.record_interview(ours, interviewed_on=date(2026, 12, 2), attendees="张某", commitments="整改",
                              follow_up_on=date(2026, 12, 3), actor=world.officer, on=date(2026, 12, 2))
    db.session.commit()
    html = login_as(world.officer).get("/enforcement/").get_data(as_text=True)
    assert 'data-testid="open-cases" href="/enforcement/cases?status=open">2<' in html
    assert 'follow_up=overdue">1<' in html
    listing = login_as(world.officer).get("/enforcement/cases?status=open&follow_up=overdue").get_data(as_text=True)
    assert f"/enforcement/cases/{ours.case_id}\"" in listing and f"/enforcement/cases/{theirs.case_id}\"" not in listing
    street = login_as(world.street_user).get("/enforcement/").get_data(as_text=True)
    assert 'data-testid="open-cases" href="/enforcement/cases?status=open">1<' in street


def test_the_sweep_command(world, runner):
    ladder()
    overdue_item(world.estate1)
    db.session.commit()
    first = runner.invoke(args=["enforcement", "sweep", "--date", ON.isoformat()])
    second = runner.invoke(args=["enforcement", "sweep", "--date", ON.isoformat()])
    assert "新建议 1 条" in first.output and "新建议 0 条" in second.output


def test_the_interview_form_refuses_a_stale_copy(world, login_as):
    ours, _theirs = _two_cases(world)
    officer = login_as(world.officer)
    form = {"interviewed_on": ON.isoformat(), "attendees": "张某", "commitments": "两周内整改",
            "follow_up_on": date(2026, 12, 20).isoformat()}
    stale = officer.post(f"/enforcement/steps/{ours.id}/interview", data=form | {"version": str(ours.version - 1)})
    assert stale.status_code == 200 and "已被他人修改" in stale.get_data(as_text=True)
    saved = officer.post(f"/enforcement/steps/{ours.id}/interview", data=form | {"version": str(ours.version)})
    assert saved.status_code == 302
    db.session.expire_all()
    assert ours.follow_up_on == date(2026, 12, 20) and ours.attendees == "张某"


def test_a_proposed_penalty_is_confirmed_with_its_legal_basis(world, login_as):
    ours, _theirs = _two_cases(world)
    exposure = services.take_step(ours.case, services.rung_by_code("exposure"), actor=world.officer, on=ON)
    services.approve_step(exposure, actor=world.leader, on=ON)
    services.record_refusal(company=world.company1, estate=world.estate1, occurred_on=ON,
                            description="曝光后仍拒不整改", actor=world.officer, on=ON)
    services.sweep(on=ON)
    db.session.commit()
    [proposal] = pending(world.company1.id)
    assert proposal.rung.code == "penalty" and proposal.case_id == ours.case_id
    officer = login_as(world.officer)
    page = officer.get(f"/enforcement/proposals/{proposal.id}").get_data(as_text=True)
    assert "第六十二条" in page
    article = db.session.scalar(db.select(LegalArticle).where(LegalArticle.code == "62"))
    refused = officer.post(f"/enforcement/proposals/{proposal.id}/confirm", data={"article_id": ""})
    assert "请选择处罚依据" in refused.get_data(as_text=True)
    confirmed = officer.post(f"/enforcement/proposals/{proposal.id}/confirm",
                             data={"article_id": str(article.id), "amount": "30000"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    step = ours.case.steps[-1]
    assert (step.rung.code, step.status, step.amount, step.article_id) == ("penalty", StepStatus.PENDING, 30000,
                                                                           article.id)
