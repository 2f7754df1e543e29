"""status, logs and run --cloud over fakes: what is read, what is run, what is returned."""

from __future__ import annotations

import json

import pytest

from cloud_support import PROJECT, make_target
from django_cloudrun.cloud import observe
from django_cloudrun.cloud.errors import PrerequisiteError
from django_cloudrun.cloud.interfaces import (
    CertificateState,
    ExecutionState,
    ServiceState,
    Traffic,
)
from fakes import T0, line

SERVICE = "shop-django"
SERVICE_FILTER = (
    f'resource.type="cloud_run_revision" AND resource.labels.service_name="{SERVICE}" '
    'AND resource.labels.location="europe-west1"'
)
MIGRATE_FILTER = f'resource.type="cloud_run_job" AND resource.labels.job_name="{SERVICE}-migrate"'


def deployed_state() -> ServiceState:
    return ServiceState(
        name=SERVICE,
        uri=f"https://{SERVICE}-123456789012.europe-west1.run.app",
        latest_ready_revision=f"{SERVICE}-00003-abc",
        latest_created_revision=f"{SERVICE}-00003-abc",
        traffic=[Traffic(100, f"{SERVICE}-00003-abc", latest=True)],
        image="europe-west1-docker.pkg.dev/p/s/django@sha256:ab",
    )


def test_status_reads_the_service_and_each_jobs_last_executions(target, fakes):
    fakes.run.state = deployed_state()
    run = ExecutionState(f"{SERVICE}-migrate-x1", f"{SERVICE}-migrate", T0, T0, True, 0)
    fakes.run.history = {f"{SERVICE}-migrate": [run]}
    result = observe.status(target, fakes.run, fakes.certificates)
    assert fakes.journal == [
        ("run.service", SERVICE),
        ("run.executions", f"{SERVICE}-db-init", 3),
        ("run.executions", f"{SERVICE}-migrate", 3),
    ]
    data = result.as_dict()
    assert data["deployed"] is True
    assert data["state"]["traffic"] == [
        {"percent": 100, "revision": f"{SERVICE}-00003-abc", "latest": True, "tag": ""}
    ]
    assert data["executions"] == {
        "db-init": [],
        "migrate": [
            {"name": f"{SERVICE}-migrate-x1", "job": f"{SERVICE}-migrate",
             "created": T0.isoformat(), "completed": T0.isoformat(), "succeeded": True,
             "exit_code": 0, "status": "succeeded"}
        ],
    }  # fmt: skip
    json.dumps(data)


def test_without_a_load_balancer_status_reads_no_certificates(target, fakes):
    fakes.run.state = deployed_state()
    assert observe.status(target, fakes.run, fakes.certificates).certificates == []
    assert not [call for call in fakes.journal if call[0] == "certificates.managed"]


