"""Survey work as jobs: a large estate's sheet of QR codes."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..jobs import enqueue, task
from ..jobs.services import JobFailure
from . import services
from .models import SurveyRound, SurveyRoundEstate
from .sheets import render_sheet, sheet_filename


def start_sheet(round_estate: SurveyRoundEstate, base_url: str, actor):
    """The sheet job (the same estate, codes and address from the same user: the same job)."""
    key = f"surveys.sheet:{round_estate.id}:{round_estate.code_salt}:{base_url}"
    return enqueue("surveys.sheet", actor, {"round_estate_id": round_estate.id, "base_url": base_url,
                                            "salt": round_estate.code_salt},
                   idempotency_key=key, title=_("测评码打印（%(estate)s）", estate=round_estate.estate.name))


@task("surveys.sheet")
def run_sheet(ctx, payload):
    round_estate = db.session.get(SurveyRoundEstate, payload["round_estate_id"])
    if round_estate is None or round_estate.code_salt != payload.get("salt"):
        raise JobFailure(_("测评码已重新生成，请重新打印。"))
    ctx.progress(0, round_estate.codes_count)
    # Templates expect a request (the user, the locale): a bare one at the site's address.
    with current_app.test_request_context("/", base_url=payload["base_url"]):
        data = render_sheet(round_estate, payload["base_url"], progress=ctx.progress)
    ctx.save_result(data, sheet_filename(round_estate), suffix=".pdf")
    return _("已生成 %(n)s 个测评码的打印页。", n=round_estate.codes_count)


def start_round_codes(survey: SurveyRound, actor):
    return enqueue("surveys.codes", actor, {"round_id": survey.id, "version": survey.version},
                   idempotency_key=f"surveys.codes:{survey.id}:{survey.version}",
                   title=_("生成测评码（%(round)s）", round=survey.name))


@task("surveys.codes")
def run_round_codes(ctx, payload):
    survey = db.session.get(SurveyRound, payload["round_id"])
    if survey is None:
        raise JobFailure(_("测评不存在。"))
    total = services.generate_round_codes(survey, actor=ctx.owner, progress=ctx.progress)
    return _("已为 %(n)s 个小区生成 %(count)s 个测评码。", n=len(survey.estates), count=total)
