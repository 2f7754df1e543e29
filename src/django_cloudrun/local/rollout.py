"""Asking the running `up` to move its web service to the current secrets, and waiting.

`up` starts a new web process on the same socket, waits for its startup probe, then stops
the old one (Supervisor._roll_web). It numbers these moves in its state file, publishing a
move's number before it reads the secrets: a move numbered above the last one started when
the secrets were already written is one that reads them.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from typing import Any

from .errors import LocalError
from .layout import Layout
from .state import lock_holder, read_state

__all__ = ["Rollout", "roll_out"]

ROLLOUT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Rollout:
    running: bool  # whether an `up` ran and moved; if not, the next `up` uses the secrets
    seconds: float = 0.0


def _rollouts(layout: Layout) -> dict[str, Any]:
    state = read_state(layout.state) or {}
    return state.get("rollouts") or {"started": 0, "done": 0, "failed": 0, "error": ""}


def roll_out(layout: Layout, timeout: float = ROLLOUT_TIMEOUT) -> Rollout:
    """Have the running `up`, if any, replace its web process by one that reads the secrets
    as they are now; wait until it has. Call it after writing them."""
    pid = lock_holder(layout)
    if pid is None:
        return Rollout(running=False)
    state = read_state(layout.state) or {}
    if state.get("pid") != pid or "rollouts" not in state:
        raise LocalError(
            f"`up` (pid {pid}) is not ready to replace its web process yet; run the "
            "rotation again once `django-cloudrun status` says ready"
        )
    ours = _rollouts(layout)["started"] + 1
    started = time.monotonic()
    os.kill(pid, signal.SIGUSR1)
    while time.monotonic() - started < timeout:
        now = _rollouts(layout)
        if now["done"] >= ours:
            return Rollout(running=True, seconds=time.monotonic() - started)
        if now["failed"] >= ours:
            raise LocalError(
                f"the new web process did not start: {now['error']}; the old one keeps "
                "serving, and the secrets file already holds the new values (see "
                "`django-cloudrun logs web`)"
            )
        if lock_holder(layout) != pid:
            raise LocalError("`up` stopped before its web process was replaced")
        time.sleep(0.1)
    raise LocalError(f"`up` did not replace its web process within {timeout:.0f} s")
