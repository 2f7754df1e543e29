"""The README's "Install and run" block, run as written from a clone's root."""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest
import requests

from django_cloudrun.local import postgres
from pg import REPO
from served import free_port
from test_local_postgres_fetch import HIDE_AND_EMPTY_SHARED
from test_local_postgres_wheel import as_root
from upstack import COPY_IGNORED, EXAMPLE, Up, cli, cli_env, leftovers

pytestmark = pytest.mark.slow


def install_and_run() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Install and run", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the Install and run section has no sh block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).strip().splitlines()]


def test_install_line_names_extras_that_exist():
    install, _run = install_and_run()
    extras = re.fullmatch(r"pip install -e '\.\[([a-z,]+)\]'", install)
    assert extras is not None, install
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert set(extras.group(1).split(",")) <= set(declared["optional-dependencies"])


def run_readme_block(wrapper: Sequence[str] = (), env: dict[str, str] | None = None) -> str:
    """The run line from a clone in a 0700 directory (root's mktemp -d, anything under /root),
    until the example is ready and serves; then SIGTERM stops it cleanly."""
    _install, run = install_and_run()
    argv = shlex.split(run)
    assert argv[:2] == ["django-cloudrun", "up"]
    clone = Path(tempfile.mkdtemp(prefix="dcr-clone-"))
    assert clone.stat().st_mode & 0o777 == 0o700
    shutil.copytree(EXAMPLE, clone / "example", ignore=COPY_IGNORED)
    up = Up(clone / "example", free_port(), *argv[2:], cwd=clone)
    try:
        up.start(wrapper, env)
        up.wait_until(lambda state: state.get("phase") == "ready", timeout=600)
        assert requests.get(f"{up.url}health/", timeout=5).status_code == 200
        assert requests.get(up.url, timeout=5).status_code == 200
        _seconds, left = up.stop(timeout=30)
        assert up.process is not None and up.process.returncode == 0, up.output()
        assert not left
        return up.output()
    finally:
        up.kill()
        cli(clone / "example", "local", "reset", "--yes")
        shutil.rmtree(clone, ignore_errors=True)
        assert not leftovers(clone)


def test_run_line_reaches_a_ready_example_from_a_private_directory():
    run_readme_block()


@as_root
def test_run_line_reaches_a_ready_example_on_a_machine_without_postgresql(pip_cache):
    """The system's PostgreSQL hidden, root's shared binaries emptied: up gets its own."""
    empty = tempfile.mkdtemp(prefix="dcr-empty-")
    shared = tempfile.mkdtemp(prefix="dcr-shared-")  # plays /var/lib/django-cloudrun
    postgres.SHARED_BASE.mkdir(mode=0o711, parents=True, exist_ok=True)  # the mount point
    wrapper = ["unshare", "--mount", "--", "sh", "-c", HIDE_AND_EMPTY_SHARED, empty, shared,
               str(postgres.SHARED_BASE)]  # fmt: skip
    try:
        output = run_readme_block(wrapper, {**cli_env(), **pip_cache})
        assert "PostgreSQL 15 server binaries ready in /var/lib/django-cloudrun/" in output
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(empty, ignore_errors=True)
