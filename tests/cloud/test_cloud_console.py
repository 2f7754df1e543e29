"""The console script with the REAL clients, on a machine that lacks what deploy needs.

No network is needed: shutil.which("pulumi") and google.auth.default() fail locally.
GOOGLE_APPLICATION_CREDENTIALS points at a missing file (google-auth stops there) and
NO_GCE_CHECK keeps it from asking a metadata server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("django-cloudrun")
PROJECT = "shop-prod-1"
PULUMI_MISSING = (
    "error: Pulumi CLI not found on PATH; run `curl -fsSL https://get.pulumi.com | sh`\n"
)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, object]:
    """A project directory and an environment with no Pulumi CLI and no credentials."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "cloudrun.toml").write_text(f'project_id = "{PROJECT}"\n')
    (project / "Dockerfile").write_text("FROM python:3.12-slim\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_", "PULUMI_"))
    }
    env = {
        **keep,
        "PATH": str(bin_dir),  # the script's shebang is absolute: nothing else is needed
        "HOME": str(tmp_path / "home"),
        "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "nowhere.json"),
        "NO_GCE_CHECK": "true",
        "PULUMI_CONFIG_PASSPHRASE": "not used",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    return {"project": project, "bin": bin_dir, "env": env, "tmp": tmp_path}


def run(machine: dict[str, object], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=machine["project"],
        env=machine["env"],  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_pulumi_on_path(machine: dict[str, object]) -> None:
    """An executable named pulumi: preflight only looks it up, it never runs it."""
    path = Path(str(machine["bin"])) / "pulumi"
    path.write_text("#!/bin/sh\nexit 99\n")
    path.chmod(0o755)


def test_deploy_without_the_pulumi_cli_fails_in_one_line_exit_2(machine):
    result = run(machine, "deploy")
    assert (result.returncode, result.stdout, result.stderr) == (2, "", PULUMI_MISSING)


def test_deploy_without_credentials_fails_in_one_line_naming_them_exit_2(machine):
    fake_pulumi_on_path(machine)
    result = run(machine, "deploy")
    missing = Path(str(machine["tmp"])) / "nowhere.json"
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: no Google Cloud credentials (Application Default Credentials): File {missing} "
        "was not found; run `gcloud auth application-default login`\n"
    )


@pytest.mark.slow
def test_doctor_with_the_real_probe_lists_both_problems_and_skips_the_rest(machine):
    result = run(machine, "doctor")
    assert result.returncode == 2
    rows = [" ".join(row.split()) for row in result.stdout.splitlines()]
    assert rows[0] == f"demo-django in {PROJECT} (us-central1)"
    assert rows[1:4] == [
        "✗ Pulumi CLI Pulumi CLI not found on PATH",
        "fix: curl -fsSL https://get.pulumi.com | sh",
        rows[3],
    ]
    assert rows[3].startswith("✗ Google credentials no Google Cloud credentials")
    assert "fix: gcloud auth application-default login" in rows
    assert "✓ Secrets provider passphrase (PULUMI_CONFIG_PASSPHRASE)" in rows
    assert "- Project not checked: needs Google credentials" in rows


def test_status_cloud_without_credentials_fails_in_one_line(machine):
    result = run(machine, "status", "--cloud")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: no Google Cloud credentials (Application Default Credentials): "
    )
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.slow
def test_plan_validate_and_the_cli_never_load_the_cloud_client_libraries(machine):
    script = """
import json, sys
from typer.testing import CliRunner
from django_cloudrun.cli import app
runner = CliRunner()
for args in (["validate"], ["plan", "--json"], ["status"], ["deploy", "--help"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (args, result.output)
heavy = ("google.cloud.run_v2", "google.cloud.devtools", "google.cloud.logging",
         "google.cloud.service_usage_v1", "google.cloud.billing_v1",
         "google.cloud.resourcemanager_v3")  # (import pulumi loads pulumi.automation itself)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=machine["project"],
        env=machine["env"],  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
