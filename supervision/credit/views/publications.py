"""Rule sets and the years they apply to; published results and their red and black lists."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ...auth import scope
from ...auth.roles import ADMIN, ALL_ROLES, BUREAU, DISTRICT_READERS
from ...core.errors import DomainError
from ...core.pagination import MAX_PAGE, page_number, paginate
from ...core.timeutil import local_today
from ...documents.pdf import render_pdf
from ...extensions import db
from ...i18n import in_chinese
from ...jobs import pdfs
from .. import corrections as correction_services
from .. import publication as publication_services
from .. import scoring, services, standings
from ..forms import CorrectionForm, PublicationForm, RuleSetYearForm
from ..models import CreditPublication, CreditPublicationRow, CreditRuleItem, CreditRuleSet
from . import bp
from ._helpers import _domain_error, _flash_errors

# --- rules -------------------------------------------------------------------

@bp.get("/rules")
@scope.role_required(ALL_ROLES)
def rules():
    rule_sets = services.rule_sets()
    years = services.rule_set_years()
    form = RuleSetYearForm()
    form.rule_set_id.choices = [(None, _("请选择"))] + [(r.id, str(r)) for r in rule_sets]
    if request.method == "GET":
        form.year.data = local_today().year
    return render_template("credit/rules.html", rule_sets=rule_sets, years=years, form=form,
                           in_force=services.rule_set_for(local_today()))


@bp.post("/rules/years")
@scope.role_required(ADMIN)
def rules_year():
    form = RuleSetYearForm()
    rule_sets = services.rule_sets()
    form.rule_set_id.choices = [(None, _("请选择"))] + [(r.id, str(r)) for r in rule_sets]
    if form.validate_on_submit():
        rule_set = db.session.get(CreditRuleSet, form.rule_set_id.data)
        try:
            services.set_rule_set_for_year(form.year.data, rule_set, actor=current_user)
        except DomainError as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("%(year)s 年度适用“%(name)s”。", year=form.year.data, name=str(rule_set)), "success")
    else:
        _flash_errors(form)
    return redirect(url_for(".rules"))


@bp.get("/rules/<int:rule_set_id>")
@scope.role_required(ALL_ROLES)
def rule_set(rule_set_id: int):
    rule_set = scope.load(CreditRuleSet, rule_set_id, options=(
        selectinload(CreditRuleSet.parts), selectinload(CreditRuleSet.grades),
        selectinload(CreditRuleSet.items).selectinload(CreditRuleItem.part)))
    return render_template("credit/rule_set.html", rule_set=rule_set,
                           override_notes=scoring.override_notes(rule_set))


# --- publication -------------------------------------------------------------

@bp.get("/publications")
@scope.role_required(ALL_ROLES)
def publications():
    statement = scope.visible(CreditPublication).order_by(CreditPublication.as_of.desc(),
                                                          CreditPublication.id.desc())
    return render_template("credit/publications.html", page=paginate(statement))


@bp.route("/publications/new", methods=["GET", "POST"])
@scope.role_required(BUREAU)
def publication_new():
    form = PublicationForm()
    today = local_today()
    if request.method == "GET":
        form.as_of.data = today
        form.name.data = _("%(year)s年度物业服务企业信用评价结果", year=today.year)
    if form.validate_on_submit():
        if form.as_of.data > today:
            form.as_of.errors.append(_("评价截止日不能晚于今天。"))
        elif request.form.get("confirmed") == "1":
            try:
                publication = publication_services.publish(
                    name=form.name.data, as_of=form.as_of.data, notes=form.notes.data, actor=current_user)
            except DomainError as error:
                _domain_error(form, error)
            else:
                db.session.commit()
                flash(_("已发布“%(name)s”：%(n)s 家企业，红名单 %(red)s 家，黑名单 %(black)s 家。",
                        name=publication.name, n=publication.company_count, red=publication.red_count,
                        black=publication.black_count), "success")
                return redirect(url_for(".publication", publication_id=publication.id))
        else:
            rule_set, rows = publication_services.preview_publication(form.as_of.data)
            return render_template("credit/publication_preview.html", form=form, rule_set=rule_set, rows=rows,
                                   red=[r for r in rows if r.red], black=[r for r in rows if r.black],
                                   counts=standings.grade_counts(rule_set, form.as_of.data))
    return render_template("credit/publication_form.html", form=form)


@bp.get("/publications/<int:publication_id>")
@scope.role_required(ALL_ROLES)
def publication(publication_id: int):
    """The red and black lists and the results (a district reader's all, a company's own row), each paged
    (``red_page``, ``black_page``, ``page``) and searched by company name (``q``); the results by grade."""
    publication = scope.load(
        CreditPublication, publication_id,
        options=(joinedload(CreditPublication.rule_set), joinedload(CreditPublication.published_by)))
    q = (request.args.get("q") or "").strip() or None
    grade = request.args.get("grade") or None
    notices = correction_services.corrections_of(publication)
    corrected = bool(notices)
    # The lists are public (every row of the publication, as listed now).
    red = publication_services.shown_page(publication, corrected=corrected, listed="red", q=q,
                                          page=_page_number("red_page"))
    black = publication_services.shown_page(publication, corrected=corrected, listed="black", q=q,
                                            page=_page_number("black_page"))
    rows, parts, grades = None, [], []
    if current_user.sees_district:  # every row (their scope of the rows is true())
        rows = publication_services.shown_page(publication, corrected=corrected, grade=grade, q=q,
                                               page=page_number())
        grades = publication_services.shown_grades(publication, corrected=corrected)
    elif current_user.is_company:  # its own row
        rows = publication_services.shown_page(
            publication, corrected=corrected, statement=scope.visible(CreditPublicationRow), grade=grade, q=q,
            company_id=current_user.company_id, page=page_number())
    if rows is not None:
        parts = publication_services.parts_of(publication)
    return render_template("credit/publication.html", publication=publication, rows=rows, parts=parts,
                           red=red, black=black, q=q, grade=grade, grades=grades, corrections=notices)


def _page_number(name: str) -> int:
    return min(max(request.args.get(name, 1, type=int), 1), MAX_PAGE)


@bp.get("/publications/<int:publication_id>/corrections")
@scope.role_required(DISTRICT_READERS)
def publication_stale(publication_id: int):
    """The published rows that today's records would change (every company rescored as of the publication's
    day), and the bureau's form to issue the correction notice: a page of its own, as rescoring every company
    takes far longer than the publication's page."""
    publication = scope.load(CreditPublication, publication_id, options=(joinedload(CreditPublication.rule_set),))
    stale = correction_services.stale_rows(publication)
    return render_template("credit/publication_stale.html", publication=publication, stale=stale,
                           form=CorrectionForm() if stale and current_user.has_role(BUREAU) else None)


