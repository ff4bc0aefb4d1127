"""The portal's page cache: whole pages kept per process under the data generations they are built from.

A page names the generation topics of its data (``services.CREDIT_TOPIC`` …, the registered sources'
topics). One query reads them all (``generations.snapshot``); the page's key is its endpoint, its
path arguments, the query arguments it reads, the language, the day (a committee's term, a contract
period, a dated disclosure change at midnight) and those generations:

- the ETag is a digest of that key (and of the templates and catalogues deployed), so every worker
  and every host computes the same ETag for the same data without rendering: a conditional GET
  whose ``If-None-Match`` still matches answers 304 at the cost of that one query;
- ``Last-Modified`` is the latest time one of the topics changed (stored with the generation, so it
  too is the same everywhere);
- the rendered body is kept in an LRU of ``PORTAL_CACHE_SIZE`` pages per process. When something is
  published the generation changes in the same transaction, and the next request of every worker
  misses and renders anew: no time-based expiry, never a stale page.

When a topic has no generation yet (a new database) or the request's own transaction changed it, the
page is rendered live, without ETag. With ``CHECK_CACHE_INPUTS`` (tests, debug) rendering records
the tables it reads, and one that none of the page's topics watches raises ``UndeclaredInput``.

Pages are rendered without the app's context processors (nothing of the visitor, e.g. a signed-in
user's navigation, may go into a page shared by everyone).
"""
from __future__ import annotations

import hashlib
from email.utils import format_datetime
from pathlib import Path

from flask import Response, current_app, g, request
from flask_babel import get_locale

from .. import delivery
from ..config import PROJECT_ROOT
from ..core import generations
from ..core.timeutil import local_today
from ..extensions import db

CACHE_NAME = "portal_pages"
FRAGMENTS_NAME = "portal_fragments"  # parts of pages kept under their own topics (e.g. an estate's sections)
_GENERATIONS = "portal_generations"  # g: topic → generation, as this request's page read them
CACHE_CONTROL = "public, no-cache"  # may be stored, but revalidated each time (a 304 is cheap)

_build: str | None = None


def build_token() -> str:
    """A digest of the portal's templates and the translation catalogues: a new deployment changes
    the ETags even when the data has not changed. Computed once per process."""
    global _build
    if _build is None:
        digest = hashlib.sha256()
        files = sorted((PROJECT_ROOT / "templates" / "portal").rglob("*")) + sorted(
            (PROJECT_ROOT / "translations").rglob("*.mo")) + [Path(__file__).with_name("views.py")]
        for path in files:
            if path.is_file():
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
        _build = digest.hexdigest()[:16]
    return _build


def render(template: str, **context) -> str:
    """The template rendered with ``context`` and the Jinja globals only (no context processors)."""
    return current_app.jinja_env.get_template(template).render(**context)


def _key(args: tuple[str, ...], locale: str) -> tuple:
    """What the page depends on besides its data: the route, the query arguments it reads, the language
    and the day (a committee's term ends, a contract period or a dated disclosure begins, at midnight)."""
    query = tuple((name, tuple(request.args.getlist(name))) for name in args if name in request.args)
    return (request.endpoint, tuple(sorted((request.view_args or {}).items())), query, locale,
            local_today().isoformat())


def _checked(topics: tuple[str, ...], build, what: str = "page"):
    if not (current_app.config.get("CHECK_CACHE_INPUTS") or current_app.debug):
        return build()
    with generations.reads_recorded() as tables:
        body = build()
    watched = set().union(*(generations.watched_tables(t) for t in topics))
    undeclared = sorted(tables - watched - {generations.DataGeneration.__tablename__})
    if undeclared:
        raise generations.UndeclaredInput(
            f"portal {what} {request.endpoint}: read {', '.join(undeclared)}, which none of {topics} watches")
    return body


def _lru(name: str):
    found = current_app.extensions.get(name)
    if found is None:
        found = current_app.extensions[name] = generations.LRUCache(current_app.config.get("PORTAL_CACHE_SIZE", 2000))
    return found


def fragment(topics, key: tuple, compute):
    """``compute()`` (an immutable value, see ``generations.freeze``) kept per process under ``key``, the
    language, the day and the generations of ``topics`` — which must be among the topics of the page being
    built (its one generation query read them). A page that misses because another of its topics changed
    (a credit publication) reuses the parts that did not change (an estate's complaint figures)."""
    topics = tuple(topics)
    known = g.get(_GENERATIONS) or {}
    values = tuple(known.get(topic) for topic in topics)
    if not topics or None in values:
        return generations.freeze(_checked(topics, compute, "fragment"))
    full_key = (key, str(get_locale()), local_today().isoformat(), topics, values)
    return _lru(FRAGMENTS_NAME).get(full_key, lambda: generations.freeze(_checked(topics, compute, "fragment")))


def _body(key: tuple, values: tuple, build, mimetype: str) -> tuple[bytes, str | None]:
    """The page's bytes as this request accepts them, and their encoding: the plain body and each compressed
    copy are kept (compressing a page costs about as much as serving it)."""
    pages = _lru(CACHE_NAME)
    plain = pages.get((key, values), build)
    if mimetype not in delivery.COMPRESSIBLE or len(plain) < delivery.MIN_SIZE:
        return plain, None
    encoding = delivery.accepted_encoding()
    if encoding is None:
        return plain, None
    return pages.get((key, values, encoding), lambda: delivery.compress(plain, encoding)), encoding


def _reads_only() -> None:
    """A public page only reads: on PostgreSQL its statements run in autocommit, as each would under READ
    COMMITTED anyway, without the BEGIN and ROLLBACK round trips around them — a cache hit is then one
    round trip, its generation read. (A session already in a transaction, e.g. a signed-in visitor's session
    check, is left as it is.)"""
    session = db.session()
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def page(topics, build, *, args: tuple[str, ...] = (), mimetype: str = "text/html") -> Response:
    """The response for this request: 304, a cached body, or ``build()`` (a str) rendered now and kept."""
    topics = tuple(dict.fromkeys(topics))
    locale = str(get_locale())  # before anything is recorded: finding it may load a signed-in user
    key = _key(args, locale)
    _reads_only()
    snapshot = generations.snapshot(topics)
    if snapshot is None:
        response = Response(_checked(topics, build), mimetype=mimetype)
        response.headers["Cache-Control"] = "no-store"
        return response
    values, changed_at = snapshot
    setattr(g, _GENERATIONS, dict(zip(topics, values, strict=True)))
    etag = hashlib.sha256(repr((build_token(), key, topics, values)).encode()).hexdigest()[:32]
    encoding = None
    if request.if_none_match.contains_weak(etag) or (  # a compressed copy's ETag is weak, and still matches
            not request.if_none_match and request.if_modified_since and changed_at is not None
            and changed_at.replace(microsecond=0) <= request.if_modified_since):
        response = Response(status=304)
    else:
        body, encoding = _body(key, values, lambda: _checked(topics, build).encode(), mimetype)
        response = Response(body, mimetype=mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if mimetype in delivery.COMPRESSIBLE:
            response.vary.add("Accept-Encoding")
    response.set_etag(etag, weak=encoding is not None)  # another representation of the same content
    if changed_at is not None:
        response.headers["Last-Modified"] = format_datetime(changed_at.replace(microsecond=0), usegmt=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Cookie")  # the language may come from the session
    return response
