"""Satisfaction surveys: one-time codes, the public vote, flags, results, credit and access."""
from __future__ import annotations

import io
import threading
from datetime import timedelta
from fractions import Fraction

import pytest
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from supervision import create_app
from supervision.credit.models import CreditEvent, EventStatus
from supervision.extensions import db, limiter
from supervision.jobs.backends import backend
from supervision.jobs.models import Job
from supervision.notifications.models import Notification
from supervision.surveys import codes, services, sheets
from supervision.surveys.models import (
    FollowUp,
    Household,
    Rating,
    RoundStatus,
    SurveyCode,
    SurveyRound,
    SurveyRoundEstate,
    SurveyVote,
    SurveyVoteTally,
    VoteMethod,
    VoteStatus,
)
from supervision.targets.indicators import Counts, gap_rows, get_indicator, measure, measure_total

from ..credit.factories import rules
from .factories import all_codes, answers, gen_round, standard_set, vote


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- codes --------------------------------------------------------------------------------

def test_codes_are_one_per_household_unguessable_and_stored_only_as_hashes(world):
    survey = gen_round([world.estate1], households=30)
    round_estate = survey.estates[0]
    made = all_codes(round_estate)
    assert len(made) == len(set(made)) == 30 == round_estate.codes_count
    assert all(len(c) == 12 and set(c) <= set(codes.ALPHABET) for c in made)
    assert not set("01IO") & set(codes.ALPHABET)
    stored = set(db.session.scalars(select(SurveyCode.code_hash)))
    assert stored == {codes.code_hash(c) for c in made}
    assert not stored & set(made)
    # Regenerating voids the old sheet (only before the round opens).
    draft = gen_round([world.estate2], households=5, status=RoundStatus.DRAFT)
    old = all_codes(draft.estates[0])
    services.generate_codes(draft.estates[0])
    assert not set(old) & set(all_codes(draft.estates[0]))


def test_a_code_votes_once(world):
    survey = gen_round([world.estate1])
    code = all_codes(survey.estates[0])[0]
    vote(survey, codes.display(code).lower())  # dashes and case do not matter
    with pytest.raises(services.VoteRefused, match="已使用"):
        vote(survey, code)
    assert _count(SurveyVote) == 1
    with pytest.raises(services.VoteRefused, match="无效"):
        vote(survey, "ABCDEFGHJKMN")


def test_votes_only_in_the_open_period(world):
    draft = gen_round([world.estate1], status=RoundStatus.DRAFT)
    with pytest.raises(services.VoteRefused, match="投票期"):
        vote(draft, all_codes(draft.estates[0])[0])


def test_concurrent_use_of_one_code_counts_once(app, world):
    """Threads post one code at once; on PostgreSQL (TEST_DATABASE_URL) the row lock decides."""
    survey = gen_round([world.estate1])
    code = all_codes(survey.estates[0])[0]
    survey_id = survey.id
    outcomes = []
    barrier = threading.Barrier(6)

    def attempt(n):
        with app.app_context():
            barrier.wait()
            try:
                services.cast_vote_by_code(code, answers(db.session.get(type(survey), survey_id)), comment=None,
                                           address=f"10.1.0.{n}")
                db.session.commit()
                outcomes.append("ok")
            except Exception:  # refused, or (SQLite) locked: either way not counted
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert outcomes.count("ok") == 1
    assert _count(SurveyVote, SurveyVote.round_id == survey_id) == 1
    assert db.session.scalar(select(func.sum(SurveyVoteTally.votes)).join(
        SurveyRoundEstate, SurveyRoundEstate.id == SurveyVoteTally.round_estate_id).where(
        SurveyRoundEstate.round_id == survey_id)) == 1  # the card's tally too


