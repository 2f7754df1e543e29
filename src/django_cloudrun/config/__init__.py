"""cloudrun.toml: the one source of defaults, as a typed and validated model.

Deploy-side only: it needs pydantic (the `deploy` extra), so the container runtime never
imports it.
"""

from __future__ import annotations

from .errors import ConfigError
from .loader import DEFAULT_PATH, deep_merge, load_config, parse_config, resolve
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
from .sections import (
    BuildConfig,
    CronJob,
    DatabaseConfig,
    LoggingConfig,
    MediaConfig,
    MonitoringConfig,
    StateConfig,
    StaticConfig,
    SuperuserConfig,
    TracingConfig,
    VpcConfig,
    WorkerConfig,
)

__all__ = [
    "DEFAULT_PATH",
    "FILL_IN",
    "REDACTED",
    "BuildConfig",
    "CloudRunConfig",
    "ConfigError",
    "CronJob",
    "DatabaseConfig",
    "LoggingConfig",
    "MediaConfig",
    "MonitoringConfig",
    "StateConfig",
    "StaticConfig",
    "SuperuserConfig",
    "TracingConfig",
    "VpcConfig",
    "WorkerConfig",
    "deep_merge",
    "fill_in_warnings",
    "load_config",
    "looks_secret",
    "parse_config",
    "redacted_dump",
    "resolve",
    "secret_warnings",
    "unfilled",
]
