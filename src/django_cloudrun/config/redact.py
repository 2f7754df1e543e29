"""Show a configuration without its secrets."""

from __future__ import annotations

from typing import Any

from ..contract import REDACTED
from .model import CloudRunConfig

__all__ = ["REDACTED", "SECRET_MARKERS", "looks_secret", "redacted_dump", "secret_warnings"]

SECRET_MARKERS = ("PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE")


def looks_secret(name: str) -> bool:
    return any(marker in name.upper() for marker in SECRET_MARKERS)


def redacted_dump(config: CloudRunConfig) -> dict[str, Any]:
    """The resolved configuration as JSON-ready data, secret-looking values masked."""
    data = config.model_dump(mode="json", by_alias=True)
    data["environment_variables"] = {
        name: REDACTED if looks_secret(name) else value
        for name, value in config.environment_variables.items()
    }
    return data


def secret_warnings(config: CloudRunConfig) -> list[str]:
    """One line per plain environment variable whose name says it holds a secret."""
    return [
        f"environment_variables.{name}: looks like a secret; move it to "
        "secret_environment_variables so it is kept in Secret Manager, not in plain text"
        for name in config.environment_variables
        if looks_secret(name)
    ]
