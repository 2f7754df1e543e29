"""Show a configuration without its secrets."""

from __future__ import annotations

from typing import Any

from ..contract import REDACTED
from .model import CloudRunConfig

__all__ = [
    "FILL_IN",
    "REDACTED",
    "SECRET_MARKERS",
    "fill_in_warnings",
    "looks_secret",
    "redacted_dump",
    "secret_warnings",
    "unfilled",
]

# The value init gives a variable the settings require and only the project knows.
FILL_IN = "FILL-IN"
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


def unfilled(config: CloudRunConfig) -> list[str]:
    """environment_variables still holding init's placeholder."""
    return [name for name, value in config.environment_variables.items() if value == FILL_IN]


def fill_in_warnings(config: CloudRunConfig) -> list[str]:
    """One line per variable whose value deploy needs and cloudrun.toml does not give yet."""
    return [
        f"environment_variables.{name}: still {FILL_IN!r}; your settings require it: give it "
        "its value before deploying"
        for name in unfilled(config)
    ]
