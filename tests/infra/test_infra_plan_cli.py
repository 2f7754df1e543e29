"""`django-cloudrun plan` as a user runs it: a real process, on the example project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_cloudrun.cloud.events import short_type
from django_cloudrun.config.budget import BudgetError, connection_budget
from infra_support import EXAMPLE

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("django-cloudrun")
# The command as users run it: plan's options, and exit codes from the CLI's one error handler.
COMMAND = ["-m", "django_cloudrun.cli", "plan"]


def run_plan(
    *args: str, cwd: Path = EXAMPLE, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *COMMAND, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns)},
    )


def by_type(data, suffix):
    return [r for r in data["resources"] if r["type"].endswith(suffix)]


def test_plan_json_on_the_example_lists_the_whole_deployment():
    result = run_plan("--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["inputs"]["name"] for r in by_type(data, "service:Service")] == ["example-catalog"]
    assert sorted(r["inputs"]["name"] for r in by_type(data, "cloudrunv2/job:Job")) == [
        "example-catalog-cron-prune-items",
        "example-catalog-db-init",
        "example-catalog-migrate",
    ]
    assert [r["inputs"]["schedule"] for r in by_type(data, "cloudscheduler/job:Job")] == [
        "30 3 * * *"
    ]
    assert len(by_type(data, "databaseInstance:DatabaseInstance")) == 1
    assert [r["inputs"]["name"] for r in by_type(data, "database:Database")] == ["django"]
    # db-init creates the app's role; Cloud SQL's API only sets the admin's password.
    assert [r["inputs"]["name"] for r in by_type(data, "user:User")] == ["postgres"]
    assert sorted(r["inputs"]["name"] for r in by_type(data, "bucket:Bucket")) == [
        "example-project-example-catalog-build-sources",
        "example-project-example-catalog-django-media",
    ]
    assert len(by_type(data, "secret:Secret")) == 5
    roles = {(row["member"].split("@")[0], row["role"]) for row in data["iam"]}
    assert ("serviceAccount:example-catalog-run", "roles/cloudsql.client") in roles
    assert ("serviceAccount:example-catalog-db-init", "roles/secretmanager.secretAccessor") in roles
    assert "allUsers" not in {member for member, _ in roles}
    (service,) = by_type(data, "service:Service")
    assert service["inputs"]["invokerIamDisabled"] is True  # the example is public
    assert {
        "member": "serviceAccount:example-catalog-scheduler@"
        "example-project.iam.gserviceaccount.com",
        "role": "roles/run.invoker",
        "on": "job",
        "resource": "example-catalog-cron-prune-items",
    } in data["iam"]
    assert data["budget"]["pool_per_instance"] == 6
    assert "mock-password" not in result.stdout


def test_plan_prints_tables_budget_and_warnings():
    result = run_plan()
    assert result.returncode == 0, result.stderr
    assert "example-catalog in example-project, europe-west1:" in result.stdout
    assert "cloudrunv2.Service" in result.stdout
    assert "IAM" in result.stdout
    # The example's [[cron]] job holds a connection while it runs.
    assert "Connections: 3 instances x pool 6 + 6 = 24 of 25 (db-f1-micro)" in result.stdout
    assert "  + 6: 2 deploy jobs, 1 cron job, 3 reserved" in result.stdout
    assert "warning: public = true" in result.stderr


def test_plan_at_80_columns_shows_every_resource_and_input_in_80_columns():
    data = json.loads(run_plan("--json").stdout)
    result = run_plan(columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    # What is wider than the screen wraps; none of it is cut.
    text = "".join(result.stdout.split())
    for resource in data["resources"]:
        assert f"{short_type(resource['type'])}{resource['name']}" in text
    service = by_type(data, "service:Service")[0]
    account = service["inputs"]["template"]["serviceAccount"]
    assert f'serviceAccount="{account}"' in text
    assert "invokerIamDisabled=true" in text


def test_env_staging_is_private_and_has_no_all_users_member():
    result = run_plan("--env", "staging", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["inputs"]["name"] for r in by_type(data, "service:Service")] == [
        "example-stg-catalog"
    ]
    assert not [
        row for row in data["iam"] if row["role"] == "roles/run.invoker" and row["on"] == "service"
    ]


def test_public_false_has_no_all_users_member(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('project_id = "acme-prod"\npublic = false\n')
    data = json.loads(run_plan("--json", cwd=tmp_path).stdout)
    assert not [row for row in data["iam"] if row["member"] == "allUsers"]


def test_budget_overflow_exits_2_with_the_budget_message(tmp_path):
    (tmp_path / "cloudrun.toml").write_text("max_instance_count = 100\n")
    result = run_plan("--json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    with pytest.raises(BudgetError) as expected:
        connection_budget("db-f1-micro", 100)
    assert (
        result.stderr.strip()
        == str(expected.value)
        == (
            "max_instance_count: 100 instances x pool 2 + 5 (deploy jobs, reserved) > 25 "
            "connections of tier db-f1-micro: lower max_instance_count to 10 or choose tier "
            "db-custom-2-7680"
        )
    )
    assert "Traceback" not in result.stderr


def test_config_error_exits_2_with_one_line(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('region = "mars"\n')
    result = run_plan(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "region: must be a Cloud Run region such as us-central1, got 'mars'"
    ]


def test_a_region_cloud_run_does_not_list_exits_2_before_planning(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('region = "mars-north1"\n')
    result = run_plan(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "region: 'mars-north1' is not a Cloud Run region; regions: "
        "https://cloud.google.com/run/docs/locations, checked 2026-12-01"
    ]


def test_config_error_found_by_the_program_exits_2_with_one_line(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('[database]\nbackup_schedule = "15 2 * * *"\n')
    result = run_plan(cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("database.backup_schedule: Cloud SQL backs up once a day")


def test_plan_needs_no_credentials_and_no_pulumi_cli(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "CLOUDSDK_", "PULUMI_"))
    }
    result = subprocess.run(
        [sys.executable, *COMMAND, "--json"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr


def test_plan_of_the_example_runs_offline_and_prints_json():
    # Its time is measured by benchmarks/plan_time.py, not asserted here.
    result = run_plan("--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["resources"]


def test_console_script_offers_plan():
    from django_cloudrun.cli import app

    assert "plan" in {command.name for command in app.registered_commands}
    result = subprocess.run(
        [str(SCRIPT), "plan", "--json"], cwd=EXAMPLE, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"resources", "iam", "budget", "edge_cost", "warnings"}


def test_plan_json_is_the_same_text_on_every_run():
    import hashlib

    outputs = {
        hashlib.sha256(
            subprocess.run(
                [sys.executable, "-m", "django_cloudrun.cli", "plan", "--json"],
                cwd=EXAMPLE, capture_output=True, text=True, check=True,
            ).stdout.encode()
        ).hexdigest()
        for _ in range(3)
    }  # fmt: skip
    assert len(outputs) == 1


def test_plan_prints_the_edges_monthly_base_cost(tmp_path):
    (tmp_path / "cloudrun.toml").write_text(
        'custom_domains = ["shop.example.com"]\n[edge.waf]\nenabled = true\n'
    )
    result = run_plan(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Edge: $33.25 a month before traffic (USD list prices of 2026-12-01" in result.stdout
    assert "4 forwarding rules" in result.stdout and "$18.25" in result.stdout
    assert "10 Cloud Armor rules" in result.stdout
    assert "compute.SecurityPolicy demo-django-armor" in result.stdout