@bp.post("/publications/<int:publication_id>/corrections")
@scope.role_required(BUREAU)
def publication_correct(publication_id: int):
    publication = scope.load(CreditPublication, publication_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            correction = correction_services.issue_correction(publication, reason=form.reason.data, actor=current_user)
        except DomainError as error:
            _domain_error(None, error)
        else:
            db.session.commit()
            flash(_("已发布%(number)s，更正 %(n)s 家企业的结果。", number=correction.number, n=len(correction.rows)),
                  "success")
    else:
        _flash_errors(form)
        return redirect(url_for(".publication_stale", publication_id=publication.id))
    return redirect(url_for(".publication", publication_id=publication.id))


@bp.get("/publications/<int:publication_id>/lists.pdf")
@scope.role_required(ALL_ROLES)
@in_chinese
def publication_pdf(publication_id: int):
    """The red and black lists; expected over ``PDF_JOB_PAGES`` pages they are made by a job (``jobs.pdfs``)."""
    return pdfs.pdf_or_job("credit.publication_pdf")


LISTS_PDF_KEY = "supervision.credit.publication_pdf"


def _lists_publication() -> tuple[CreditPublication, list]:
    """The publication of the request's URL (404 unless visible) and its notices, once per request (kept in
    the request's environ: a job's request context may share a worker's app context)."""
    chosen = request.environ.get(LISTS_PDF_KEY)
    if chosen is None:
        publication = scope.load(CreditPublication, request.view_args["publication_id"])
        chosen = publication, correction_services.corrections_of(publication)
        request.environ[LISTS_PDF_KEY] = chosen
    return chosen


def _lists_pages() -> int:
    publication, notices = _lists_publication()
    return publication_services.list_pages(publication, corrected=bool(notices))


@in_chinese
def _render_lists() -> tuple[bytes, str]:
    publication, notices = _lists_publication()
    red, black = correction_services.listed(publication)
    pdf = render_pdf("pdf/credit/lists.html", publication=publication, red=red, black=black, corrections=notices)
    return pdf, f"红黑名单-{publication.name}.pdf"


pdfs.register(pdfs.PdfMaker("credit.publication_pdf", "红黑名单", _lists_pages, _render_lists))
