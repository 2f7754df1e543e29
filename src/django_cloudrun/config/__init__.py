"""cloudrun.toml: the one source of defaults, as a typed and validated model.

Deploy-side only: it needs pydantic (the `deploy` extra), so the container runtime never
imports it.
"""

from __future__ import annotations

from .errors import ConfigError
from .loader import DEFAULT_PATH, load_config, parse_config, resolve
from .model import CloudRunConfig
from .redact import (
    FILL_IN,
    REDACTED,
    fill_in_warnings,
    looks_secret,
    redacted_dump,
    secret_warnings,
    unfilled,
)

__all__ = [
    "DEFAULT_PATH",
    "FILL_IN",
    "REDACTED",
    "CloudRunConfig",
    "ConfigError",
    "fill_in_warnings",
    "load_config",
    "looks_secret",
    "parse_config",
    "redacted_dump",
    "resolve",
    "secret_warnings",
    "unfilled",
]
