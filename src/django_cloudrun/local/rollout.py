"""Asking the running `up` to move its web service to the current secrets, and waiting.

`up` starts a new web process on the same socket, waits for its startup probe, then stops
the old one (Supervisor._roll_web); it counts the moves done and failed in its state file.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from .errors import LocalError
from .layout import Layout
from .state import lock_holder, read_state

__all__ = ["Rollout", "roll_out"]

ROLLOUT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Rollout:
    running: bool  # whether an `up` ran and moved; if not, the next `up` uses the secrets
    seconds: float = 0.0


def _counts(layout: Layout) -> dict[str, int | str]:
    state = read_state(layout.state) or {}
    return state.get("rollouts") or {"done": 0, "failed": 0, "error": ""}


def roll_out(layout: Layout, timeout: float = ROLLOUT_TIMEOUT) -> Rollout:
    """Have the running `up`, if any, replace its web process; wait until it has."""
    pid = lock_holder(layout)
    if pid is None:
        return Rollout(running=False)
    state = read_state(layout.state) or {}
    if state.get("pid") != pid or "rollouts" not in state:
        raise LocalError(
            f"`up` (pid {pid}) is not ready to replace its web process yet; run the "
            "rotation again once `django-cloudrun status` says ready"
        )
    before = _counts(layout)
    started = time.monotonic()
    os.kill(pid, signal.SIGUSR1)
    while time.monotonic() - started < timeout:
        now = _counts(layout)
        if now["done"] != before["done"]:
            return Rollout(running=True, seconds=time.monotonic() - started)
        if now["failed"] != before["failed"]:
            raise LocalError(
                f"the new web process did not start: {now['error']}; the old one keeps "
                "serving, and the secrets file already holds the new values (see "
                "`django-cloudrun logs web`)"
            )
        if lock_holder(layout) != pid:
            raise LocalError("`up` stopped before its web process was replaced")
        time.sleep(0.1)
    raise LocalError(f"`up` did not replace its web process within {timeout:.0f} s")
