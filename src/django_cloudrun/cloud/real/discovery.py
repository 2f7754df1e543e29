"""Clients of Google's REST APIs built from the discovery documents googleapiclient ships.

For the APIs without a google-cloud-* library here (IAM, Organization Policy, Service
Networking, Cloud Build triggers); building one reads no network, only the credentials.
"""

from __future__ import annotations

from typing import Any

__all__ = ["api"]


def api(name: str, version: str) -> Any:
    """The client of API `name` (such as "orgpolicy") at `version` (such as "v2")."""
    from googleapiclient import discovery

    return discovery.build(name, version, cache_discovery=False, static_discovery=True)
