"""Size of the runtime-only install (what goes into the container), against Django alone.

    python benchmarks/install_size.py

Creates two throw-away virtual environments: one with ``pip install .`` (no extras), one with
the same Django release only, and prints the size of each one's site-packages.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def site_packages_size(requirements: list[str]) -> tuple[int, list[str]]:
    with tempfile.TemporaryDirectory() as directory:
        venv.create(directory, with_pip=True)
        python = Path(directory) / "bin" / "python"
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--no-compile", *requirements], check=True
        )
        site = next(Path(directory).glob("lib/python*/site-packages"))
        installed = subprocess.run(
            [python, "-m", "pip", "list", "--format=freeze", "--exclude", "pip"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        size = sum(
            f.stat().st_size for f in site.rglob("*") if f.is_file() and f.parts[-2:][0] != "pip"
        )
        pip_size = sum(f.stat().st_size for f in (site / "pip").rglob("*") if f.is_file())
        return size - pip_size, installed


def main() -> None:
    runtime, packages = site_packages_size([str(REPO)])
    django = next(p for p in packages if p.lower().startswith("django=="))
    baseline, _ = site_packages_size([django])
    mib = 1024 * 1024
    print(f"runtime-only install: {runtime / mib:.1f} MiB, {len(packages)} packages")
    print(f"{django} alone (baseline): {baseline / mib:.1f} MiB")
    print(f"added by django-cloudrun's runtime: {(runtime - baseline) / mib:.1f} MiB")
    print(
        "forbidden deploy-time packages present:",
        [
            p
            for p in packages
            if p.split("==")[0].lower() in {"pulumi", "typer", "rich", "pydantic"}
        ],
    )


if __name__ == "__main__":
    sys.exit(main())
