"""mypy passes on the infra package: wrong pulumi-gcp *Args fail here, not at deploy."""

from __future__ import annotations

import subprocess
import sys

from infra_support import REPO


def test_mypy_is_clean_on_the_infra_package():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "src/django_cloudrun/infra"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
