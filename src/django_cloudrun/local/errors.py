"""The one exception the local target raises: a problem the user can fix, and how."""

from __future__ import annotations

__all__ = ["LocalError"]


class LocalError(Exception):
    """One line saying what went wrong and what to do; ``detail`` (a log tail) may follow."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message
