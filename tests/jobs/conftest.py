from __future__ import annotations

import pytest

from supervision.jobs.backends import backend

from . import tasks  # noqa: F401  (registers the test job functions)


@pytest.fixture
def inprocess(app):
    """Jobs run in this process's thread pool (whatever REDIS_URL says); ``inprocess.wait()``."""
    saved = app.config.get("JOB_REDIS_URL")
    app.config["JOB_REDIS_URL"] = None
    app.extensions.pop("jobs_backend", None)
    made = backend()
    yield made
    made.wait()
    app.extensions.pop("jobs_backend", None)
    app.config["JOB_REDIS_URL"] = saved
