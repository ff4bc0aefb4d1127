"""PDFs long enough to be jobs: a registered ``PdfMaker`` says how many pages it expects (from what it
will print: streets, items, codes …); up to ``PDF_JOB_PAGES`` the view renders it in the request,
above it a ``pdfs.run`` job renders it (the same user, query string and minute: the same job) and
the user follows it on the job page, then downloads it there.

As for exports (``jobs.exports``), the job rebuilds the document in a request context carrying the
query string, the URL's arguments (``request.view_args``) and the job's owner as ``current_user``, so the
owner's scope applies again.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..core.timeutil import utcnow
from ..documents.pdf import pdf_response
from ..extensions import db
from .exports import as_request, request_args
from .services import JobFailure, enqueue, task


@dataclass
class PdfMaker:
    name: str
    title: str  # the job's title, e.g. 工作简报
    pages: Callable[[], int]  # the pages expected (reads request.args, current_user)
    render: Callable[[], tuple[bytes, str]]  # the PDF and its file name


MAKERS: dict[str, PdfMaker] = {}


def register(maker: PdfMaker) -> PdfMaker:
    MAKERS[maker.name] = maker
    return maker


def needs_job(pages: int) -> bool:
    return pages > current_app.config["PDF_JOB_PAGES"]


def pdf_or_job(name: str, inline: bool = True):
    """The view of a PDF: the document, or (expected over ``PDF_JOB_PAGES`` pages) the job making it."""
    maker = MAKERS[name]
    if needs_job(maker.pages()):
        args = request_args()
        view_args = dict(request.view_args or {})  # e.g. the publication's id in the URL
        key = [name, args] + ([view_args] if view_args else [])
        digest = hashlib.sha256(json.dumps(key, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]
        job_id = enqueue("pdfs.run", current_user, {"maker": name, "args": args, "view_args": view_args},
                         idempotency_key=f"pdfs:{digest}:{utcnow():%Y%m%d%H%M}", title=maker.title).id
        db.session.commit()  # (the id read before: the commit expires the job, reading it again is a query)
        return redirect(url_for("jobs.detail", job_id=job_id))
    data, filename = maker.render()
    return pdf_response(data, filename, inline=inline)


@task("pdfs.run")
def run_pdf(ctx, payload):
    maker = MAKERS.get(payload.get("maker"))
    if maker is None:
        raise JobFailure(_("该文档已不再提供。"))
    with as_request(ctx.owner, payload.get("args")):
        request.view_args = payload.get("view_args") or {}
        pages = maker.pages()
        ctx.progress(0, pages)
        data, filename = maker.render()
    ctx.save_result(data, filename, suffix=".pdf")
    return _("已生成 PDF（约 %(n)s 页）。", n=pages)
