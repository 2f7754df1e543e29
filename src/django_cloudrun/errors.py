"""The one error tree of django-cloudrun: every layer raises a subclass of CloudRunError.

    CloudRunError                  message, hint, exit code; the CLI prints it on one line
    ├── ConfigError                cloudrun.toml cannot be used (exit 2), one line per problem
    │   └── BudgetError            the database tier cannot serve the connections asked for
    ├── ScaffoldError              init cannot go on (exit 2 unless it says otherwise)
    ├── LocalError                 the local target failed (exit 1), maybe with a log tail
    ├── CloudError                 Google Cloud or the engine failed (exit 1)
    │   ├── PrerequisiteError      something to provide or fix first (exit 2)
    │   └── EngineFailed           a Pulumi update or destroy failed, per resource
    ├── DbInitError                db-init was given something it must refuse
    ├── DatabaseStarting           the database still refused connections as "starting"
    └── SuperuserError             the superuser cannot be created as configured

Exit codes: 2 when the input or a prerequisite is at fault (like a usage error), 1 when
something that was correctly asked for failed. The subclasses live with their layer; this
module has no dependencies so that the container runtime can import it too.
"""

from __future__ import annotations

__all__ = ["INTERRUPTED_EXIT", "USAGE_EXIT", "CloudRunError"]

USAGE_EXIT = 2  # the input, not the tool, is wrong
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report an interrupted command


class CloudRunError(Exception):
    """A problem the user can act on: what went wrong, and how to fix it.

    ``message`` is one line; ``hint``, when given, says what to do; ``detail`` (a log's
    tail, say) is shown before the message so that the message stays the last line in view.
    """

    exit_code = 1
    label = "error"  # the word the CLI prints before the message

    def __init__(
        self, message: str, *, hint: str = "", detail: str = "", exit_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message

    def lines(self) -> list[str]:
        """What the CLI prints, one problem a line."""
        return [f"{self.label}: {self}"]
