"""PDF rendering with WeasyPrint (in ``weasy``, imported when the first PDF is made).

Templates get plain data. The stylesheet is read from the project; the URL
fetcher serves only attachment images referenced as ``attachment:<id>`` and
``data:`` URIs, and refuses everything else (no ``file:`` reads, no outside calls).
"""
from __future__ import annotations

import importlib

from flask import current_app

from . import content_disposition


def render_pdf(template: str, **context) -> bytes:
    # Straight from the Jinja environment: the app's context processors fill in what the pages' layout
    # shows (navigation, the unread-notification count: a query), which no PDF template prints.
    html = current_app.jinja_env.get_template(template).render(context)
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (see ``weasy``: WeasyPrint is imported on the first call)."""
    return importlib.import_module(".weasy", __package__).html_to_pdf(html)


def pdf_response(data: bytes, filename: str, inline: bool = True):

    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(filename, "inline" if inline else "attachment",
                                                                  fallback="document.pdf")
    return response
