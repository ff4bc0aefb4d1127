"""The WeasyPrint side of ``documents.pdf``, imported when the first PDF is made (not when the app starts:
WeasyPrint and its font machinery are ~40 MB of every process's memory, and most processes never print).

The URL fetcher serves only attachment images referenced as ``attachment:<id>`` and ``data:`` URIs, and
refuses everything else (no ``file:`` reads, no outside calls).
"""
from __future__ import annotations

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..attachments.models import Attachment
from ..attachments.services import file_for_pdf
from ..config import PROJECT_ROOT
from ..extensions import db

PDF_CSS = PROJECT_ROOT / "templates" / "pdf" / "pdf.css"


class RestrictedFetcher(URLFetcher):
    """Serves ``attachment:<id>`` images and ``data:`` URIs; refuses all else."""

    def __init__(self):
        super().__init__(allowed_protocols={"attachment", "data"}, fail_on_errors=False)

    def fetch(self, url, headers=None):
        if url.startswith("attachment:"):
            return self._attachment(url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"refused to fetch {url}")

    @staticmethod
    def _attachment(url):

        try:
            attachment = db.session.get(Attachment, int(url.split(":", 1)[1]))
        except ValueError:
            attachment = None
        if attachment is None or not attachment.is_image:
            raise ValueError(f"no image attachment at {url}")
        mime = "image/jpeg" if attachment.reduced_name else attachment.content_type
        return URLFetcherResponse(url, body=file_for_pdf(attachment).read_bytes(), headers={"Content-Type": mime})


def html_to_pdf(html: str) -> bytes:
    document = HTML(string=html, base_url="attachment:", url_fetcher=RestrictedFetcher())
    # pdf_tags: a tagged PDF (structure tree: headings, paragraphs, tables) that screen readers can follow.
    return document.write_pdf(stylesheets=[CSS(string=PDF_CSS.read_text(encoding="utf-8"))], pdf_tags=True)
