"""Security headers on every response; requests carrying NUL characters refused."""
from __future__ import annotations

from flask import abort, request

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Server-rendered SVG charts carry their own <style> elements.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def add_security_headers(response):
    headers = response.headers
    if response.mimetype == "image/svg+xml":
        headers.setdefault("Content-Security-Policy", SVG_CSP)
    else:
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    return response


def refuse_nul_characters():
    """400 for a query or form value holding a NUL character.

    No one types one, and PostgreSQL cannot store or compare text holding it: a NUL
    in any search or text field would otherwise end in a 500 there (and SQLite cuts
    the string at it, so a search for it matched everything).
    """

    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
