"""What is running: the state file, the lock `up` holds, detaching, and stopping from outside.

`up` holds an exclusive lock on .cloudrun/local/up.lock for as long as it lives (the kernel
releases it if `up` dies), and keeps .cloudrun/local/state.json current: each component,
its pid (with its start time, so a reused pid is never mistaken for it) and its state.
`status`, `down` and `up --detach` read them.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from ..errors import INTERRUPTED_EXIT
from .errors import LocalError
from .layout import Layout
from .postgres import running_pid
from .processes import pid_alive, start_time, tail

__all__ = [
    "UpLock",
    "detach",
    "lock_holder",
    "read_state",
    "stop_running",
    "write_state",
]

STOP_TIMEOUT = 60.0


def write_state(path: Path, state: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state, indent=2))
    os.replace(temporary, path)


def read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


class UpLock:
    """Held by the one `up` of a project; released by the kernel when it exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise already_running() from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def already_running() -> LocalError:
    return LocalError(
        "`django-cloudrun up` is already running for this project: see "
        "`django-cloudrun status`, or stop it with `django-cloudrun down`"
    )


def lock_holder(layout: Layout) -> int | None:
    """The pid of the running `up`, or None."""
    try:
        handle = open(layout.lock)
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _leftovers(state: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for component in state.get("components", {}).values():
        pid = component.get("pid")
        if pid and pid_alive(pid) and start_time(pid) == component.get("start_time"):
            found.append(component)
    return found


def stop_running(layout: Layout) -> str:
    """Stop the running `up` (SIGTERM, as Ctrl-C would) or clean what a crashed one left."""
    pid = lock_holder(layout)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        # The lock is released before the process has exited: wait for both, so that
        # nothing of the stack is left when `down` returns.
        while (lock_holder(layout) or pid_alive(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if lock_holder(layout) or pid_alive(pid):
            raise LocalError(f"`up` (pid {pid}) did not stop within {STOP_TIMEOUT:.0f} s")
        return f"stopped (pid {pid})"
    state = read_state(layout.state) or {}
    leftovers = _leftovers(state)
    for component in reversed(leftovers):
        try:
            os.killpg(component["pid"], component.get("stop_signal", signal.SIGTERM))
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + 30
    while _leftovers(state) and time.monotonic() < deadline:
        time.sleep(0.1)
    for component in _leftovers(state):
        os.killpg(component["pid"], signal.SIGKILL)
    postmaster = running_pid(layout.pgdata)  # a server whose `up` or `run` was killed
    if postmaster is not None:
        os.kill(postmaster, signal.SIGINT)
        leftovers.append({"name": "database"})
    layout.state.unlink(missing_ok=True)
    if leftovers:
        names = ", ".join(component["name"] for component in leftovers)
        return f"not running; stopped what a previous `up` left behind ({names})"
    return "not running"


def detach(
    argv: Sequence[str], layout: Layout, environ: dict[str, str], timeout: float = 600
) -> dict[str, Any]:
    """Start `up` (``argv``, with ``environ``) in the background; wait until it is ready.

    A running `up` is refused before anything of its own (state, log) is touched.
    """
    if lock_holder(layout) is not None:
        raise already_running()
    layout.state.unlink(missing_ok=True)
    log = layout.log("up")
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "django_cloudrun.cli", *argv],
            cwd=layout.project,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environ,
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            state = read_state(layout.state) or {}
            if state.get("pid") == process.pid and state.get("phase") == "ready":
                return state
            if process.poll() is not None:
                raise LocalError(
                    f"`up` exited with code {process.returncode} while starting; see {log}",
                    detail=tail(log),
                )
            time.sleep(0.1)
    except KeyboardInterrupt:
        process.terminate()  # it stops what it started, in order
        process.wait()
        raise LocalError(
            "interrupted: the background `up` was stopped", exit_code=INTERRUPTED_EXIT
        ) from None
    process.terminate()
    process.wait()
    raise LocalError(f"`up` was not ready within {timeout:.0f} s and was stopped; see {log}")
