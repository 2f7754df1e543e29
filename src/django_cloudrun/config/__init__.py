"""cloudrun.toml: the one source of defaults, as a typed and validated model.

Deploy-side only: it needs pydantic (the `deploy` extra), so the container runtime never
imports it.
"""

from __future__ import annotations

from .errors import ConfigError
from .loader import DEFAULT_PATH, load_config, parse_config, resolve
from .model import CloudRunConfig
from .redact import REDACTED, looks_secret, redacted_dump, secret_warnings

__all__ = [
    "DEFAULT_PATH",
    "REDACTED",
    "CloudRunConfig",
    "ConfigError",
    "load_config",
    "looks_secret",
    "parse_config",
    "redacted_dump",
    "resolve",
    "secret_warnings",
]
