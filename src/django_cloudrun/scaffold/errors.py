"""The scaffold package's exception: what init cannot do, and how to fix it."""

from __future__ import annotations

__all__ = ["ScaffoldError"]


class ScaffoldError(Exception):
    """init cannot go on; the message says what is wrong and what to do about it.

    `exit_code` 2 means the project or the flags are at fault (like a usage error).
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