def test_behind_a_load_balancer_status_gives_each_certificates_state(project_dir, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('custom_domains = ["shop.example.com"]\n')
    fakes.run.state = deployed_state()
    provisioning = CertificateState(
        f"{SERVICE}-cert-1a2b3c4", "PROVISIONING", {"shop.example.com": "FAILED_NOT_VISIBLE"}
    )
    other = CertificateState("other-app-cert-9f8e7d6", "ACTIVE", {"other.example": "ACTIVE"})
    fakes.certificates.found = [provisioning, other]
    result = observe.status(make_target(project_dir), fakes.run, fakes.certificates)
    assert ("certificates.managed", f"{SERVICE}-cert") in fakes.journal
    assert result.certificates == [provisioning]
    assert result.as_dict()["certificates"] == [
        {
            "name": f"{SERVICE}-cert-1a2b3c4",
            "status": "PROVISIONING",
            "domains": {"shop.example.com": "FAILED_NOT_VISIBLE"},
        }
    ]


def test_status_of_nothing_deployed(target, fakes):
    assert observe.status(target, fakes.run, fakes.certificates).as_dict()["deployed"] is False


def test_logs_read_the_service_by_default(target, fakes):
    fakes.logs.lines = {SERVICE_FILTER: [line(1, "GET / 200")]}
    assert observe.read_logs(target, fakes.logs, job=None, limit=20) == [line(1, "GET / 200")]
    assert fakes.journal == [("logs.read", SERVICE_FILTER, 20)]


@pytest.mark.parametrize("name", ["migrate", f"{SERVICE}-migrate"])
def test_logs_of_a_job_by_short_or_cloud_run_name(target, fakes, name):
    observe.read_logs(target, fakes.logs, job=name, limit=5)
    assert fakes.journal == [("logs.read", MIGRATE_FILTER, 5)]


def test_an_unknown_job_lists_the_jobs(target, fakes):
    with pytest.raises(PrerequisiteError) as caught:
        observe.read_logs(target, fakes.logs, job="cron", limit=5)
    assert caught.value.message == f"unknown job 'cron': the jobs of {SERVICE} are db-init, migrate"


def test_follow_prints_only_lines_newer_than_the_last(target, fakes):
    fakes.logs.lines = {SERVICE_FILTER: [line(1, "old"), line(5, "new")]}
    printed: list[str] = []
    rounds = iter([True, False])
    observe.follow_logs(
        fakes.logs, SERVICE_FILTER, lambda entry: printed.append(entry.message),
        since=line(1, "").timestamp, keep_going=lambda: next(rounds), sleep=lambda s: None,
    )  # fmt: skip
    assert printed == ["new"]
    assert (
        fakes.journal[0][1]
        == f'{SERVICE_FILTER} AND timestamp>"{line(1, "").timestamp.isoformat()}"'
    )


def test_run_starts_the_migrate_job_with_the_command_as_its_arguments(target, fakes):
    printed = []
    result = observe.run_command(
        target, fakes.run, fakes.logs, ["createsuperuser", "--noinput"],
        on_line=printed.append, sleep=lambda s: None,
    )  # fmt: skip
    assert fakes.journal[0] == (
        "run.start_job",
        f"{SERVICE}-migrate",
        ("createsuperuser", "--noinput"),
    )
    assert observe.exit_code(result) == 0


def test_run_streams_the_executions_lines_once_each_and_waits_for_its_end(target, fakes):
    execution = "x-migrate-abc12"
    key = f'labels."run.googleapis.com/execution_name"="{execution}"'
    fakes.logs.lines = {key: [line(1, "Superuser created."), line(2, "bye")]}
    printed, sleeps = [], []
    observe.run_command(
        target, fakes.run, fakes.logs, ["check"], on_line=printed.append, sleep=sleeps.append,
    )  # fmt: skip
    assert [entry.message for entry in printed] == ["Superuser created.", "bye"]
    reads = [e for e in fakes.journal if e[0] == "logs.read"]
    assert reads[0][1] == f"{MIGRATE_FILTER} AND {key}"
    assert len(reads) == 3  # two polls while it runs, one after it settled
    assert sleeps == [observe.POLL_SECONDS, observe.POLL_SECONDS, observe.SETTLE_SECONDS]


def test_run_exits_with_the_tasks_exit_code(target, fakes):
    fakes.run.outcome = ExecutionState("e", f"{SERVICE}-migrate", T0, T0, False, 3)
    result = observe.run_command(
        target, fakes.run, fakes.logs, ["x"], on_line=print, sleep=lambda s: None
    )
    assert (result.status, observe.exit_code(result)) == ("failed", 3)


def test_a_failed_run_without_an_exit_code_exits_1(target, fakes):
    fakes.run.outcome = ExecutionState("e", f"{SERVICE}-migrate", T0, T0, False, None)
    result = observe.run_command(
        target, fakes.run, fakes.logs, ["x"], on_line=print, sleep=lambda s: None
    )
    assert observe.exit_code(result) == 1


def test_run_before_any_deploy_says_to_deploy(target, fakes):
    fakes.run.outcome = PrerequisiteError(
        f"no Cloud Run job {SERVICE}-migrate in {PROJECT} (europe-west1): deploy first with "
        "`django-cloudrun deploy`"
    )
    with pytest.raises(PrerequisiteError):
        observe.run_command(
            target, fakes.run, fakes.logs, ["x"], on_line=print, sleep=lambda s: None
        )


@pytest.mark.parametrize("name", ["cron-nightly", f"{SERVICE}-cron-nightly"])
def test_logs_of_a_cron_job_by_short_or_cloud_run_name(project_dir, fakes, name):
    with open(project_dir / "cloudrun.toml", "a") as toml:
        toml.write(
            '[[cron]]\nname = "nightly"\nschedule = "0 3 * * *"\ncommand = "clearsessions"\n'
        )
    target = make_target(project_dir)
    observe.read_logs(target, fakes.logs, job=name, limit=5)
    wanted = observe.job_filter(f"{SERVICE}-cron-nightly")
    assert fakes.journal == [("logs.read", wanted, 5)]
