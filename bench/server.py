"""A gunicorn server for the benchmarks: started in its own process group, ready when /healthz answers,
stopped with its workers."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404 - starts gunicorn, our own server
import time
import urllib.request


def started(process: subprocess.Popen, port: int, timeout: float = 120) -> subprocess.Popen:
    """Wait until the server on ``port`` answers /healthz; stop it and raise if it never does."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(  # nosec B310 - the local server just started
                f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            if response.status == 200:
                return process
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited")
        time.sleep(0.5)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (master and workers), then wait for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
