"""``make serve``: gunicorn refuses several workers whose rate-limit counts would not be shared."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from supervision.config import per_worker_limits, rate_limit_storage_uri

PROJECT = Path(__file__).resolve().parent.parent.parent


def test_rate_limit_storage_follows_redis_url():
    assert rate_limit_storage_uri({}) == "memory://"
    assert rate_limit_storage_uri({"REDIS_URL": "redis://cache:6379/2"}) == "redis://cache:6379/2"
    assert rate_limit_storage_uri({"REDIS_URL": "redis://cache:6379/2",
                                   "RATELIMIT_STORAGE_URI": "memcached://m:11211"}) == "memcached://m:11211"


def test_per_worker_limits_are_named_only_when_they_would_multiply():
    assert per_worker_limits(1, {}) is None
    assert per_worker_limits(4, {"REDIS_URL": "redis://cache:6379/2"}) is None
    message = per_worker_limits(4, {"LOGIN_RATE_LIMIT": "10 per minute"})
    assert "4 workers" in message and "(10 per minute) is in fact 4x" in message and "REDIS_URL" in message


def _check_config(tmp_path, **env):
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"REDIS_URL", "RATELIMIT_STORAGE_URI", "ALLOW_PER_WORKER_RATE_LIMITS"}}
    environment.update(INSTANCE_PATH=str(tmp_path), SECRET_KEY="serve-test",
                       DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}", **env)
    return subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--check-config", "wsgi:app"],
                          cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=120)


def test_gunicorn_refuses_several_workers_with_in_memory_limits(tmp_path):
    refused = _check_config(tmp_path, GUNICORN_WORKERS="3")
    assert refused.returncode != 0
    assert "refusing to start 3 workers with in-memory rate-limit storage" in refused.stderr
    assert "ALLOW_PER_WORKER_RATE_LIMITS=1" in refused.stderr
    allowed = _check_config(tmp_path, GUNICORN_WORKERS="3", ALLOW_PER_WORKER_RATE_LIMITS="1")
    assert allowed.returncode == 0, allowed.stderr
    assert "WARNING: 3 workers with in-memory rate-limit storage" in allowed.stderr
