"""gunicorn settings for `make serve` (production). Override with GUNICORN_* env vars."""
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from supervision.config import ALLOW_PER_WORKER_LIMITS, env_flag, per_worker_limits

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Measured (bench/gunicorn_sizing.py, docs/operations.md "Sizing gunicorn"): on 2 cores, 2 workers × 2
# threads served the most pages per second; 4 workers gave less and doubled the memory (and the cold
# caches). One worker per core, two threads each (the pages wait on the database a little).
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))  # long PDFs render within a request
graceful_timeout = 30
max_requests = 2000  # recycle workers to bound memory
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True

# Several workers must share their rate-limit counts (Redis), or the login limit is multiplied.
_per_worker = per_worker_limits(workers)
if _per_worker and not env_flag(ALLOW_PER_WORKER_LIMITS):
    sys.exit(f"gunicorn.conf.py: refusing to start {_per_worker} "
             f"Set {ALLOW_PER_WORKER_LIMITS}=1 to start anyway with per-worker limits.")
if _per_worker:
    print(f"WARNING: {_per_worker} ({ALLOW_PER_WORKER_LIMITS}=1: starting anyway.)", file=sys.stderr, flush=True)
