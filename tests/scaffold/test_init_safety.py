"""init is safe to run: it refuses a dirty tree, keeps files it did not write, writes
nothing on --dry-run or on error, and fails in one line when the project is not one."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from scaffold_support import SCRIPT, clean_env, cli, commit_all, fresh, git, snapshot

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = fresh(tmp_path / "project")
    commit_all(root)
    return root


def test_dirty_git_tree_is_refused_and_nothing_written(project: Path) -> None:
    settings = project / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + "\nTIME_ZONE = 'Europe/Paris'\n")
    before = snapshot(project)
    result = cli("init", "--yes", cwd=project)
    assert result.returncode == 2
    assert "uncommitted change" in result.stderr and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert snapshot(project) == before


def test_force_runs_on_a_dirty_tree(project: Path) -> None:
    (project / "notes.txt").write_text("work in progress\n")
    result = cli("init", "--yes", "--force", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "Dockerfile").is_file()


def test_existing_file_is_kept_and_its_diff_shown(project: Path) -> None:
    mine = 'FROM python:3.12-slim\nCMD ["python", "manage.py", "runserver"]\n'
    (project / "Dockerfile").write_text(mine)
    commit_all(project)
    result = cli("init", "--yes", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "Dockerfile").read_text() == mine
    assert "--- a/Dockerfile" in result.stdout and "+++ b/Dockerfile" in result.stdout
    assert '-CMD ["python", "manage.py", "runserver"]' in result.stdout
    assert "kept" in result.stdout and "--force replaces it" in result.stdout
    assert (project / "cloudbuild.yaml").is_file()  # everything else was written

    again = cli("init", "--yes", cwd=project)  # still nothing to write, still shown
    assert "Nothing to do" in again.stdout and "--- a/Dockerfile" in again.stdout

    forced = cli("init", "--yes", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert "replaced" in forced.stdout
    assert 'CMD ["python", "manage.py", "cloudrun_serve"]' in (project / "Dockerfile").read_text()


def test_dry_run_shows_diffs_and_writes_nothing(project: Path) -> None:
    (project / "scratch.txt").write_text("dirty, which a dry run does not mind\n")
    before = snapshot(project)
    result = cli("init", "--dry-run", cwd=project)
    assert result.returncode == 0, result.stderr
    assert snapshot(project) == before
    assert "+++ b/Dockerfile" in result.stdout
    assert "+from django_cloudrun.settings import configure; configure(globals())" in result.stdout
    assert "+    'django_cloudrun'," in result.stdout
    assert "Dry run: nothing was written." in result.stdout


def test_a_failed_write_leaves_the_project_as_it_was(project: Path) -> None:
    (project / ".github").write_text("a file where init needs a directory\n")
    commit_all(project)
    before = snapshot(project)
    result = cli("init", "--yes", cwd=project)
    assert result.returncode == 1
    assert "nothing was written" in result.stderr
    assert snapshot(project) == before
    assert not [p for p in project.rglob("*.tmp")]


def test_outside_git_it_writes_without_asking(tmp_path: Path) -> None:
    root = fresh(tmp_path / "plain")
    result = cli("init", cwd=root)  # no --yes: stdin is not a terminal, so no prompt
    assert result.returncode == 0, result.stderr
    assert (root / "cloudrun.toml").is_file()


def test_directory_without_manage_py_fails_in_one_line(tmp_path: Path) -> None:
    fresh(tmp_path / "backend")
    result = cli("init", "--yes", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"init: no manage.py in {tmp_path.resolve()} (found one in backend/: run init there); "
        "run init at the root of a Django project"
    )


def test_bad_project_id_is_a_config_error(project: Path) -> None:
    result = cli("init", "--yes", "--project-id", "Not_A_Project", cwd=project)
    assert result.returncode == 2
    assert result.stderr.startswith("project_id: must be a Google Cloud project id")
    assert "Traceback" not in result.stderr
    assert not (project / "cloudrun.toml").exists()


def test_existing_cloudrun_toml_is_read_not_rewritten(project: Path) -> None:
    mine = 'project_id = "acme-prod-1"\nregion = "europe-west1"\ntenant_deployment_id = "acme"\n'
    (project / "cloudrun.toml").write_text(mine)
    commit_all(project)
    result = cli("init", "--yes", "--region", "asia-east1", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "cloudrun.toml").read_text() == mine
    workflow = (project / ".github/workflows/deploy.yml").read_text()
    image = "europe-west1-docker.pkg.dev/acme-prod-1/acme-django/django"
    assert f"IMAGE: {image}:${{{{ github.sha }}}}" in workflow
    assert "cloudrun.toml exists and is kept" in result.stdout


def test_interactive_run_asks_for_project_and_region(project: Path) -> None:
    """With a terminal and no --yes, init asks what it cannot detect, then confirms."""
    output = _converse(
        project,
        [("project id", "acme-shop-42"), ("region", "europe-west4"), ("Write these", "y")],
    )
    assert "created" in output
    text = (project / "cloudrun.toml").read_text()
    assert 'project_id = "acme-shop-42"' in text and 'region = "europe-west4"' in text
    assert git(project, "status", "--porcelain")  # it wrote


def _converse(cwd: Path, script: list[tuple[str, str]]) -> str:
    """Run init on a terminal, answering each prompt; return everything it showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), "init"],
        cwd=cwd,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=clean_env(),
        close_fds=True,
    )
    os.close(terminal)
    transcript = ""
    try:
        for prompt, answer in script:
            transcript += _read_until(controller, prompt)
            os.write(controller, answer.encode() + b"\r")
        assert process.wait(timeout=60) == 0, transcript
        transcript += _read_until(controller, None)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    return transcript


def _read_until(fd: int, text: str | None, timeout: float = 60) -> str:
    """Output up to `text`, or (None) all that is left once the program has ended."""
    seen, deadline = "", time.monotonic() + timeout
    while text is None or text not in seen:
        assert time.monotonic() < deadline, f"no {text!r} in:\n{seen}"
        if not select.select([fd], [], [], 1 if text else 0.2)[0]:
            if text is None:
                return seen
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed with the program
            return seen
        seen += chunk.decode(errors="replace")
    return seen
