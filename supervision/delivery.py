"""Static files versioned and long-cached, text responses compressed — for slow phone connections.

``url_for('static', filename=...)`` (and Bootstrap-Flask's ``bootstrap.static``) gets ``?v=<content hash>``;
a static response asked for with that argument is cached for a year as immutable, so a page view re-checks
nothing. HTML, CSS, JavaScript, SVG and JSON responses over 1 KB are sent brotli- or gzip-compressed when the
browser accepts it (static files compressed once per process and kept).
"""
from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache

import brotli
from flask import current_app, request

STATIC_ENDPOINTS = ("static", "bootstrap.static")
YEAR = 31536000
MIN_SIZE = 1024
COMPRESSIBLE = {"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
                "text/plain", "text/csv"}  # not the API's JSON: its clients and contract tests read it as sent


@lru_cache(maxsize=512)
def _file_hash(path: str, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def _static_folder(endpoint: str) -> str | None:
    if endpoint == "static":
        return current_app.static_folder
    blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def version_of(endpoint: str, filename: str) -> str | None:
    folder = _static_folder(endpoint)
    if not folder or not filename:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep) or not os.path.isfile(path):
        return None
    return _file_hash(path, os.path.getmtime(path))


def add_static_version(endpoint: str, values: dict) -> None:
    """url_defaults hook: ``?v=<hash of the file's content>`` on static URLs."""
    if endpoint in STATIC_ENDPOINTS and "v" not in values:
        version = version_of(endpoint, values.get("filename", ""))
        if version:
            values["v"] = version


@lru_cache(maxsize=256)
def _compressed_static(key: tuple, encoding: str, data: bytes) -> bytes:
    return compress(data, encoding, quality=11)


def compress(data: bytes, encoding: str, quality: int = 5) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=quality)
    return gzip.compress(data, compresslevel=6, mtime=0)


def accepted_encoding() -> str | None:
    """The compression this request accepts: brotli, else gzip, else None."""
    accepted = request.accept_encodings
    if accepted["br"]:
        return "br"
    if accepted["gzip"]:
        return "gzip"
    return None


def finish_response(response):
    """after_request hook: long caching of versioned static files, compression of text responses."""
    is_static = request.endpoint in STATIC_ENDPOINTS
    if is_static and request.args.get("v") and response.status_code in (200, 304):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers or "Content-Range" in response.headers):
        return response
    # Streamed responses (exports) stay as they are; a static file (a file wrapper) is read and compressed.
    if not is_static and (response.is_streamed or response.direct_passthrough):
        return response
    response.vary.add("Accept-Encoding")
    encoding = accepted_encoding()
    if encoding is None:
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_SIZE:
        return response
    if is_static:
        body = _compressed_static((request.path, response.get_etag()[0]), encoding, data)
    else:
        body = compress(data, encoding)
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        # Another representation of the same content: a weak validator (If-None-Match still matches it).
        response.set_etag(etag, weak=True)
    return response


def register(app) -> None:
    app.url_defaults(add_static_version)
    app.after_request(finish_response)
