"""满意度测评: the bureau's rounds and results (``surveys``) and the owners' public vote (``survey_vote``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..auth import scope
from ..auth.roles import ALL_ROLES, BUREAU, DISTRICT_READERS, STREET
from ..core.errors import DomainError
from ..core.forms import apply_domain_error
from ..core.pagination import paginate
from ..documents.forms import ImportForm
from ..documents.pdf import pdf_response
from ..estates.models import Estate
from ..extensions import db, limiter
from ..jobs import imports as import_jobs
from ..regions.choices import street_choices
from . import card, services, sheets, tasks
from .forms import ActionForm, CodeForm, RegisterVoteForm, RoundForm, VoteForm
from .households import JOB_IMPORTER as HOUSEHOLDS_JOB
from .households import HouseholdImport, register_size
from .models import (
    Household,
    Rating,
    RoundStatus,
    SurveyQuestionSet,
    SurveyRound,
    SurveyRoundEstate,
    SurveyVote,
    VoteStatus,
)

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
public_bp = Blueprint("survey_vote", __name__, url_prefix="/v")
extra_blueprints = (public_bp,)

READERS = ALL_ROLES
CODE_ROLES = BUREAU | STREET


@bp.app_template_global("survey_card")
def survey_card() -> dict:
    """The dashboards' survey card for the signed-in user (templates/surveys/_dashboard_card.html)."""
    return card.card(current_user)


# --- rounds -------------------------------------------------------------------------------

@bp.get("/")
@scope.role_required(READERS)
def index():
    statement = scope.visible(SurveyRound).order_by(SurveyRound.closes_on.desc(), SurveyRound.id.desc())
    return render_template("surveys/index.html", page=paginate(statement))


def _bind_round_form(form: RoundForm) -> None:
    form.question_set_id.choices = [(s.id, s.name) for s in services.question_sets()]
    form.street.choices = [(None, _("全部街道"))] + street_choices()


