"""mypy (strict, configured in pyproject.toml) passes on infra, cloud and config: a wrong
pulumi-gcp *Args or client call fails here, not at deploy."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pg import REPO

pytestmark = pytest.mark.slow


def test_mypy_is_clean_on_the_deploy_time_packages():
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues found in" in result.stdout
