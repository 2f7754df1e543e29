"""A real ``cloudrun_serve`` process of the example project, for tests that speak HTTP to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

from pg import EXAMPLE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid``, found through /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path
    workers: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, allow_redirects=False, **kwargs)

    def wait_until(self, path: str, status: int, timeout: float = 30) -> float:
        """Seconds from now until ``path`` answers ``status``."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.get(path).status_code == status:
                    return time.monotonic() - start
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{path} never answered {status}:\n{self.log()}")

    def wait_for_processes(self, count: int, timeout: float = 10) -> set[int]:
        """The server's child processes, once there are ``count`` of them."""
        start = time.monotonic()
        while len(found := descendants(self.process.pid)) < count:
            if time.monotonic() - start > timeout:
                break
            time.sleep(0.05)
        return found

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> float:
        """SIGTERM, then seconds until the server and all its workers are gone."""
        self.workers |= descendants(self.process.pid)
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        while any(alive(pid) for pid in self.workers) and time.monotonic() - start < timeout:
            time.sleep(0.05)
        return time.monotonic() - start


def start_server(env: Mapping[str, str]) -> Server:
    port = free_port()
    log_file = tempfile.NamedTemporaryFile(prefix="cloudrun-serve-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "manage.py"), "cloudrun_serve"],
        env={**env, "PORT": str(port)},
        cwd=EXAMPLE,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return Server(process, port, Path(log_file.name))


def production_env(env: Mapping[str, str], **extra: str) -> dict[str, str]:
    return {
        **env,
        "K_SERVICE": "demo-django",
        "K_REVISION": "demo-django-00001-abc",
        "SECRET_KEY": "production-secret-key-" + "x" * 40,
        "CLOUDRUN_SERVICE_URLS": "https://demo-django-123456.us-central1.run.app",
        "CLOUDRUN_STATIC_COLLECTED": "1",
        "WEB_CONCURRENCY": "2",
        "GOOGLE_CLOUD_PROJECT": "demo-project",
        **extra,
    }


def cleanup(server: Server) -> None:
    if server.process.poll() is None:
        server.process.kill()
    for pid in descendants(server.process.pid) | server.workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.log_path.unlink(missing_ok=True)