@bp.route("/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def new():
    form = RoundForm()
    _bind_round_form(form)
    if form.validate_on_submit():
        estates = list(db.session.scalars(services.estate_statement(
            street_id=form.street.data, company_id=form.company.data, q=form.q.data)))
        question_set = db.session.get(SurveyQuestionSet, form.question_set_id.data)
        try:
            survey = services.create_round(name=form.name.data, opens_on=form.opens_on.data,
                                           closes_on=form.closes_on.data, question_set=question_set,
                                           estates=estates, notes=form.notes.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已创建测评，共 %(n)s 个小区。", n=len(estates)), "success")
            return redirect(url_for(".detail", round_id=survey.id))
    return render_template("surveys/form.html", form=form)


def _visible_round_estates(survey: SurveyRound):
    return (scope.visible(SurveyRoundEstate).where(SurveyRoundEstate.round_id == survey.id)
            .options(joinedload(SurveyRoundEstate.estate), joinedload(SurveyRoundEstate.street),
                     joinedload(SurveyRoundEstate.company))
            .order_by(SurveyRoundEstate.street_id, SurveyRoundEstate.id))


@bp.get("/<int:round_id>")
@scope.role_required(READERS)
def detail(round_id: int):
    survey = scope.load(SurveyRound, round_id, options=(joinedload(SurveyRound.question_set),))
    round_estates = list(db.session.scalars(_visible_round_estates(survey)).unique())
    results = services.estate_results(survey, round_estates)
    questions = services.questions_of(survey.question_set_id)
    by_question = services.question_results(survey.id, [r.id for r in round_estates])
    flagged = sum(r.tally.flagged for r in results)
    limits = services.Thresholds(survey.threshold_percent, 0) if survey.threshold_percent else services.thresholds()
    return render_template(
        "surveys/detail.html", survey=survey, results=results, total=services.total_of(results),
        companies=services.group_results(results, "company"), streets=services.group_results(results, "street"),
        questions=questions, by_question=by_question, ratings=list(Rating), flagged=flagged, limits=limits,
        action=ActionForm(), percent=services.percent, can_codes=current_user.role in CODE_ROLES)


def _transition(round_id: int, change, done_message: str):
    survey = scope.load(SurveyRound, round_id, roles=BUREAU)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(survey, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for(".detail", round_id=survey.id))


@bp.post("/<int:round_id>/open")
@scope.role_required(BUREAU)
def open_round(round_id: int):
    return _transition(round_id, services.open_round, _("测评已开始，业主可以投票。"))


@bp.post("/<int:round_id>/close")
@scope.role_required(BUREAU)
def close_round(round_id: int):
    return _transition(round_id, services.close_round,
                       _("测评已结束：达标企业已生成加分建议（信用事件草稿），未达标小区已发整改提示。"))


# --- codes and sheets -----------------------------------------------------------------------

@bp.post("/<int:round_id>/codes")
@scope.role_required(BUREAU)
def generate_round_codes(round_id: int):
    """Codes for every estate of the round: a job (a district-wide round holds millions)."""
    survey = scope.load(SurveyRound, round_id, roles=BUREAU)
    if not ActionForm().validate_on_submit():
        abort(400)
    if survey.status is not RoundStatus.DRAFT:
        flash(_("测评开始后不能重新生成测评码。"), "danger")
        return redirect(url_for(".detail", round_id=survey.id))
    job = tasks.start_round_codes(survey, current_user)
    db.session.commit()
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.post("/estates/<int:round_estate_id>/codes")
@scope.role_required(BUREAU)
def generate_codes(round_estate_id: int):
    round_estate = scope.load(SurveyRoundEstate, round_estate_id, roles=BUREAU)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = services.generate_codes(round_estate, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("已生成 %(n)s 个测评码，原有测评码作废。", n=count), "success")
    return redirect(url_for(".estate", round_estate_id=round_estate.id))


@bp.get("/estates/<int:round_estate_id>/sheet")
@scope.role_required(CODE_ROLES)
def sheet(round_estate_id: int):
    """The sheet of QR codes: at once for a small estate; a large one is made by a job."""
    round_estate = scope.load(SurveyRoundEstate, round_estate_id, roles=CODE_ROLES)
    if not round_estate.codes_count:
        flash(_("尚未生成测评码。"), "warning")
        return redirect(url_for(".estate", round_estate_id=round_estate.id))
    if round_estate.codes_count > sheets.job_threshold():
        return render_template("surveys/sheet_job.html", round_estate=round_estate, action=ActionForm())
    data = sheets.render_sheet(round_estate, request.url_root)
    return pdf_response(data, sheets.sheet_filename(round_estate), inline=False)


@bp.post("/estates/<int:round_estate_id>/sheet")
@scope.role_required(CODE_ROLES)
def sheet_job(round_estate_id: int):
    round_estate = scope.load(SurveyRoundEstate, round_estate_id, roles=CODE_ROLES)
    if not ActionForm().validate_on_submit() or not round_estate.codes_count:
        abort(400)
    job = tasks.start_sheet(round_estate, request.url_root, current_user)
    db.session.commit()
    return redirect(url_for("jobs.detail", job_id=job.id))


@bp.get("/estates/<int:round_estate_id>")
@scope.role_required(READERS)
def estate(round_estate_id: int):
    round_estate = scope.load(SurveyRoundEstate, round_estate_id, options=(
        joinedload(SurveyRoundEstate.round), joinedload(SurveyRoundEstate.estate)))
    survey = round_estate.round
    result = services.estate_results(survey, [round_estate])[0]
    questions = services.questions_of(survey.question_set_id)
    by_question = services.question_results(survey.id, [round_estate.id])
    comments = None
    if current_user.role in DISTRICT_READERS | STREET:
        comments = paginate(scope.visible(SurveyVote).where(
            SurveyVote.round_estate_id == round_estate.id, SurveyVote.comment.is_not(None))
            .order_by(SurveyVote.created_at.desc()))
    used = None
    if current_user.role in CODE_ROLES:
        used = db.session.scalar(select(func.count()).select_from(SurveyVote).where(
            SurveyVote.round_estate_id == round_estate.id, SurveyVote.code_id.is_not(None)))
    return render_template("surveys/estate.html", survey=survey, round_estate=round_estate, result=result,
                           questions=questions, by_question=by_question, ratings=list(Rating), comments=comments,
                           used=used, action=ActionForm(), percent=services.percent,
                           can_codes=current_user.role in CODE_ROLES,
                           register=register_size(round_estate.estate_id) if current_user.role in CODE_ROLES else 0)


# --- flagged votes --------------------------------------------------------------------------

@bp.get("/<int:round_id>/flagged")
@scope.role_required(DISTRICT_READERS | STREET)
def flagged(round_id: int):
    survey = scope.load(SurveyRound, round_id)
    statement = (scope.visible(SurveyVote).where(SurveyVote.round_id == survey.id,
                                                 SurveyVote.status.in_([VoteStatus.FLAGGED, VoteStatus.ACCEPTED,
                                                                        VoteStatus.REJECTED]))
                 .options(joinedload(SurveyVote.round_estate).joinedload(SurveyRoundEstate.estate))
                 .order_by(SurveyVote.status, SurveyVote.created_at.desc()))
    return render_template("surveys/flagged.html", survey=survey, page=paginate(statement), action=ActionForm())


@bp.post("/votes/<int:vote_id>/review")
@scope.role_required(BUREAU)
def review(vote_id: int):
    vote = scope.load(SurveyVote, vote_id, roles=BUREAU)
    if not ActionForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        abort(400)
    try:
        services.review_vote(vote, accept=decision == "accept", actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(_("已计入结果。") if decision == "accept" else _("已确认无效，不计入结果。"), "success")
    return redirect(url_for(".flagged", round_id=vote.round_id))


# --- household register ---------------------------------------------------------------------

@bp.route("/households/<int:estate_id>", methods=["GET", "POST"])
@scope.role_required(CODE_ROLES)
def households(estate_id: int):
    estate_row = scope.load(Estate, estate_id, roles=CODE_ROLES)
    form = ImportForm()
    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        job_page = import_jobs.job_page_if_large(HOUSEHOLDS_JOB.name, data, upload.filename, current_user,
                                                  options={"estate_id": estate_row.id})
        if job_page is not None:
            return job_page
        result = HouseholdImport(estate_row, current_user).run(data, upload.filename)
        if result.ok:
            db.session.commit()
            flash(_("已导入 %(n)s 户。", n=len(result.created)), "success")
            return redirect(url_for(".households", estate_id=estate_row.id))
        db.session.rollback()
        errors = result.errors
    statement = scope.visible(Household).where(Household.estate_id == estate_row.id).order_by(Household.room)
    return render_template("surveys/households.html", estate=estate_row, form=form, errors=errors,
                           page=paginate(statement))


# --- the public vote ------------------------------------------------------------------------

def _page_limit():
    return services.setting("SURVEY_PAGE_RATE_LIMIT")


def _vote_limit():
    return services.setting("SURVEY_VOTE_RATE_LIMIT")


def _answers(questions) -> dict[int, str]:
    return {q.id: request.form.get(f"q{q.id}") for q in questions}


@public_bp.get("/")
@limiter.limit(_page_limit)
def start():
    form = CodeForm(request.args)
    if request.args.get("code") is not None and form.validate():
        return redirect(url_for(".vote", vote_code=form.code.data.strip().upper()))
    return render_template("surveys/public_start.html", form=form)


def _posted_answers() -> dict[int, str]:
    """The radio buttons ``q<question id>`` of the posted form (the service checks them against the round)."""
    return {int(name[1:]): value for name, value in request.form.items() if name[:1] == "q" and name[1:].isdigit()}


def _refused(error: services.VoteRefused):
    db.session.rollback()
    status = 404 if isinstance(error, services.UnknownCode) else 409
    return render_template("surveys/public_refused.html", message=error.message), status


@public_bp.route("/<vote_code>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["GET"])
@limiter.limit(_vote_limit, methods=["POST"])
def vote(vote_code: str):
    """The vote by code. A POST goes straight to the service (four statements, no template on
    success: a redirect to the thanks page); the page is rendered only for a GET or a vote refused."""
    form = VoteForm()
    chosen = {}
    if form.validate_on_submit():
        chosen = _posted_answers()
        try:
            services.cast_vote_by_code(vote_code, chosen, comment=form.comment.data, address=request.remote_addr)
        except services.VoteRefused as error:
            return _refused(error)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            return redirect(url_for(".thanks"))
    ballot = services.ballot_for_code(vote_code)
    if ballot is None or ballot.used or not ballot.accepts_votes:
        message = (_("测评码无效，请核对后重新输入。") if ballot is None else
                   _("该测评码已使用，每户只能投票一次。") if ballot.used else _("本次测评不在投票期内。"))
        return render_template("surveys/public_refused.html", message=message), 404 if ballot is None else 409
    questions = services.questions_of(ballot.question_set_id)
    return render_template("surveys/public_vote.html", form=form, ballot=ballot, questions=questions,
                           ratings=list(Rating), chosen=chosen, register=False)


@public_bp.route("/room/<int:round_estate_id>", methods=["GET", "POST"])
@limiter.limit(_page_limit, methods=["GET"])
@limiter.limit(_vote_limit, methods=["POST"])
def vote_by_room(round_estate_id: int):
    round_estate = db.session.get(SurveyRoundEstate, round_estate_id)
    if round_estate is None or round_estate.round.status is not RoundStatus.OPEN \
            or not services.has_register(round_estate.estate_id):
        abort(404)
    form = RegisterVoteForm()
    questions = services.questions_of(round_estate.round.question_set_id)
    chosen = {}
    if form.validate_on_submit():
        chosen = _answers(questions)
        try:
            services.cast_vote_by_register(round_estate, room=form.room.data, phone=form.phone.data,
                                           answers=chosen, comment=form.comment.data, address=request.remote_addr)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            return redirect(url_for(".thanks"))
    ballot = services.Ballot(None, round_estate.id, round_estate.round_id, round_estate.round.name,
                             round_estate.estate.name, round_estate.round.question_set_id, False, True)
    return render_template("surveys/public_vote.html", form=form, ballot=ballot, questions=questions,
                           ratings=list(Rating), chosen=chosen, register=True)


@public_bp.get("/thanks")
def thanks():
    return render_template("surveys/public_thanks.html")

