"""`django-cloudrun init --yes` on every project shape, then what a user checks next:
validate, plan, manage.py check, the linters, and a second init that has nothing to do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from django_cloudrun.scaffold.ci import WORKFLOW_ACTIONS
from scaffold_support import HERE, SHAPES, cli, commit_all, run, snapshot

pytestmark = pytest.mark.slow

GENERATED = (
    "cloudrun.toml",
    "Dockerfile",
    ".dockerignore",
    "cloudbuild.yaml",
    ".github/workflows/deploy.yml",
)
# The Python each shape declares (the fresh project declares none: the running one is used).
PYTHON = {
    "fresh": HERE,
    "settings-package": "3.12",
    "poetry": "3.13",
    "uv": "3.11",
    "pipenv": "3.13",
}
DEPENDENCY_FILE = {
    "fresh": "requirements.txt",
    "settings-package": "requirements/production.txt",
    "poetry": "pyproject.toml",
    "uv": "pyproject.toml",
    "pipenv": "Pipfile",
}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each shape, committed to git, after one `init --yes`: (root, init's output)."""
    made = {}
    for name, build in SHAPES.items():
        root = build(tmp_path_factory.mktemp(name))
        commit_all(root)
        extra = ["--project-id", "acme-shop-prod"] if name != "fresh" else []
        result = cli("init", "--yes", *extra, cwd=root)
        assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"
        made[name] = (root, result.stdout)
    return made


@pytest.fixture(params=list(SHAPES))
def project(request: pytest.FixtureRequest, projects: dict[str, tuple[Path, str]]) -> Path:
    return projects[request.param][0]


def shape_of(project: Path, projects: dict[str, tuple[Path, str]]) -> str:
    return next(name for name, (root, _) in projects.items() if root == project)


def test_init_writes_every_file_and_says_what_next(project: Path, projects) -> None:
    output = projects[shape_of(project, projects)][1]
    for name in GENERATED:
        assert (project / name).is_file(), name
        assert name in output
    assert "Next:" in output and "django-cloudrun deploy" in output


def test_validate_accepts_the_written_cloudrun_toml(project: Path) -> None:
    result = cli("validate", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "cloudrun.toml is valid" in result.stdout


def test_plan_succeeds_offline(project: Path) -> None:
    result = cli("plan", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["resources"]


def test_settings_still_load_with_the_app_and_configure(project: Path) -> None:
    result = run([sys.executable, "manage.py", "check"], project)
    assert result.returncode == 0, result.stderr
    listed = run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.INSTALLED_APPS[-1])",
        ],
        project,
    )
    assert listed.stdout.splitlines()[-1] == "django_cloudrun", listed.stderr


