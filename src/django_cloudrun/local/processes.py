"""Child processes: each in its own process group, its output in a log file, stopped in full.

Every component runs in a new session, so Ctrl-C in the terminal reaches only `up`, which
then stops them in order. On Linux each child also gets a parent-death signal, so even a
`up` killed with SIGKILL leaves nothing behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LocalError

__all__ = [
    "Proc", "check_port_free", "group_members", "pid_alive", "spawn", "start_time", "tail",
    "working_in",
]  # fmt: skip

PR_SET_PDEATHSIG = 1


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, grace: float) -> None:
        """The stop signal (to the whole group), ``grace`` seconds, then SIGKILL."""
        if self.running():
            self.signal_group(self.stop_signal)
            self.signal_group(signal.SIGCONT)  # a stopped process must run to handle it
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # Members of the group (workers, a dead server's backends) may outlive their leader:
        # none may stay, and they are gone when this returns.
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - the kernel did not reap it
            pass
        deadline = time.monotonic() + 5
        while group_members(self.pid) and time.monotonic() < deadline:
            time.sleep(0.01)


def _death_signal(sig: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_signal() -> None:
        libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return set_signal


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log_path: Path,
    append: bool = False,
    stop_signal: int = signal.SIGTERM,
    **options: Any,
) -> Proc:
    """Start ``argv`` with exactly ``env``, writing stdout and stderr to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab" if append else "wb") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"--- {name} started {stamp}: {' '.join(argv)}\n".encode())
        log.flush()
        popen = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_death_signal(stop_signal),
            **options,
        )
    return Proc(name, popen, log_path, stop_signal)


def group_members(pgid: int) -> list[int]:
    """The living processes of process group ``pgid`` (through /proc; none found without it)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[2] == str(pgid) and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def working_in(directory: Path) -> list[int] | None:
    """The living processes whose working directory is ``directory`` (a PostgreSQL server
    and its backends work in their data directory); None where /proc cannot tell."""
    if not Path("/proc/self/cwd").exists():
        return None
    directory = directory.resolve()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue  # gone, or not ours to read: not working in a directory of ours
        if Path(cwd) == directory and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state != "Z"


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot: with the pid, its identity."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def tail(path: Path, lines: int = 20) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def check_port_free(port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            raise LocalError(
                f"port {port} is already in use: pass --port to choose another"
            ) from None
