"""Hostile cloudrun.toml files: each refused by `validate` with exit 2, in one line that names
the key (or the file), quickly and without a traceback, whatever the file holds or is.

Kept apart from the bad-config corpus of tests/test_config.py: these are attacks on the
reader (depth, size, special files), not mistakes in values.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from django_cloudrun.config.errors import LONG
from django_cloudrun.config.source import MAX_DEPTH, MAX_FILE_BYTES

pytestmark = pytest.mark.faults

BUDGET_SECONDS = 2.0
HEADER = 'project_id = "example-project"\n'
LONG_TEXT = "a" * 100_000


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[Path], str]  # writes what it needs under a directory; the --config value
    names: str  # what the one line must name: the key, or the file


def write(text: str, name: str = "cloudrun.toml") -> Callable[[Path], str]:
    def make(directory: Path) -> str:
        (directory / name).write_text(HEADER + text)
        return str(directory / name)

    return make


def fifo(directory: Path) -> str:
    os.mkfifo(directory / "cloudrun.toml")
    return str(directory / "cloudrun.toml")


def unix_socket(directory: Path) -> str:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(directory / "cloudrun.toml"))  # the file stays when the socket closes
    listener.close()
    return str(directory / "cloudrun.toml")


def link_to_dev_zero(directory: Path) -> str:
    (directory / "cloudrun.toml").symlink_to("/dev/zero")
    return str(directory / "cloudrun.toml")


def oversized(directory: Path) -> str:
    path = directory / "cloudrun.toml"
    path.write_text(HEADER + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    return str(path)


def unreadable(directory: Path) -> str:
    path = directory / "cloudrun.toml"
    path.write_text(HEADER)
    path.chmod(0)
    return str(path)


def nested(opening: str, closing: str, levels: int) -> str:
    innermost = "1" if opening.endswith("= ") else ""
    return opening * levels + innermost + closing * levels


CASES = [
    Hostile("3000 nested arrays", write(f"x = {nested('[', ']', 3000)}\n"), "x"),
    Hostile("3000 nested inline tables", write(f"x = {nested('{a = ', '}', 3000)}\n"), "x"),
    Hostile(
        "3000 nested arrays under a table",
        write(f"[database]\nextensions = {nested('[', ']', 3000)}\n"),
        "database.extensions",
    ),
    Hostile(
        "nesting the parser survives but nothing needs",
        write(f"[vpc]\nx = {nested('[{a = ', '}]', 2 * MAX_DEPTH)}\n"),
        "vpc.x",
    ),
    Hostile("/dev/zero", lambda _: "/dev/zero", "/dev/zero"),
    Hostile("a link to /dev/zero", link_to_dev_zero, "cloudrun.toml"),
    Hostile("a FIFO", fifo, "cloudrun.toml"),
    Hostile("a socket", unix_socket, "is a socket"),
    Hostile("an unreadable file", unreadable, "cloudrun.toml"),
    Hostile("a file over the size limit", oversized, f"larger than {MAX_FILE_BYTES // 1024} KiB"),
    Hostile(
        "a duplicate key",
        write("max_instance_count = 3\nmax_instance_count = 4\n"),
        "max_instance_count",
    ),
    Hostile(
        "a duplicate key in a table", write('[database]\ntier = "a"\ntier = "b"\n'), "database.tier"
    ),
    Hostile(
        "a 100,000-character value",
        write(f'max_instance_count = "{LONG_TEXT}"\n'),
        "max_instance_count",
    ),
    Hostile("a 100,000-character key", write(f"{LONG_TEXT} = 1\n"), "a" * 50),
    Hostile(
        "a 100,000-character environment name",
        write(f'[environments.{LONG_TEXT}]\nmax_instance_count = "x"\n'),
        "environments.aaaa",
    ),
    Hostile(
        "a 100,000-character custom domain",
        write(f'custom_domains = ["{LONG_TEXT}"]\n'),
        "custom_domains",
    ),
    Hostile(
        "the largest array the size limit allows",
        write("max_instance_count = [" + "0," * (MAX_FILE_BYTES // 2 - 50) + "]\n"),
        "max_instance_count",
    ),
]


def validate(config: str, wrapper: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    started = time.monotonic()
    result = subprocess.run(
        [*wrapper, sys.executable, "-m", "django_cloudrun.cli", "validate", "--config", config],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env,
        timeout=BUDGET_SECONDS * 5,  # a hang fails the test, it does not stall the suite
    )  # fmt: skip
    return result, time.monotonic() - started


def without_file_permissions(case: Hostile) -> list[str]:
    """How to run the CLI so that a mode-000 file cannot be read: as root, without the
    capabilities that bypass file permissions."""
    if case.make is not unreadable or os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root reads any file, and setpriv is not here to drop that power")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture(scope="module")
def startup_seconds(tmp_path_factory) -> float:
    """What `validate` of a one-line mistake takes here and now: the interpreter's start and
    the imports, which a loaded machine stretches; the budget is for the file beyond that."""
    directory = tmp_path_factory.mktemp("baseline")
    config = write('max_instance_count = "x"\n')(directory)
    return min(validate(config, [])[1] for _ in range(2))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_config_exits_2_in_one_short_line_naming_the_key(tmp_path, case, startup_seconds):
    config, wrapper = case.make(tmp_path), without_file_permissions(case)
    result, seconds = validate(config, wrapper)
    if seconds - startup_seconds >= BUDGET_SECONDS:  # a loaded machine may stall one run
        result, seconds = min(validate(config, wrapper), (result, seconds), key=lambda r: r[1])
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[:2000]
    assert "Traceback" not in output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines[:5]
    assert case.names in lines[0]
    assert len(lines[0]) <= LONG, f"{len(lines[0])} characters"
    assert seconds - startup_seconds < BUDGET_SECONDS, (
        f"{seconds:.2f} s, {startup_seconds:.2f} s to start"
    )
    print(
        f"{case.name}: exit 2 in {seconds:.2f} s ({startup_seconds:.2f} s to start): {lines[0][:120]}"
    )