def test_a_vote_waits_for_a_round_closing_and_then_finds_it_closed(app, world):
    """PostgreSQL: the close locks the round's row FOR UPDATE, the vote key-share locks it; a vote that
    arrives while the round is closing is refused once the close commits (never a vote in a closed round)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite has one writer)")
    survey = gen_round([world.estate1])
    code, survey_id = all_codes(survey.estates[0])[0], survey.id
    ballot = answers(survey)
    outcome = []
    closing = db.engine.connect()
    transaction = closing.begin()
    closing.execute(select(SurveyRound.id).where(SurveyRound.id == survey_id).with_for_update())

    def attempt():
        with app.app_context():
            try:
                services.cast_vote_by_code(code, ballot, comment=None, address="10.2.0.1")
                db.session.commit()
                outcome.append("counted")
            except services.VoteRefused as refused:
                db.session.rollback()
                outcome.append(refused.message)
            finally:
                db.session.remove()

    voter = threading.Thread(target=attempt)
    voter.start()
    voter.join(timeout=1)
    assert voter.is_alive() and outcome == []  # waiting for the close
    closing.execute(SurveyRound.__table__.update().where(SurveyRound.id == survey_id)
                    .values(status=RoundStatus.CLOSED))
    transaction.commit()
    closing.close()
    voter.join(timeout=10)
    assert outcome == ["本次测评不在投票期内。"]
    db.session.expire_all()
    assert _count(SurveyVote, SurveyVote.round_id == survey_id) == 0


def test_public_page_votes_with_the_code_and_refuses_it_again(client, world):
    survey = gen_round([world.estate1])
    code = all_codes(survey.estates[0])[0]
    page = client.get(f"/v/{code}")
    assert page.status_code == 200 and "总体评价" in page.text and world.estate1.name in page.text
    data = {f"q{k}": v for k, v in answers(survey, Rating.FAIRLY).items()} | {"comment": "电梯好了"}
    response = client.post(f"/v/{code}", data=data)
    assert response.status_code == 302 and response.location.endswith("/v/thanks")
    saved = db.session.scalar(select(SurveyVote))
    assert saved.overall is Rating.FAIRLY and saved.comment == "电梯好了" and saved.status is VoteStatus.COUNTED
    assert client.post(f"/v/{code}", data=data).status_code == 409
    assert client.get(f"/v/{code}").status_code == 409
    assert client.get("/v/NOTACODE").status_code == 404
    # Every question must be answered.
    other = all_codes(survey.estates[0])[1]
    partial = dict(data)
    partial.pop(next(iter(partial)))
    assert "请回答全部问题" in client.post(f"/v/{other}", data=partial).text
    assert _count(SurveyVote) == 1


def _vote_form(survey, rating=Rating.SATISFIED) -> dict:
    return {f"q{k}": v for k, v in answers(survey, rating).items()}


def test_the_public_post_stores_the_vote_and_its_answers_once_and_uses_the_code(client, world):
    survey = gen_round([world.estate1])
    code = all_codes(survey.estates[0])[0]
    questions = len(services.questions_of(survey.question_set_id))
    response = client.post(f"/v/{code}", data=_vote_form(survey, Rating.DISSATISFIED))
    assert response.status_code == 302 and response.location.endswith("/v/thanks")
    vote_row = db.session.scalar(select(SurveyVote))
    assert vote_row.overall is Rating.DISSATISFIED and vote_row.method is VoteMethod.CODE
    ratings = [a.rating for a in vote_row.answers]
    assert len(ratings) == questions and ratings.count(Rating.DISSATISFIED) == 1  # the overall question only
    used = db.session.scalar(select(SurveyCode).where(SurveyCode.code_hash == codes.code_hash(code)))
    assert used.used_at is not None and vote_row.code_id == used.id
    # The same code again (another browser, other answers): refused, nothing more stored.
    again = client.post(f"/v/{code}", data=_vote_form(survey, Rating.SATISFIED))
    assert again.status_code == 409 and "已使用" in again.text
    assert _count(SurveyVote) == 1 and len(db.session.scalar(select(SurveyVote)).answers) == questions
    # An unknown code and a code of the right shape that was never made: 404.
    assert client.post("/v/NOT-A-CODE", data=_vote_form(survey)).status_code == 404
    assert client.post("/v/ABCD-EFGH-JKMN", data=_vote_form(survey)).status_code == 404


def test_the_public_post_needs_the_csrf_token_and_every_answer_before_using_the_code(client, world):
    survey = gen_round([world.estate1])
    code = all_codes(survey.estates[0])[0]
    assert client.post(f"/v/{code}", data=_vote_form(survey), csrf=False).status_code == 400
    forged = _vote_form(survey) | {"csrf_token": "forged"}
    assert client.post(f"/v/{code}", data=forged, csrf=False).status_code == 400
    partial = _vote_form(survey)
    partial.pop(next(iter(partial)))
    page = client.post(f"/v/{code}", data=partial)
    assert page.status_code == 200 and "请回答全部问题" in page.text
    assert client.post(f"/v/{code}", data=_vote_form(survey) | {"q999999": "bogus"}).status_code == 302
    assert _count(SurveyVote) == 1  # refused posts used neither the code nor a vote


def test_a_vote_outside_the_period_is_refused_by_the_public_post(client, world):
    survey = gen_round([world.estate1], opens_on=services.local_today() + timedelta(days=1))
    code = all_codes(survey.estates[0])[0]
    response = client.post(f"/v/{code}", data=_vote_form(survey))
    assert response.status_code == 409 and "投票期" in response.text
    assert _count(SurveyVote) == 0
    assert db.session.scalar(select(SurveyCode.used_at).where(SurveyCode.code_hash == codes.code_hash(code))) is None


def test_public_vote_is_rate_limited_per_address(app, world, monkeypatch):
    survey = gen_round([world.estate1])
    url = f"/v/{all_codes(survey.estates[0])[0]}"
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)  # the second app turns the shared limiter on
    limited = create_app(dict(app.config, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                              SURVEY_PAGE_RATE_LIMIT="3 per minute", SQLALCHEMY_ENGINE_OPTIONS={}))
    client = limited.test_client()
    statuses = [client.get(url).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    # Another address is not affected.
    assert client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


# --- flags --------------------------------------------------------------------------------

def test_a_burst_from_one_address_is_flagged_and_counts_only_when_accepted(world):
    survey = gen_round([world.estate1])
    made = all_codes(survey.estates[0])
    for code in made[:7]:
        vote(survey, code, address="203.0.113.9")
    statuses = [v.status for v in db.session.scalars(select(SurveyVote).order_by(SurveyVote.id))]
    assert statuses == [VoteStatus.COUNTED] * 5 + [VoteStatus.FLAGGED] * 2
    tally = services.estate_results(survey, list(survey.estates))[0].tally
    assert (tally.votes, tally.flagged) == (5, 2)
    flagged = db.session.scalars(select(SurveyVote).where(SurveyVote.status == VoteStatus.FLAGGED)).all()
    services.review_vote(flagged[0], accept=True, actor=world.officer)
    services.review_vote(flagged[1], accept=False, actor=world.officer)
    tally = services.estate_results(survey, list(survey.estates))[0].tally
    assert (tally.votes, tally.flagged) == (6, 0)


def test_a_flagged_vote_reviewed_twice_at_once_is_counted_once(world):
    from sqlalchemy.orm.attributes import set_committed_value

    from supervision.core.errors import TransitionError
    from supervision.surveys.models import SurveyVoteTally

    survey = gen_round([world.estate1])
    for code in all_codes(survey.estates[0])[:6]:
        vote(survey, code, address="203.0.113.9")
    flagged = db.session.scalars(select(SurveyVote).where(SurveyVote.status == VoteStatus.FLAGGED)).first()

    def counted() -> int:
        return db.session.scalar(select(func.sum(SurveyVoteTally.votes)).where(
            SurveyVoteTally.round_estate_id == survey.estates[0].id))

    before = counted()
    services.review_vote(flagged, accept=True, actor=world.officer)
    assert counted() == before + 1
    # The second reviewer loaded the vote while it was still flagged (a double click, two reviewers).
    set_committed_value(flagged, "status", VoteStatus.FLAGGED)
    with pytest.raises(TransitionError):
        services.review_vote(flagged, accept=True, actor=world.officer)
    assert counted() == before + 1
    assert db.session.get(SurveyVote, flagged.id).status is VoteStatus.ACCEPTED


def test_a_burst_in_one_estate_is_flagged(app, world):
    app.config["SURVEY_FLAG_PER_ESTATE"] = 3
    try:
        survey = gen_round([world.estate1])
        for n, code in enumerate(all_codes(survey.estates[0])[:4]):
            vote(survey, code, address=f"198.51.100.{n}")
    finally:
        del app.config["SURVEY_FLAG_PER_ESTATE"]
    assert [v.status for v in db.session.scalars(select(SurveyVote).order_by(SurveyVote.id))][-1] \
        is VoteStatus.FLAGGED


# --- results, credit and follow-up ----------------------------------------------------------

def _cast(survey, round_estate, ratings):
    for n, (code, rating) in enumerate(zip(all_codes(round_estate), ratings)):
        vote(survey, code, rating, address=f"10.{round_estate.id}.0.{n}")


def test_results_match_a_hand_calculation(world):
    survey = gen_round([world.estate1, world.estate2], households=20)
    one, two = survey.estates
    _cast(survey, one, [Rating.SATISFIED] * 6 + [Rating.FAIRLY] * 3 + [Rating.DISSATISFIED] * 1)  # 10 of 20
    _cast(survey, two, [Rating.SATISFIED] * 2 + [Rating.DISSATISFIED] * 2)  # 4 of 20
    results = {r.round_estate.estate_id: r.tally for r in services.estate_results(survey, list(survey.estates))}
    assert results[world.estate1.id].satisfaction_rate == Fraction(9, 10)
    assert results[world.estate1.id].response_rate == Fraction(10, 20)
    assert results[world.estate2.id].satisfaction_rate == Fraction(2, 4)
    total = services.total_of(services.estate_results(survey, list(survey.estates)))
    assert (total.satisfaction_rate, total.response_rate) == (Fraction(11, 14), Fraction(14, 40))
    companies = {g.key: g.tally for g in services.group_results(
        services.estate_results(survey, list(survey.estates)), "company")}
    assert companies[world.company2.id].satisfaction_rate == Fraction(1, 2)
    per_question = services.question_results(survey.id, [one.id])
    overall = next(q for q in services.questions_of(survey.question_set_id) if q.is_overall)
    assert per_question[overall.id] == {Rating.SATISFIED: 6, Rating.FAIRLY: 3, Rating.DISSATISFIED: 1}


def test_closing_proposes_lh05_at_the_threshold_and_follows_up_below(world):
    rules()
    survey = gen_round([world.estate1, world.estate2], households=20)
    one, two = survey.estates
    _cast(survey, one, [Rating.SATISFIED] * 9 + [Rating.DISSATISFIED])  # exactly 90 %: at the threshold
    _cast(survey, two, [Rating.SATISFIED] * 8 + [Rating.DISSATISFIED] * 2)  # 80 %: below
    services.close_round(survey, actor=world.officer)
    db.session.commit()
    events = db.session.scalars(select(CreditEvent)).all()
    assert [(e.company_id, e.item.code, e.status) for e in events] == [(world.company1.id, "LH-05", EventStatus.DRAFT)]
    assert survey.threshold_percent == 90
    assert (one.follow_up, two.follow_up) == (FollowUp.CREDIT, FollowUp.RECTIFY)
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "survey_follow_up")))
    assert notified == {world.street2_user.id, world.company2_user.id}
    # Closing runs once; votes are no longer taken.
    with pytest.raises(services.DomainError):
        services.close_round(survey)
    with pytest.raises(services.VoteRefused):
        vote(survey, all_codes(one)[15])


def test_a_thin_response_earns_no_credit(world):
    rules()
    survey = gen_round([world.estate1], households=100)
    _cast(survey, survey.estates[0], [Rating.SATISFIED] * 5)  # 100 % satisfied, 5 % responded
    services.close_round(survey)
    assert _count(CreditEvent) == 0


# --- the sheet, the register ----------------------------------------------------------------

def test_the_sheet_is_a_pdf_with_a_qr_code_per_household(app, world):
    survey = gen_round([world.estate1], households=13)
    round_estate = survey.estates[0]
    with app.test_request_context():
        cells = sheets.sheet_cells(round_estate, "https://wy.example.cn/")
        pdf = sheets.render_sheet(round_estate, "https://wy.example.cn/")
    assert len(cells) == 13 and all(c["qr"].startswith("data:image/png") for c in cells)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # 12 cells a page
    text = reader.pages[0].extract_text().replace(" ", "")
    assert codes.display(all_codes(round_estate)[0]) in text and world.estate1.name in text
    # Each cell's QR code is an image (a PNG image) on the page.
    assert len(reader.pages[0].get("/Resources").get_object().get("/XObject") or {}) >= 12
    assert sheets.vote_url("https://wy.example.cn/", "ABC") == "https://wy.example.cn/v/ABC"


def test_a_large_sheet_is_a_job(app, login_as, world):
    survey = gen_round([world.estate1], households=5)
    app.config["SURVEY_SHEET_JOB_THRESHOLD"] = 3
    try:
        client = login_as(world.street_user)
        page = client.get(f"/surveys/estates/{survey.estates[0].id}/sheet")
        assert page.status_code == 200 and "后台" in page.text
        response = client.post(f"/surveys/estates/{survey.estates[0].id}/sheet")
        assert response.status_code == 302 and "/jobs/" in response.location
        backend().wait()
        job = db.session.get(Job, int(response.location.rstrip("/").split("/")[-1]))
        assert job.status == "finished" and job.result_name.endswith(".pdf"), job.message
    finally:
        del app.config["SURVEY_SHEET_JOB_THRESHOLD"]


def _sheet(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["房号", "手机号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_household_register_import_and_vote_by_room(client, login_as, world):
    survey = gen_round([world.estate1], codes=False)
    street = login_as(world.street_user)
    bad = street.post(f"/surveys/households/{world.estate1.id}",
                      data={"file": (io.BytesIO(_sheet([["1-101", "13812345678"], ["1-101", "123"]])), "h.xlsx")},
                      content_type="multipart/form-data")
    assert "重复" in bad.text and _count(Household) == 0
    good = street.post(f"/surveys/households/{world.estate1.id}",
                       data={"file": (io.BytesIO(_sheet([["1-101", "13812345678"], ["1-102", "13900001111"]])),
                                      "h.xlsx")}, content_type="multipart/form-data")
    assert good.status_code == 302
    listing = street.get(f"/surveys/households/{world.estate1.id}").text
    assert "138****5678" in listing and "13812345678" not in listing
    assert "13812345678" not in str(db.session.scalars(select(Household.phone_hash)).all())
    round_estate = survey.estates[0]
    data = {f"q{k}": v for k, v in answers(survey).items()}
    wrong = client.post(f"/v/room/{round_estate.id}", data=data | {"room": "1-101", "phone": "13900001111"})
    assert "不符合" in wrong.text
    assert client.post(f"/v/room/{round_estate.id}",
                       data=data | {"room": "1-101", "phone": "138 1234 5678"}).status_code == 302
    again = client.post(f"/v/room/{round_estate.id}", data=data | {"room": "1-101", "phone": "13812345678"})
    assert "只能投票一次" in again.text
    assert _count(SurveyVote) == 1
    # Another street's register is out of reach.
    assert login_as(world.street2_user).get(f"/surveys/households/{world.estate1.id}").status_code == 404
    assert login_as(world.company_user).get(f"/surveys/households/{world.estate1.id}").status_code == 403


# --- access -------------------------------------------------------------------------------

def test_streets_and_companies_see_only_their_estates(login_as, world):
    survey = gen_round([world.estate1, world.estate2])
    one, two = survey.estates
    vote(survey, all_codes(one)[0])
    vote(survey, all_codes(two)[0], Rating.DISSATISFIED)
    for user, mine, theirs in ((world.street_user, one, two), (world.company_user, one, two),
                               (world.street2_user, two, one), (world.company2_user, two, one)):
        client = login_as(user)
        detail = client.get(f"/surveys/{survey.id}").text
        assert mine.estate.name in detail and theirs.estate.name not in detail
        assert client.get(f"/surveys/estates/{mine.id}").status_code == 200
        assert client.get(f"/surveys/estates/{theirs.id}").status_code == 404
    # Companies never get codes; a street only its own estates'.
    assert login_as(world.company_user).get(f"/surveys/estates/{one.id}/sheet").status_code == 403
    assert login_as(world.street_user).get(f"/surveys/estates/{two.id}/sheet").status_code == 404
    assert login_as(world.street_user).get(f"/surveys/estates/{one.id}/sheet").status_code == 200
    assert login_as(world.street_user).post(f"/surveys/estates/{one.id}/codes").status_code == 403
    assert login_as(world.company_user).get(f"/surveys/{survey.id}/flagged").status_code == 403
    vote_id = db.session.scalar(select(SurveyVote.id).where(SurveyVote.round_estate_id == one.id))
    assert login_as(world.street_user).post(f"/surveys/votes/{vote_id}/review",
                                            data={"decision": "accept"}).status_code == 403
    # A round without any of the user's estates is invisible.
    only_two = gen_round([world.estate2], name="西城测评", codes=False)
    assert login_as(world.street_user).get(f"/surveys/{only_two.id}").status_code == 404
    assert login_as(world.company_user).get(f"/surveys/{only_two.id}").status_code == 404


def test_the_bureau_creates_opens_and_closes_a_round(login_as, world):
    rules()
    world.estate1.households = 4
    world.estate2.households = 4
    question_set = standard_set()
    db.session.commit()
    client = login_as(world.officer)
    assert client.get("/surveys/new").status_code == 200
    response = client.post("/surveys/new", data={
        "name": "东城街道测评", "opens_on": "2026-01-01", "closes_on": "2099-12-31",
        "question_set_id": str(question_set.id),
        "street": str(world.street1.id), "company": "", "q": ""})
    assert response.status_code == 302, response.text
    survey_id = int(response.location.rstrip("/").split("/")[-1])
    survey = db.session.get(services.SurveyRound, survey_id)
    assert [e.estate_id for e in survey.estates] == [world.estate1.id]
    assert client.post(f"/surveys/estates/{survey.estates[0].id}/codes").status_code == 302
    assert client.post(f"/surveys/{survey_id}/open").status_code == 302
    db.session.expire_all()
    code = all_codes(survey.estates[0])[0]
    vote(survey, code)
    assert client.post(f"/surveys/{survey_id}/close").status_code == 302
    db.session.expire_all()
    assert survey.status is RoundStatus.CLOSED
    assert "100.0%" in client.get(f"/surveys/{survey_id}").text


def test_codes_for_a_whole_round_in_a_job(login_as, world):
    survey = gen_round([world.estate1, world.estate2], households=7, status=RoundStatus.DRAFT, codes=False)
    client = login_as(world.officer)
    response = client.post(f"/surveys/{survey.id}/codes")
    assert response.status_code == 302 and "/jobs/" in response.location
    backend().wait()  # the in-process job pool
    db.session.expire_all()
    job = db.session.get(Job, int(response.location.rstrip("/").split("/")[-1]))
    assert job.status == "finished", job.message
    assert _count(SurveyCode) == 14
    assert {len(all_codes(re)) for re in survey.estates} == {7}
    vote_code = all_codes(survey.estates[1])[6]
    services.open_round(survey)
    db.session.commit()
    vote(survey, vote_code)
    assert db.session.scalar(select(SurveyVote.round_estate_id)) == survey.estates[1].id


def test_the_satisfaction_indicator_per_street_with_its_drill_down(login_as, world):
    rules()
    survey = gen_round([world.estate1, world.estate2], households=20)
    one, two = survey.estates
    _cast(survey, one, [Rating.SATISFIED] * 3 + [Rating.DISSATISFIED])
    _cast(survey, two, [Rating.FAIRLY] * 2)
    services.close_round(survey)
    db.session.commit()
    indicator = get_indicator("satisfaction")
    today = services.local_today()
    counts = measure(indicator, today)
    assert counts[world.street1.id] == Counts(3, 4) and counts[world.street2.id] == Counts(2, 2)
    assert measure_total(indicator, today - timedelta(days=1)) == Counts(0, 0)  # not closed yet that day
    for street_id, gap in ((None, 1), (world.street1.id, 1), (world.street2.id, 0)):
        rows = gap_rows(indicator, today, street_id=street_id)
        assert len(db.session.execute(rows).all()) == gap
    street = login_as(world.street_user)
    assert street.get("/targets/").status_code == 200
    page = street.get("/targets/satisfaction/gap")
    assert page.status_code == 200 and world.estate1.name in page.text and world.estate2.name not in page.text
    assert login_as(world.company_user).get("/targets/satisfaction/gap").status_code == 403
