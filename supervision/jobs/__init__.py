"""Long work on a job queue: RQ on Redis when REDIS_URL is set, else a background thread in-process.

``enqueue(kind, owner, payload, idempotency_key=None)`` adds a job; ``@task("kind")`` registers the
function that runs it, ``fn(ctx, payload)`` with a ``JobContext`` (progress, result file). See
``services.py`` and docs/operations.md.
"""
from . import backends, exports, imports, pdfs  # noqa: F401  (dispatches committed jobs; export, import, PDF jobs)
from .services import JobContext, enqueue, task  # noqa: F401
