"""The owner's public pages (no login): find the estate, describe, follow and rate.

Phone-first, no JavaScript; nothing personal is ever shown (the private page shows the state, the
times and the company's reply, never the name or phone)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..attachments.services import IMAGE, UploadError, store
from ..core.errors import DomainError
from ..estates.models import Estate
from ..extensions import db
from . import owner
from .forms import OwnerForm, RateForm
from .models import Kind, Satisfaction, State
from .services import owner_rate

bp = Blueprint("owner", __name__, url_prefix="/owner")


@bp.get("/")
def start():
    q = request.args.get("q", "")[:50]
    return render_template("complaints/owner_start.html", q=q, estates=owner.search_estates(q))


@bp.route("/new/<int:estate_id>", methods=["GET", "POST"])
def new(estate_id: int):
    estate = db.session.get(Estate, estate_id)
    if estate is None or estate.archived_at is not None:
        abort(404)
    form = OwnerForm()
    form.estate_id.data = str(estate.id)
    if form.validate_on_submit():
        if not owner.check_challenge(form.challenge.data, form.answer.data):
            form.answer.errors = [_("验证问题回答不正确，请重新计算。")]
        else:
            try:
                complaint, token = owner.submit(
                    estate=estate, kind=Kind(form.kind.data), category=form.category.data,
                    description=form.description.data, phone=form.phone.data, name=form.name.data,
                    remote_addr=request.remote_addr)
                for file in [f for f in request.files.getlist("photos") if f and f.filename][:3]:
                    store(file, kinds=(IMAGE,), owner=complaint, purpose="photo")
            except (DomainError, UploadError) as error:
                db.session.rollback()
                message = error.message
                if getattr(error, "field", None) == "phone":
                    form.phone.errors = [message]
                else:
                    flash(message, "danger")
            else:
                db.session.commit()
                return render_template("complaints/owner_done.html", complaint=complaint,
                                       link=url_for(".track", token=token, _external=True))
    question, form.challenge.data = owner.new_challenge()
    form.answer.data = ""
    return render_template("complaints/owner_form.html", form=form, estate=estate, question=question)


@bp.route("/t/<token>", methods=["GET", "POST"])
def track(token: str):
    complaint = owner.by_token(token)
    if complaint is None:
        abort(404)
    form = RateForm()
    if complaint.state is State.RESOLVED and form.validate_on_submit():
        try:
            owner_rate(complaint, Satisfaction(form.satisfaction.data), form.text.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("感谢您的评价。"), "success")
            return redirect(url_for(".track", token=token))
    return render_template("complaints/owner_track.html", c=complaint, form=form)
