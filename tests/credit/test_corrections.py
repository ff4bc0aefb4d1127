"""Corrections after publication: stale rows are flagged, a numbered notice supersedes them, originals stay."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from supervision.audit.models import AuditLog
from supervision.core.timeutil import local_today
from supervision.credit import corrections, scoring, services
from supervision.credit import publication as publication_services
from supervision.credit.corrections import issue_correction, stale_rows
from supervision.credit.models import CreditCorrection, CreditCorrectionRow, CreditEvent, CreditPublicationRow
from supervision.credit.publication import publish
from supervision.extensions import db

from .test_publication import graded, pdf_text  # noqa: F401  (the fixture)

ISSUED = date(2026, 4, 15)


def _revoke(company, *, negative: bool):
    event = db.session.scalar(select(CreditEvent).where(
        CreditEvent.company_id == company.id, CreditEvent.points < 0 if negative else CreditEvent.points > 0,
        CreditEvent.status != "draft").order_by(CreditEvent.id.desc()))
    services.revoke_event(event, reason="复核后撤销", on=date(2026, 4, 10))


@pytest.fixture
def published(graded):  # noqa: F811
    publication = publish(name="2026年第一季度", as_of=date(2026, 3, 31), on=date(2026, 4, 2))
    db.session.commit()
    return publication


def test_a_revoked_record_flags_the_row_and_a_correction_supersedes_it(graded, published):  # noqa: F811
    assert stale_rows(published) == []
    _revoke(graded.company2, negative=True)  # the serious record behind the black listing
    db.session.commit()
    stale = stale_rows(published)
    assert [s.row.company_name for s in stale] == ["乙物业服务有限公司"]
    (s,) = stale
    assert (s.before.grade_code, s.before.black) == ("BLACK", True)
    assert s.after.black is False and s.after.grade_code != "BLACK" and s.after.total > Decimal("50")

    correction = issue_correction(published, reason="YZ-03 已撤销", actor=graded.officer, on=ISSUED)
    db.session.commit()
    assert correction.number == "更正〔2026〕1号"
    assert [(r.old_black, r.new_black, r.old_total) for r in correction.rows] == [(True, False, Decimal("50.00"))]
    original = db.session.scalar(select(CreditPublicationRow).where(
        CreditPublicationRow.company_id == graded.company2.id))
    assert (original.black, original.total) == (True, Decimal("50.00"))  # the original is kept
    assert stale_rows(published) == []  # the correction is now what is shown
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "credit.correction"))
    assert log.object_id == correction.id and log.actor_id == graded.officer.id


def test_a_second_correction_gets_the_next_number(graded, published):  # noqa: F811
    _revoke(graded.company2, negative=True)
    first = issue_correction(published, reason="第一次", on=ISSUED)
    _revoke(graded.company1, negative=False)  # later, company1's LH-03 is revoked too
    db.session.commit()
    assert [s.row.company_name for s in stale_rows(published)] == ["甲物业服务有限公司"]
    second = issue_correction(published, reason="第二次", on=ISSUED)
    db.session.commit()
    assert (first.number, second.number) == ("更正〔2026〕1号", "更正〔2026〕2号")
    with pytest.raises(Exception, match="无需更正"):
        issue_correction(published, reason="第三次", on=ISSUED)


def test_the_bureau_sees_the_differences_and_issues_the_notice(login_as, graded, published):  # noqa: F811
    _revoke(graded.company2, negative=True)
    _revoke(graded.company1, negative=False)  # company1's LH-03 (its red listing)
    db.session.commit()
    url = f"/credit/publications/{published.id}"
    leader = login_as(graded.leader).get(f"{url}/corrections").get_data(as_text=True)
    assert "与所示结果不同" in leader and "确认发布更正公告" not in leader  # the leader reads, does not issue
    assert "重新计算" not in login_as(graded.street_user).get(url).get_data(as_text=True)
    assert login_as(graded.street_user).get(f"{url}/corrections").status_code == 403
    for who in (graded.company_user, graded.street_user, graded.leader):
        assert login_as(who).post(f"{url}/corrections", data={"reason": "越权"}).status_code == 403
    assert db.session.scalar(select(CreditCorrection.id)) is None
    officer = login_as(graded.officer)
    assert f"{url}/corrections" in officer.get(url).get_data(as_text=True)  # the publication links to the check
    page = officer.get(f"{url}/corrections").get_data(as_text=True)
    assert "确认发布更正公告（更正以上 2 家企业）" in page
    assert officer.post(f"{url}/corrections", data={"reason": ""}).status_code == 302
    assert db.session.scalar(select(CreditCorrection.id)) is None  # a reason is required
    response = officer.post(f"{url}/corrections", data={"reason": "两条记录已撤销"})
    assert response.status_code == 302
    number = f"更正〔{local_today().year}〕1号"
    html = officer.get(url).get_data(as_text=True)
    assert number in html and "已更正" in html and "原发布：50.00" in html
    assert "原发布：90.00" in html
    assert "无需更正" in officer.get(f"{url}/corrections").get_data(as_text=True)
    # company1's own user sees its corrected row; company1 has left the red list.
    own = login_as(graded.company_user).get(url).get_data(as_text=True)
    assert number in own and "原发布：90.00" in own and "红名单（0 家）" in own
    file = login_as(graded.company_user).get(f"/credit/companies/{graded.company1.id}").get_data(as_text=True)
    assert number in file and "原发布：90.00" in file  # the company's credit file shows the correction too
    pdf = pdf_text(login_as(graded.street_user).get(f"{url}/lists.pdf").data)
    red, black = pdf.split("二、黑名单")
    assert "甲物业服务有限公司" not in red and "乙物业服务有限公司" not in black.split(number)[0]
    assert number in pdf and "原发布90.00" in pdf and "丙物业服务有限公司" not in pdf


def test_the_stale_rows_agree_with_every_company_rescored(graded, published):  # noqa: F811
    """Only the companies whose score moved are kept from the rescoring; the result is what comparing every
    published row with ``scoring.scores`` of the publication's day gives, also after a correction."""
    def brute_force():
        scores = {s.company_id: s for s in scoring.scores(published.rule_set, published.as_of)}
        rows = db.session.scalars(select(CreditPublicationRow).where(
            CreditPublicationRow.publication_id == published.id).order_by(CreditPublicationRow.position,
                                                                          CreditPublicationRow.company_name))
        shown = {c.publication_row_id: c for c in db.session.scalars(select(CreditCorrectionRow).join(
            CreditCorrectionRow.correction).order_by(CreditCorrection.issued_at, CreditCorrection.id))}
        out = []
        for row in rows:
            score = scores.get(row.company_id)
            if score is None:
                continue
            fix = shown.get(row.id)
            before = ((fix.new_total, fix.new_grade_code, fix.new_red, fix.new_black) if fix is not None
                      else (row.total, row.grade_code, row.red, row.black))
            if (score.total, score.grade.code, score.red, score.black) != before:
                out.append((row.company_name, score.total, score.grade.code, score.red, score.black))
        return out

    def found():
        return [(s.row.company_name, s.after.total, s.after.grade_code, s.after.red, s.after.black)
                for s in stale_rows(published)]

    _revoke(graded.company2, negative=True)
    db.session.commit()
    assert found() == found() == brute_force() != []  # computed, then from the process's cache
    issue_correction(published, reason="第一次", on=ISSUED)
    _revoke(graded.company1, negative=False)
    db.session.commit()
    assert found() == brute_force() and [name for name, *_rest in found()] == ["甲物业服务有限公司"]
    graded.company1.archived_at = graded.company2.created_at  # no longer scored: nothing to compare with
    db.session.commit()
    assert found() == brute_force() == []


