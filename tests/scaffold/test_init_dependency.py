"""The dependency init adds resolves wherever django-cloudrun came from: from a clone (this
checkout is an editable install, so `--dependency auto` vendors a wheel) it is a wheel in
vendor/ that pip, uv, Pipenv, Poetry, the image build and the workflow all find."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from django_cloudrun import __version__
from django_cloudrun.scaffold.source import installed_from_index
from scaffold_support import (
    cli,
    commit_all,
    fresh,
    pipenv,
    poetry,
    run,
    run_stage,
    uv_project,
)

WHEEL = f"vendor/django_cloudrun-{__version__}-py3-none-any.whl"


@pytest.fixture(scope="module", autouse=True)
def _installed_from_a_clone() -> None:
    if installed_from_index():
        pytest.skip("django-cloudrun is installed from the index here: nothing to vendor")


def init(root: Path, choice: str = "auto") -> str:
    commit_all(root)
    result = cli("init", "--yes", cwd=root, DJANGO_CLOUDRUN_DEPENDENCY=choice)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def test_requirements_name_the_vendored_wheel_and_the_image_installs_it(tmp_path):
    root = fresh(tmp_path / "project")
    output = init(root)
    assert (root / WHEEL).is_file() and WHEEL in output
    assert (root / "requirements.txt").read_text().splitlines()[-1] == f"./{WHEEL}"
    dockerfile = (root / "Dockerfile").read_text()
    assert f"COPY {WHEEL} vendor/\n" in dockerfile
    workflow = (root / ".github/workflows/deploy.yml").read_text()
    assert f'python -m pip install --quiet "./{WHEEL}[deploy]"' in workflow
    # The image's build stage: pip install -r requirements.txt in a fresh environment.
    base = tmp_path / "python"
    subprocess.run([sys.executable, "-m", "venv", str(base)], check=True, timeout=120)
    run_stage(dockerfile, "build", source=root, image_python=base, work=tmp_path / "image")
    imported = run(
        [str(tmp_path / "image/venv/bin/python"), "-c", "import django_cloudrun"], tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    again = cli("init", "--yes", cwd=root, DJANGO_CLOUDRUN_DEPENDENCY="auto")
    assert "Nothing to do" in again.stdout, again.stdout


def test_a_uv_project_gets_a_path_source_that_uv_lock_resolves(tmp_path):
    uv = Path(sys.executable).parent / "uv"
    if not uv.is_file():
        pytest.skip("uv is not installed: pip install uv")
    root = uv_project(tmp_path / "project")
    init(root)
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert "django-cloudrun" in data["project"]["dependencies"]
    assert data["tool"]["uv"]["sources"]["django-cloudrun"] == {"path": WHEEL}
    (root / "uv.lock").unlink()  # the shape's stand-in: uv makes the real one
    locked = run([str(uv), "lock"], root)
    assert locked.returncode == 0, locked.stderr
    assert f'source = {{ path = "{WHEEL}" }}' in (root / "uv.lock").read_text()


def test_pipenv_and_poetry_name_the_wheel_by_path(tmp_path):
    pip_root = pipenv(tmp_path / "pipenv")
    init(pip_root)
    packages = tomllib.loads((pip_root / "Pipfile").read_text())["packages"]
    assert packages["django-cloudrun"] == {"path": f"./{WHEEL}"}
    poetry_root = poetry(tmp_path / "poetry")
    init(poetry_root)
    dependencies = tomllib.loads((poetry_root / "pyproject.toml").read_text())["tool"]["poetry"]
    assert dependencies["dependencies"]["django-cloudrun"] == {"path": WHEEL}


def test_dependency_index_asks_the_index_for_this_version(tmp_path):
    root = fresh(tmp_path / "project")
    init(root, "index")
    assert not (root / "vendor").exists()
    assert (root / "requirements.txt").read_text().splitlines()[-1] == (
        f"django-cloudrun>={__version__}"
    )


def test_a_project_that_lists_django_cloudrun_already_gets_no_wheel(tmp_path):
    root = fresh(tmp_path / "project")
    (root / "requirements.txt").write_text("Django>=5.2,<5.3\ndjango-cloudrun==0.1.0\n")
    init(root)
    assert not (root / "vendor").exists()
    assert "vendor/" not in (root / "Dockerfile").read_text()
