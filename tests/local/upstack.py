"""A real `django-cloudrun up` of a copy of the example project, for the local target's tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django_cloudrun.config import CloudRunConfig
from django_cloudrun.config.topology import Placement, plain_environment, secret_environment
from pg import EXAMPLE
from served import alive, descendants

COPY_IGNORED = shutil.ignore_patterns(".cloudrun", "staticfiles", "media", "__pycache__")


def copy_example(toml_extra: str = "") -> Path:
    """The example project in a fresh directory that PostgreSQL's account can enter.

    pytest's tmp_path lives under a 0700 directory of root's, which the unprivileged account
    that runs PostgreSQL (when the tests run as root) could not enter.
    """
    base = Path(tempfile.mkdtemp(prefix="dcr-"))
    base.chmod(0o755)
    project = base / "example"
    shutil.copytree(EXAMPLE, project, ignore=COPY_IGNORED)
    if toml_extra:
        with open(project / "cloudrun.toml", "a") as handle:
            handle.write("\n" + toml_extra)
    return project


def remove_copy(project: Path) -> None:
    """Stop what runs, remove the local state (the socket directory in /tmp too), the copy."""
    for args in (("down",), ("local", "reset", "--yes")):
        subprocess.run(cli_argv(*args), cwd=project, env=cli_env(), capture_output=True, timeout=90)
    shutil.rmtree(project.parent, ignore_errors=True)


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "django_cloudrun.cli", *args]


def cli_env() -> dict[str, str]:
    # pytest-django's settings module is the tests', not the project's.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


def cli(project: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_argv(*args), cwd=project, env=cli_env(), capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=timeout,
    )  # fmt: skip


def leftovers(project: Path) -> list[str]:
    """Processes still working for ``project``: their cwd or command line names it."""
    found = []
    marker = str(project)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if (marker in cmdline or cwd.startswith(marker)) and alive(int(entry.name)):
            found.append(f"{entry.name}: {cmdline}")
    return found


class Up:
    def __init__(self, project: Path, port: int, *options: str, cwd: Path | None = None) -> None:
        self.project, self.port, self.options = project, port, options
        self.cwd = cwd or project  # where the command runs: --config may name the project
        self.log_path = project.parent / "up-output.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/"

    def start(self, wrapper: Sequence[str] = (), env: dict[str, str] | None = None) -> Up:
        """`up` in the background; ``wrapper`` (such as unshare) runs it, ``env`` replaces ours."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*wrapper, *cli_argv("up", "--port", str(self.port), *self.options)],
                cwd=self.cwd, env=env or cli_env(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def state(self) -> dict[str, Any]:
        try:
            return json.loads((self.project / ".cloudrun/local/state.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait_until(self, predicate, timeout: float = 120, what: str = "ready") -> float:
        assert self.process is not None
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate(self.state()):
                return time.monotonic() - start
            if self.process.poll() is not None:
                raise AssertionError(f"up exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"up not {what} after {timeout} s:\n{self.output()}")

    def wait_ready(self, timeout: float = 120) -> float:
        assert self.process is not None
        pid = self.process.pid
        return self.wait_until(lambda s: s.get("pid") == pid and s.get("phase") == "ready", timeout)

    def component_pid(self, name: str) -> int:
        return int(self.state()["components"][name]["pid"])

    def stop(self, timeout: float = 15) -> tuple[float, set[int]]:
        """SIGTERM; seconds until `up` and every process below it are gone, and any left."""
        assert self.process is not None
        pids = descendants(self.process.pid) | {self.process.pid}
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        while any(alive(pid) for pid in pids) and time.monotonic() - start < timeout:
            time.sleep(0.05)
        return time.monotonic() - start, {pid for pid in pids if alive(pid)}

    def kill(self) -> None:
        if self.process is None:
            return
        for pid in descendants(self.process.pid) | {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)


def service_variable_names(config: CloudRunConfig, placement: Placement) -> frozenset[str]:
    """The names of the variables the service gets, plain and secret."""
    return frozenset(plain_environment(config, placement)) | frozenset(secret_environment(config))