def test_the_lists_counts_follow_the_corrections(graded, published):  # noqa: F811
    """The red and black lists' totals: the counts stored at publication moved by the latest corrections, the
    same as counting the rows as now shown; the results' total is the publication's company count."""
    def totals():
        return tuple(publication_services.shown_page(published, corrected=True, listed=listed).total
                     for listed in ("red", "black", None))

    black_before = published.black_count
    _revoke(graded.company2, negative=True)  # off the black list
    issue_correction(published, reason="第一次", on=ISSUED)
    _revoke(graded.company1, negative=False)
    issue_correction(published, reason="第二次", on=ISSUED)
    db.session.commit()
    red, black = corrections.listed(published)
    assert totals() == (len(red), len(black), published.company_count)
    assert len(black) == black_before - 1
    page = publication_services.shown_page(published, corrected=True, listed="black")
    assert graded.company2.id not in {r.company_id for r, _f, _c in page.items}


def test_the_latest_publications_rescoring_is_stored_at_commit_and_read_by_the_first_request(
        app, login_as, count_queries, monkeypatch, graded, published):  # noqa: F811
    """A credit change stores the latest publication's rescoring (``core.figures``), equal to the live one; the
    correction check's first request after the change reads it (no rescoring) and finds the same stale rows."""
    import json

    from supervision.core import generations
    from supervision.core.figures import StoredFigure

    _revoke(graded.company2, negative=True)
    db.session.commit()
    generation, payload = db.session.execute(select(StoredFigure.generation, StoredFigure.payload).where(
        StoredFigure.name == corrections.RESCORED_CACHE)).one()
    assert generation == generations.current("credit")
    live = corrections._rescored(published.id, published.rule_set, published.as_of)
    assert live and dict(corrections._rescored_from_payload(json.loads(payload))) == live
    expected = [(s.row.company_name, s.after.total, s.after.grade_code) for s in stale_rows(published)]
    for value in app.extensions.values():  # a worker's first request after the change
        if isinstance(value, generations.LRUCache):
            value.clear()

    def fail(*args, **kwargs):
        raise AssertionError("rescored live although the rescoring was stored")

    monkeypatch.setattr(corrections, "_rescored", fail)
    client = login_as(graded.officer)
    with count_queries() as statements:
        html = client.get(f"/credit/publications/{published.id}/corrections").get_data(as_text=True)
    assert sum("stored_figures" in s for s in statements) == 1 and len(statements) <= 15
    assert expected and all(name in html for name, *_rest in expected)
    assert [(s.row.company_name, s.after.total, s.after.grade_code) for s in stale_rows(published)] == expected
