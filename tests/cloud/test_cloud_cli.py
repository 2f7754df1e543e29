"""The cloud commands as users run them (Typer's runner), with fakes behind clients_for."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cloud_support import PROJECT
from django_cloudrun.cli import app
from django_cloudrun.cloud.errors import CloudError
from django_cloudrun.cloud.interfaces import (
    CertificateState,
    ExecutionState,
    OrgPolicy,
    ProjectInfo,
)
from fakes import DIGEST, T0, line
from test_observe import MIGRATE_FILTER, SERVICE_FILTER, deployed_state

SERVICE = "shop-django"
URL = f"https://{SERVICE}-123456789012.europe-west1.run.app"


@pytest.fixture
def cli(project_dir, cli_fakes):
    runner = CliRunner()

    def invoke(*args: str):
        config = ["--config", str(project_dir / "cloudrun.toml")]
        if "--" in args:  # what follows -- is the manage.py command
            at = args.index("--")
            return runner.invoke(app, [*args[:at], *config, *args[at:]])
        return runner.invoke(app, [*args, *config])

    return invoke


def test_deploy_prints_progress_then_url_admin_and_password_command(cli, cli_fakes):
    result = cli("deploy")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "creating the image repository" in out
    assert f"job {SERVICE}-db-init: execution succeeded" in out
    assert out.index(f"job {SERVICE}-migrate: execution succeeded") < out.index(
        f"created cloudrunv2.Service {SERVICE}-service"
    )
    tail = out[out.index(f"Deployed {SERVICE}") :].splitlines()
    assert [row.rstrip().split(None, 1) for row in tail[1:4]] == [
        ["URL", URL],
        ["Admin", f"{URL}/admin/ (user admin)"],
        ["Password", f"gcloud secrets versions access latest --secret={SERVICE}-superuser-password "
                     f"--project {PROJECT}"],
    ]  # fmt: skip
    assert tail[0] == f"Deployed {SERVICE} to {PROJECT} (europe-west1)"
    assert cli_fakes.journal[0] == ("clients", PROJECT, "europe-west1")


def test_deploy_of_a_private_service_says_how_to_reach_it(cli, project_dir):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write("public = false\n")
    result = cli("deploy", "--image", f"img@{DIGEST}")
    assert (
        f"gcloud run services proxy {SERVICE} --region europe-west1 --project {PROJECT}"
        in result.stdout
    )


def test_deploy_behind_a_load_balancer_ends_with_the_dns_records_to_create(cli, project_dir):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('custom_domains = ["shop.example.com"]\n')
    result = cli("deploy", "--image", f"img@{DIGEST}")
    assert result.exit_code == 0, result.output
    tail = [line.rstrip() for line in result.stdout.splitlines()]
    assert tail[-2:] == [
        "          shop.example.com A 203.0.113.10",
        "          shop.example.com AAAA 2001:db8::1",
    ]
    assert tail[-3].startswith("DNS       create these records at your DNS provider")
    assert "URL       https://shop.example.com" in tail


def test_deploy_failure_is_one_red_line_on_stderr(cli, cli_fakes):
    cli_fakes.engine.fail = f"{SERVICE}-migrate"
    result = cli("deploy", "--image", f"img@{DIGEST}")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(
        f"error: the Cloud Run job {SERVICE}-migrate failed, so the service was not updated;"
    )


def test_deploy_without_project_id_exits_2(cli, project_dir):
    (project_dir / "cloudrun.toml").write_text("")
    result = cli("deploy")
    assert result.exit_code == 2
    assert result.stderr == (
        'project_id: required to reach Google Cloud; set project_id = "your-project-id" in '
        "cloudrun.toml (`gcloud projects list` shows yours)\n"
    )


def test_deploy_without_a_terminal_or_yes_will_not_create_the_state_bucket(cli, cli_fakes):
    cli_fakes.state.buckets.clear()
    result = cli("deploy")
    assert result.exit_code == 2
    assert "pass --yes to let deploy create it" in result.stderr
    assert cli("deploy", "--yes").exit_code == 0


def test_destroy_refuses_data_then_needs_yes_then_destroys(cli, cli_fakes):
    assert cli("deploy", "--image", f"img@{DIGEST}").exit_code == 0
    refused = cli("destroy")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        f"error: refusing to destroy {SERVICE} ({PROJECT}, stack default): Cloud SQL"
    )
    unconfirmed = cli("destroy", "--delete-data")
    assert unconfirmed.exit_code == 2
    assert unconfirmed.stderr == (
        "error: no terminal to confirm on: pass --yes to destroy "
        f"{SERVICE} ({PROJECT}, stack default)\n"
    )
    assert cli_fakes.engine.state
    done = cli("destroy", "--delete-data", "--yes")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == f"destroyed {SERVICE} ({PROJECT}, stack default)"
    assert not cli_fakes.engine.state


def test_doctor_lists_every_check_and_exits_0_when_all_pass(cli):
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    marks = [row.split()[:2] for row in result.stdout.splitlines()[1:]]
    assert marks == [["✓", "Pulumi"], ["✓", "Google"], ["✓", "Secrets"], ["✓", "Project"],
                     ["✓", "Billing"], ["✓", "APIs"], ["✓", "State"], ["✓", "Build"],
                     ["✓", "Public"]]  # fmt: skip


def test_doctor_shows_each_failure_with_its_fix_and_exits_2(cli, cli_fakes):
    cli_fakes.probe.cli = None
    cli_fakes.probe.info = ProjectInfo(True, billing_enabled=False)
    result = cli("doctor")
    assert result.exit_code == 2
    rows = [row.rstrip() for row in result.stdout.splitlines()]
    assert "✗ Pulumi CLI         Pulumi CLI not found on PATH" in rows
    assert "                     fix: curl -fsSL https://get.pulumi.com | sh" in rows
    assert (
        "                     fix: gcloud billing projects link "
        f"{PROJECT} --billing-account=ACCOUNT_ID" in rows
    )
    assert any(row.startswith("✓ APIs") for row in rows)


def test_doctor_shows_an_unverifiable_github_connection_with_where_to_connect_it(
    cli, cli_fakes, project_dir
):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[build]\ngithub_repository = "shop/site"\n')
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    rows = [row.rstrip() for row in result.stdout.splitlines()]
    github = next(row for row in rows if row.startswith("- GitHub"))
    assert "cannot tell whether shop/site is connected to Cloud Build" in github
    assert any(
        "fix: https://console.cloud.google.com/cloud-build/triggers;region=global/connect"
        f"?project={PROJECT}" in row
        for row in rows
    )


def test_doctor_fails_when_an_org_policy_keeps_the_service_from_being_public(cli, cli_fakes):
    cli_fakes.probe.policies["run.managed.requireInvokerIam"] = OrgPolicy(enforced=True)
    result = cli("doctor")
    assert result.exit_code == 2
    assert any(row.startswith("✗ Public access") for row in result.stdout.splitlines())


def test_doctor_reports_a_permission_error_as_a_failed_check(cli, cli_fakes):
    cli_fakes.probe.info = CloudError("permission resourcemanager.projects.get denied")
    result = cli("doctor")
    assert result.exit_code == 2
    assert "✗ Project            permission resourcemanager.projects.get denied" in result.stdout


def test_status_cloud_shows_url_revision_traffic_and_jobs(cli, cli_fakes):
    cli_fakes.run.state = deployed_state()
    cli_fakes.run.history = {
        f"{SERVICE}-migrate": [
            ExecutionState(f"{SERVICE}-migrate-x1", f"{SERVICE}-migrate", T0, T0, True, 0)
        ]
    }
    result = cli("status", "--cloud")
    assert result.exit_code == 0, result.output
    rows = [" ".join(row.split()) for row in result.stdout.splitlines()]
    assert rows[:5] == [
        f"{SERVICE} ({PROJECT}, europe-west1)",
        f"URL {URL}",
        f"Revision {SERVICE}-00003-abc (ready)",
        f"Traffic 100% {SERVICE}-00003-abc",
        "Image europe-west1-docker.pkg.dev/p/s/django@sha256:ab",
    ]
    assert "db-init never ran" in rows
    assert (
        f"migrate {SERVICE}-migrate-x1 succeeded 2026-01-02 03:04:05 UTC 2026-01-02 03:04:05 UTC"
        in rows
    )


def test_status_cloud_shows_the_certificate_and_what_each_domain_waits_for(
    cli, cli_fakes, project_dir
):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('custom_domains = ["shop.example.com", "www.shop.example.com"]\n')
    cli_fakes.run.state = deployed_state()
    cli_fakes.certificates.found = [
        CertificateState(
            f"{SERVICE}-cert-1a2b3c4",
            "PROVISIONING",
            {"www.shop.example.com": "PROVISIONING", "shop.example.com": "FAILED_NOT_VISIBLE"},
        )
    ]
    result = cli("status", "--cloud")
    assert result.exit_code == 0, result.output
    rows = [" ".join(row.split()) for row in result.stdout.splitlines()]
    assert (
        f"Certificate PROVISIONING {SERVICE}-cert-1a2b3c4: shop.example.com FAILED_NOT_VISIBLE, "
        "www.shop.example.com PROVISIONING"
    ) in rows


def test_status_cloud_json_and_not_deployed(cli):
    result = cli("status", "--cloud", "--json")
    assert json.loads(result.stdout)["deployed"] is False
    plain = cli("status", "--cloud")
    assert plain.stdout.startswith(f"not deployed: no Cloud Run service {SERVICE} in {PROJECT}")


def test_logs_cloud_prints_time_severity_message(cli, cli_fakes):
    cli_fakes.logs.lines = {SERVICE_FILTER: [line(1, "GET / 200"), line(2, "boom", "ERROR")]}
    result = cli("logs", "--cloud", "-n", "10")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-01-02 03:04:06 INFO    GET / 200",
        "2026-01-02 03:04:07 ERROR   boom",
    ]


@pytest.mark.parametrize("args", [["--job", "migrate"], ["migrate"]])
def test_logs_cloud_of_the_migrate_job(cli, cli_fakes, args):
    cli_fakes.logs.lines = {MIGRATE_FILTER: [line(1, "Applying x... OK")]}
    result = cli("logs", "--cloud", *args)
    assert result.stdout.splitlines() == ["2026-01-02 03:04:06 INFO    Applying x... OK"]


def test_logs_cloud_of_a_local_only_component_exits_2(cli):
    result = cli("logs", "--cloud", "database")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: unknown job 'database': the jobs of shop-django are db-init, migrate\n"
    )


def test_run_cloud_prints_the_logs_and_exits_with_the_commands_code(cli, cli_fakes):
    cli_fakes.run.outcome = ExecutionState(
        "shop-django-migrate-r2d2", f"{SERVICE}-migrate", T0, T0, False, 1
    )
    cli_fakes.logs.lines = {
        "shop-django-migrate-r2d2": [line(1, "CommandError: That username is already taken.")]
    }
    result = cli("run", "--cloud", "--", "createsuperuser", "--noinput", "--username", "admin")
    assert result.exit_code == 1
    assert (
        result.stdout
        == "2026-01-02 03:04:06 INFO    CommandError: That username is already taken.\n"
    )
    assert result.stderr.splitlines() == [
        f"started execution shop-django-migrate-r2d2 of {SERVICE}-migrate: python manage.py "
        "createsuperuser --noinput --username admin",
        "error: execution shop-django-migrate-r2d2 failed (exit code 1)",
    ]
    assert (
        "run.start_job",
        f"{SERVICE}-migrate",
        ("createsuperuser", "--noinput", "--username", "admin"),
    ) in cli_fakes.journal


def test_run_cloud_needs_a_command(cli):
    result = cli("run", "--cloud")
    assert result.exit_code == 2


def test_logs_cloud_of_a_scheduled_command(cli, cli_fakes, project_dir):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[[cron]]\nname = "prune"\nschedule = "0 3 * * *"\ncommand = "prune_items"\n')
    cron_filter = MIGRATE_FILTER.replace("-migrate", "-cron-prune")
    cli_fakes.logs.lines = {cron_filter: [line(1, "Deleted 3 items")]}
    result = cli("logs", "--cloud", "cron-prune")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["2026-01-02 03:04:06 INFO    Deleted 3 items"]