def test_settings_package_gets_the_app_in_base_and_configure_in_production(projects) -> None:
    root = projects["settings-package"][0]
    base = (root / "mysite/settings/base.py").read_text()
    production = (root / "mysite/settings/production.py").read_text()
    assert "'django_cloudrun',\n]" in base and "configure(globals())" not in base
    assert production.rstrip().endswith("configure(globals())  # noqa: E402, E702")
    dockerfile = (root / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=mysite.settings.production" in dockerfile
    assert "COPY requirements/base.txt requirements/production.txt requirements/" in dockerfile


def test_dependency_file_asks_for_django_cloudrun(project: Path, projects) -> None:
    name = DEPENDENCY_FILE[shape_of(project, projects)]
    assert re.search(r"^\s*\"?django-cloudrun\b.*0\.1\.0", (project / name).read_text(), re.M)


def test_dockerfile_uses_the_projects_python(project: Path, projects) -> None:
    python = PYTHON[shape_of(project, projects)]
    froms = re.findall(r"^FROM (\S+)", (project / "Dockerfile").read_text(), re.M)
    assert froms == [f"python:{python}-slim", f"python:{python}-slim"]


def test_hadolint_finds_nothing(project: Path, hadolint: str) -> None:
    result = run(
        [hadolint, "--format", "json", "--failure-threshold", "style", "Dockerfile"], project
    )
    assert json.loads(result.stdout or "[]") == [], result.stdout
    assert result.returncode == 0


def test_checkov_passes_every_dockerfile_and_workflow(projects, checkov: str) -> None:
    files = []
    for root, _ in projects.values():
        files += ["-f", str(root / "Dockerfile"), "-f", str(root / ".github/workflows/deploy.yml")]
    result = subprocess.run(
        [checkov, "--skip-download", "--quiet", "--compact", "--output", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert {report["check_type"] for report in reports} == {"dockerfile", "github_actions"}
    for report in reports:
        assert report["summary"]["failed"] == 0, report["results"]["failed_checks"]
        assert report["summary"]["parsing_errors"] == 0
        assert report["summary"]["passed"] > 10
    assert result.returncode == 0, result.stderr


def test_ci_files_parse_and_only_the_workflow_deploys(project: Path) -> None:
    build = yaml.safe_load((project / "cloudbuild.yaml").read_text())
    # The trigger's account may push images only: it builds and pushes, never deploys.
    assert [step["id"] for step in build["steps"]] == ["build", "push"]
    image = "${_IMAGE}:$COMMIT_SHA"
    assert build["steps"][1]["args"] == ["push", image]
    assert build["images"] == [image]

    flow = yaml.safe_load((project / ".github/workflows/deploy.yml").read_text())
    assert flow["permissions"] == {"contents": "read", "id-token": "write"}
    steps = flow["jobs"]["deploy"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert uses == [action.split(" #")[0] for action in WORKFLOW_ACTIONS.values()]
    assert all(re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", use) for use in uses)
    auth = next(step for step in steps if step.get("id") == "auth")["with"]
    assert "workload_identity_provider" in auth and "credentials_json" not in auth
    assert 'django-cloudrun deploy --image "$IMAGE"' in steps[-1]["run"]


def test_ci_files_push_where_the_iac_expects(tmp_path: Path) -> None:
    """The Cloud Build trigger the IaC creates feeds cloudbuild.yaml exactly its substitutions,
    and both CI files push to the repository the IaC creates and lets them write to."""
    root = SHAPES["fresh"](tmp_path / "project")
    (root / "cloudrun.toml").write_text(
        'project_id = "acme-prod-1"\nregion = "europe-west1"\napp_name = "web"\n'
        '[build]\ngithub_repository = "acme/shop"\nbranch_pattern = "^release$"\n'
    )
    assert cli("init", "--yes", cwd=root).returncode == 0
    planned = cli("plan", "--json", cwd=root)
    assert planned.returncode == 0, planned.stderr
    trigger = next(
        r["inputs"]
        for r in json.loads(planned.stdout)["resources"]
        if r["type"] == "gcp:cloudbuild/trigger:Trigger"
    )
    build = yaml.safe_load((root / trigger["filename"]).read_text())
    assert set(build["substitutions"]) == set(trigger["substitutions"])
    defaults = build["substitutions"]["_IMAGE"]
    for name, value in {**trigger["substitutions"], "PROJECT_ID": "acme-prod-1"}.items():
        defaults = defaults.replace(f"${{{name}}}", value)
    assert defaults == trigger["substitutions"]["_IMAGE"]
    flow = yaml.safe_load((root / ".github/workflows/deploy.yml").read_text())
    assert flow["env"]["IMAGE"] == trigger["substitutions"]["_IMAGE"] + ":${{ github.sha }}"
    assert flow[True]["push"]["branches"] == ["release"]  # YAML 1.1 reads `on` as true
    assert trigger["github"]["push"]["branch"] == "^release$"


def test_image_holds_no_secret(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    assert not re.search(r"^(ARG|ENV)\b.*SECRET", dockerfile, re.M)
    ignored = (project / ".dockerignore").read_text().splitlines()
    assert {".env", ".env.*", "*.pem", ".cloudrun", "*.sqlite3", ".git"} <= set(ignored)


def test_second_init_has_nothing_to_do(project: Path) -> None:
    before = snapshot(project)
    result = cli("init", "--yes", cwd=project)  # the tree is dirty now: init's own changes
    assert result.returncode == 0, result.stderr
    assert "Nothing to do" in result.stdout
    assert snapshot(project) == before


def test_the_image_runs_as_the_user_gcs_fuse_maps_files_to(project: Path) -> None:
    from django_cloudrun.contract import CONTAINER_GID, CONTAINER_UID

    dockerfile = (project / "Dockerfile").read_text()
    assert f"--uid {CONTAINER_UID} --gid {CONTAINER_GID}" in " ".join(dockerfile.split())
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users[-1] in ("django", str(CONTAINER_UID), f"{CONTAINER_UID}:{CONTAINER_GID}")
