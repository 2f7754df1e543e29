"""The image's install steps work: the Dockerfile's build stage, run on this machine.

Each test makes a project, runs init, then executes the generated Dockerfile's build-stage
instructions (ENV, WORKDIR, COPY of only the files it names, RUN) with a fresh virtual
environment standing for the image's Python, and then the runtime stage's RUN that compiles
the code and collects the static files. django-cloudrun comes from a wheel of this checkout;
everything else from the package index, as in a real build.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from django_cloudrun.scaffold.managers import PIPENV_VERSION, UV_VERSION
from scaffold_support import (
    HERE,
    cli,
    commit_all,
    fresh,
    pipenv,
    run,
    run_stage,
    uv_project,
)

pytestmark = pytest.mark.slow


def image_python(path: Path) -> Path:
    """A virtual environment of this interpreter, standing for python:X.Y-slim's Python."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    return path


def build(project: Path, work: Path, base: Path, **env: str) -> Path:
    dockerfile = (project / "Dockerfile").read_text()
    assert re.search(rf"^FROM python:{HERE}-slim AS build$", dockerfile, re.M)
    run_stage(dockerfile, "build", source=project, image_python=base, work=work, **env)
    venv = work / "venv"
    imported = run(
        [str(venv / "bin/python"), "-c", "import django, django_cloudrun, gunicorn"], work
    )
    assert imported.returncode == 0, imported.stderr
    # Only what the build stage copied was there: the install needed nothing else.
    copied = {p.name for p in (work / "app").iterdir()}
    assert "manage.py" not in copied, copied
    return venv


def runtime(project: Path, work: Path, base: Path) -> Path:
    """The runtime stage's RUN: compile the code, collect static files as the image does."""
    dockerfile = (project / "Dockerfile").read_text()
    run_stage(dockerfile, "runtime", source=project, image_python=base, work=work)
    return work / "app"


@pytest.fixture(scope="module")
def uv_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The image's Python with uv installed, as the Dockerfile's first RUN does."""
    base = image_python(tmp_path_factory.mktemp("uv-python") / "python")
    result = run([str(base / "bin/pip"), "install", "--quiet", f"uv=={UV_VERSION}"], base)
    assert result.returncode == 0, result.stderr
    return base


def test_requirements_project_installs_and_collects_static(tmp_path: Path, wheelhouse: Path):
    project = fresh(tmp_path / "project")
    commit_all(project)
    assert cli("init", "--yes", cwd=project).returncode == 0
    base = image_python(tmp_path / "python")
    work = tmp_path / "image"
    build(project, work, base, PIP_FIND_LINKS=str(wheelhouse))

    app = runtime(project, work, base)
    static = app / "staticfiles"
    manifest = json.loads((static / "staticfiles.json").read_text())
    assert "admin/css/base.css" in manifest["paths"]
    assert (static / manifest["paths"]["admin/css/base.css"]).is_file()
    assert list((app / "mysite" / "__pycache__").glob("settings.*.pyc"))


def test_uv_project_installs_from_its_lock(tmp_path: Path, wheelhouse: Path, uv_tool: Path):
    project = uv_project(tmp_path / "project")
    uv = str(uv_tool / "bin/uv")
    (project / "uv.lock").unlink()  # the shape's stand-in; this test needs the real one
    assert run([uv, "lock", "--quiet"], project).returncode == 0
    commit_all(project)
    result = cli("init", "--yes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "uv lock" in result.stdout  # the next step init names

    work = tmp_path / "image"
    stale = run_stage_error(project, work, uv_tool, wheelhouse)
    # uv's own refusal, not just any failed step (the step's command line names --locked).
    assert "needs to be updated" in stale.lower()

    locked = run([uv, "lock", "--quiet"], project, UV_FIND_LINKS=str(wheelhouse))
    assert locked.returncode == 0, locked.stderr
    build(project, tmp_path / "image2", uv_tool, UV_FIND_LINKS=str(wheelhouse))


def test_pipenv_project_installs_from_its_lock(tmp_path: Path, wheelhouse: Path):
    project = pipenv(tmp_path / "project")
    pipfile = project / "Pipfile"
    pipfile.write_text(pipfile.read_text().replace('"3.13"', f'"{HERE}"'))
    base = image_python(tmp_path / "python")  # with pipenv, as the Dockerfile's first RUN does
    tool = run([str(base / "bin/pip"), "install", "--quiet", f"pipenv=={PIPENV_VERSION}"], base)
    assert tool.returncode == 0, tool.stderr
    result = cli("init", "--yes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "pipenv lock" in result.stdout
    locked = run(
        [str(base / "bin/pipenv"), "lock"],
        project,
        PIP_FIND_LINKS=str(wheelhouse),
        PIPENV_VENV_IN_PROJECT="1",
    )  # its scratch environment stays in tmp_path
    assert locked.returncode == 0, locked.stderr
    build(project, tmp_path / "image", base, PIP_FIND_LINKS=str(wheelhouse))


def run_stage_error(project: Path, work: Path, base: Path, wheelhouse: Path) -> str:
    """Before `uv lock`, the build fails instead of installing a lock without django-cloudrun."""
    with pytest.raises(AssertionError) as failed:
        build(project, work, base, UV_FIND_LINKS=str(wheelhouse))
    return str(failed.value)
