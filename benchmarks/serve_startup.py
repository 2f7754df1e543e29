"""Time from starting the server to the first 200 on /health/, for the example project.

Compares ``manage.py cloudrun_serve`` with a baseline in the same run: plain gunicorn
serving the example's WSGI application with its defaults. Both answer the same startup probe,
against a database set up once by db-init and migrate.

    python benchmarks/serve_startup.py [--runs 5]

Needs the PostgreSQL server the tests use (socket in /var/run/postgresql, trust auth).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import requests

from pg import EXAMPLE, manage, scratch
from served import free_port, production_env


def first_200(command: list[str], env: dict[str, str]) -> float:
    import subprocess

    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [arg.replace("{port}", str(port)) for arg in command],
        env={**env, "PORT": str(port)},
        cwd=EXAMPLE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - started < 60:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health/", timeout=5).status_code == 200:
                    return time.monotonic() - started
            except requests.ConnectionError:
                pass
            time.sleep(0.01)
        raise SystemExit(f"{command[2]} never answered 200 on /health/")
    finally:
        process.terminate()
        process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    contenders = {
        "cloudrun_serve": [sys.executable, str(EXAMPLE / "manage.py"), "cloudrun_serve"],
        "gunicorn (baseline)": [
            sys.executable,
            "-m",
            "gunicorn",
            "mysite.wsgi:application",
            "--bind",
            "127.0.0.1:{port}",
        ],
    }
    with scratch() as space:
        env = production_env(space.env(), WEB_CONCURRENCY="1")
        for job in ("cloudrun_db_init", "cloudrun_migrate"):
            result = manage([job, "--verbosity", "0"], env)
            if result.returncode:
                raise SystemExit(result.stderr)
        print(f"seconds from start to the first 200 on /health/ ({runs} runs, 1 worker)")
        for name, command in contenders.items():
            times = [first_200(command, env) for _ in range(runs)]
            print(
                f"  {name:22} median {statistics.median(times):.3f}  "
                f"min {min(times):.3f}  max {max(times):.3f}"
            )


if __name__ == "__main__":
    main()
