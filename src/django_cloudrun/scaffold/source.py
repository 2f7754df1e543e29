"""Where the django-cloudrun that init adds to a project comes from.

Installed from the package index, the project asks the index for the same version. Installed
from a clone, a local wheel or a VCS URL (pip records that in the distribution's
direct_url.json, PEP 610), the index may not have that version at all: init then puts a
wheel of the installed package into the project (vendor/), which the dependency file names by
relative path, the image copies before installing, and the GitHub workflow installs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from .. import __version__
from .errors import ScaffoldError

__all__ = [
    "DISTRIBUTION",
    "INDEX",
    "VENDOR",
    "Source",
    "dependency_source",
    "installed_from_index",
]

DISTRIBUTION = "django-cloudrun"
VENDOR = "vendor"
Choice = Literal["auto", "index", "wheel"]


@dataclass(frozen=True)
class Source:
    """The index (wheel is None) or a wheel inside the project, by relative POSIX path."""

    wheel: str | None = None
    data: bytes | None = None  # the wheel's bytes when init has to write it

    @property
    def vendored(self) -> bool:
        return self.wheel is not None


INDEX = Source()  # django-cloudrun from the package index


def _direct_url() -> dict[str, object] | None:
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    text = distribution.read_text("direct_url.json")
    if not text:
        return _source_tree(distribution)
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _source_tree(distribution: metadata.Distribution) -> dict[str, object] | None:
    """A checkout's own metadata (src/django_cloudrun.egg-info, which setuptools writes for an
    editable install) found first on sys.path: the package runs from that clone."""
    found = distribution.locate_file("")
    info = Path(str(found)) / f"{DISTRIBUTION.replace('-', '_')}.egg-info"
    root = info.parent.parent
    if info.is_dir() and (root / "pyproject.toml").is_file():
        return {"url": root.resolve().as_uri(), "dir_info": {}}
    return None


def installed_from_index() -> bool:
    """Whether this django-cloudrun came from a package index (no direct_url.json)."""
    return _direct_url() is None


def dependency_source(root: Path, choice: Choice = "auto") -> Source:
    """The index, or a wheel of the installed package under vendor/ (built when missing)."""
    if choice == "index" or (choice == "auto" and installed_from_index()):
        return INDEX
    existing = sorted((root / VENDOR).glob(f"django_cloudrun-{__version__}-*.whl"))
    if existing:  # already vendored: a rebuild would differ only in its timestamps
        return Source(existing[-1].relative_to(root).as_posix())
    wheel = _wheel()
    try:
        return Source(f"{VENDOR}/{wheel.name}", wheel.read_bytes())
    finally:
        if wheel.parent.name.startswith(_BUILT):
            shutil.rmtree(wheel.parent, ignore_errors=True)


_BUILT = "django-cloudrun-wheel-"


def _wheel() -> Path:
    """A wheel of the installed django-cloudrun: the one it was installed from, or built from
    its source directory or VCS URL with `pip wheel --no-deps`."""
    direct = _direct_url() or {}
    url = str(direct.get("url", ""))
    parsed = urlparse(url)
    local = Path(unquote(parsed.path)) if parsed.scheme == "file" else None
    if local is not None and local.is_file() and local.suffix == ".whl":
        return local
    if local is not None and not local.is_dir():
        raise ScaffoldError(
            f"django-cloudrun was installed from {url}, which is gone: reinstall it, or pass "
            "--dependency index to ask the package index for it"
        )
    vcs = direct.get("vcs_info")
    target = str(local) if local is not None else url
    if isinstance(vcs, dict) and "commit_id" in vcs and local is None:
        target = f"{vcs.get('vcs', 'git')}+{url}@{vcs['commit_id']}"
    out = Path(tempfile.mkdtemp(prefix=_BUILT))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), target],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    wheels = sorted(out.glob("django_cloudrun-*.whl"))
    if result.returncode != 0 or not wheels:
        shutil.rmtree(out, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["no wheel was made"])[-1]
        raise ScaffoldError(
            f"cannot build a wheel of django-cloudrun from {target} ({last}): pass "
            "--dependency index to ask the package index for it instead"
        )
    return wheels[-1]
