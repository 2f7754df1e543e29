"""The local target's error: a problem the user can fix, and how."""

from __future__ import annotations

from ..errors import CloudRunError

__all__ = ["LocalError"]


class LocalError(CloudRunError):
    """One line saying what went wrong and what to do; ``detail`` (a log tail) may precede it."""
