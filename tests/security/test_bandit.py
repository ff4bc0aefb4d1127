"""Static security analysis: bandit finds nothing of medium severity or above."""
from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_is_clean_at_medium_and_above():
    result = subprocess.run(  # nosec B603
        [sys.executable, "-m", "bandit", "-q", "-r", "supervision", "-ll", "-f", "json", "-c", "pyproject.toml"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout or "{}")
    issues = [f"{i['filename']}:{i['line_number']} {i['test_id']} {i['issue_text']}" for i in report.get("results", [])]
    assert not issues, "\n".join(issues)
    assert result.returncode == 0, result.stderr
