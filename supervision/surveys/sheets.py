"""The sheet of QR codes for one estate (PDF): one cell per household code, cut apart and handed out.

Each cell holds the QR code of the public voting URL with the code in it, the code in print (for
typing) and its serial number. The QR codes are drawn by segno as PNG data URIs, which WeasyPrint
renders without fetching anything. A sheet of more than ``SURVEY_SHEET_JOB_THRESHOLD`` codes is
made by a job (``tasks.py``).
"""
from __future__ import annotations

import segno
from flask import current_app

from ..core.timeutil import local_today
from ..documents.pdf import render_pdf
from . import codes
from .models import SurveyRoundEstate
from .services import sheet_codes

JOB_THRESHOLD = 200
PER_PAGE = 12


def job_threshold() -> int:
    return int(current_app.config.get("SURVEY_SHEET_JOB_THRESHOLD", JOB_THRESHOLD))


def vote_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/v/{code}"


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m", micro=False).png_data_uri(scale=4, border=2)


def sheet_cells(round_estate: SurveyRoundEstate, base_url: str, progress=None) -> list[dict]:
    cells = []
    pairs = sheet_codes(round_estate)
    for n, (serial, code) in enumerate(pairs, 1):
        url = vote_url(base_url, code)
        cells.append({"serial": serial, "code": codes.display(code), "qr": qr_data_uri(url)})
        if progress is not None and n % 100 == 0:
            progress(n, len(pairs))
    return cells


def render_sheet(round_estate: SurveyRoundEstate, base_url: str, progress=None) -> bytes:
    cells = sheet_cells(round_estate, base_url, progress)
    pages = [cells[i:i + PER_PAGE] for i in range(0, len(cells), PER_PAGE)]
    return render_pdf("pdf/surveys/sheet.html", round_estate=round_estate, survey=round_estate.round,
                      estate=round_estate.estate, pages=pages, base_url=base_url.rstrip("/"), today=local_today())


def sheet_filename(round_estate: SurveyRoundEstate) -> str:
    return f"测评码-{round_estate.round.name}-{round_estate.estate.name}.pdf"
