"""The scaffold package's error: what init cannot do, and how to fix it."""

from __future__ import annotations

from ..errors import USAGE_EXIT, CloudRunError

__all__ = ["ScaffoldError"]


class ScaffoldError(CloudRunError):
    """init cannot go on; exit code 2 (the project or the flags are at fault) unless given."""

    exit_code = USAGE_EXIT
    label = "init"
