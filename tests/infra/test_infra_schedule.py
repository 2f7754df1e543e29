"""[[cron]]: a Cloud Run job per entry, started by Cloud Scheduler as an account that may
run exactly those jobs."""

from __future__ import annotations

import pytest

from django_cloudrun.cloud.preflight import required_apis
from django_cloudrun.config import parse_config
from django_cloudrun.config.names import job_name
from django_cloudrun.config.topology import cron_jobs
from django_cloudrun.infra.schedule import OAUTH_SCOPE, TIME_ZONE, run_uri
from infra_support import (
    ACCOUNT,
    JOB,
    JOB_MEMBER,
    SCHEDULER_JOB,
    SERVICE,
    deploy,
    env_of,
    job_container,
    service_container,
)

IMAGE = "us-central1-docker.pkg.dev/my-project/demo-django/django@sha256:" + "c" * 64
CRON = """
[[cron]]
name = "prune"
schedule = "30 3 * * *"
command = "prune_items --older-than-days 365"

[[cron]]
name = "digest"
schedule = "*/15 8-18 * * MON-FRI"
command = "send_digest --subject 'Daily digest'"
"""
SCHEDULER_EMAIL = "demo-django-scheduler@my-project.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def declared():
    return deploy(CRON, image=IMAGE)


def cron_job(declared, entry):
    return declared.named(JOB, f"demo-django-cron-{entry}")


def trigger(declared, entry):
    return declared.named(SCHEDULER_JOB, f"demo-django-cron-{entry}-trigger")


def test_one_cloud_run_job_and_one_scheduler_job_per_entry(declared):
    names = {inputs["name"] for inputs in declared.of_type(JOB).values()}
    assert names == {
        "demo-django-db-init",
        "demo-django-migrate",
        job_name("demo-django", "cron-prune"),
        job_name("demo-django", "cron-digest"),
    }
    assert {inputs["name"] for inputs in declared.of_type(SCHEDULER_JOB).values()} == {
        "demo-django-cron-prune",
        "demo-django-cron-digest",
    }


def test_cron_job_runs_its_command_split_like_a_shell_with_the_service_image(declared):
    container = job_container(declared, "cron-digest")
    assert container["commands"] == ["python", "manage.py"]
    assert container["args"] == ["send_digest", "--subject", "Daily digest"]
    assert container["image"] == IMAGE == service_container(declared)["image"]
    assert job_container(declared, "cron-prune")["args"] == [
        "prune_items",
        "--older-than-days",
        "365",
    ]


def test_cron_job_is_not_executed_by_a_deployment(declared):
    for entry in ("prune", "digest"):
        assert "runExecutionToken" not in cron_job(declared, entry)
    assert "runExecutionToken" in declared.named(JOB, "demo-django-migrate")


def test_cron_job_never_retries_a_failed_command(declared):
    template = cron_job(declared, "prune")["template"]["template"]
    assert template["maxRetries"] == 0
    assert template["timeout"] == "3600s"


def test_cron_job_has_the_service_environment_and_no_admin_or_superuser_secret(declared):
    plain, secret = env_of(job_container(declared, "cron-prune"))
    service_plain, service_secret = env_of(service_container(declared))
    assert (plain, secret) == (service_plain, service_secret)
    assert all(ref["version"].isdigit() for ref in secret.values())
    for forbidden in ("DB_ADMIN_PASSWORD", "DJANGO_SUPERUSER_PASSWORD", "DB_ADMIN_USER"):
        assert forbidden not in plain and forbidden not in secret
    assert {ref["secret"] for ref in secret.values()} == {
        "demo-django-db-password",
        "demo-django-secret-key",
        "demo-django-database-url",
    }


def test_cron_job_runs_as_the_service_account_with_its_volumes(declared):
    service = declared.one(SERVICE)["template"]
    template = cron_job(declared, "prune")["template"]["template"]
    assert template["serviceAccount"] == service["serviceAccount"]
    assert template["serviceAccount"].startswith("demo-django-run@")
    assert template["volumes"] == service["volumes"]
    mounts = job_container(declared, "cron-prune")["volumeMounts"]
    assert mounts == service_container(declared)["volumeMounts"]
    assert {m["mountPath"] for m in mounts} == {"/cloudsql", "/app/media"}


def test_cron_job_is_updated_after_the_service(declared):
    depends = declared.depends_on[(JOB, "demo-django-cron-prune")]
    assert (SERVICE, "demo-django-service") in depends


def test_scheduler_job_posts_to_jobs_run_on_the_schedule_in_utc(declared):
    prune = trigger(declared, "prune")
    assert prune["schedule"] == "30 3 * * *"
    assert trigger(declared, "digest")["schedule"] == "*/15 8-18 * * MON-FRI"
    assert prune["timeZone"] == TIME_ZONE == "Etc/UTC"
    assert prune["region"] == "us-central1" and prune["project"] == "my-project"
    target = prune["httpTarget"]
    assert target["httpMethod"] == "POST"
    assert target["uri"] == (
        "https://run.googleapis.com/v2/projects/my-project/locations/us-central1/"
        "jobs/demo-django-cron-prune:run"
    )
    assert target["uri"] == run_uri("my-project", "us-central1", "demo-django-cron-prune")


def test_scheduler_job_authenticates_with_an_oauth_token_of_its_own_account(declared):
    token = trigger(declared, "prune")["httpTarget"]["oauthToken"]
    assert token == {"serviceAccountEmail": SCHEDULER_EMAIL, "scope": OAUTH_SCOPE}
    assert OAUTH_SCOPE == "https://www.googleapis.com/auth/cloud-platform"
    assert "oidcToken" not in trigger(declared, "prune")["httpTarget"]
    account = declared.named(ACCOUNT, "demo-django-scheduler-sa")
    assert account["accountId"] == "demo-django-scheduler"


def test_scheduler_job_retries_starting_a_run_and_has_an_attempt_deadline(declared):
    prune = trigger(declared, "prune")
    assert prune["attemptDeadline"] == "60s"
    assert prune["retryConfig"] == {
        "retryCount": 3,
        "minBackoffDuration": "30s",
        "maxBackoffDuration": "300s",
        "maxDoublings": 2,
    }


def test_scheduler_account_may_only_run_each_cron_job(declared):
    member = f"serviceAccount:{SCHEDULER_EMAIL}"
    held = {(role, resource) for m, role, resource in declared.iam() if m == member}
    assert held == {
        ("roles/run.invoker", "demo-django-cron-prune"),
        ("roles/run.invoker", "demo-django-cron-digest"),
    }
    grant = declared.named(JOB_MEMBER, "demo-django-scheduler-sa-runs-cron-prune")
    assert (grant["project"], grant["location"]) == ("my-project", "us-central1")


def test_scheduler_job_waits_for_its_grant(declared):
    depends = declared.depends_on[(SCHEDULER_JOB, "demo-django-cron-prune-trigger")]
    assert (JOB_MEMBER, "demo-django-scheduler-sa-runs-cron-prune") in depends


def test_no_cron_resources_without_cron_entries():
    declared = deploy("")
    assert declared.of_type(SCHEDULER_JOB) == {}
    assert declared.of_type(JOB_MEMBER) == {}
    assert (ACCOUNT, "demo-django-scheduler-sa") not in declared.inputs
    assert {i["name"] for i in declared.of_type(JOB).values()} == {
        "demo-django-db-init",
        "demo-django-migrate",
    }


def test_long_names_fit_cloud_run_and_service_account_limits():
    text = 'tenant_deployment_id = "tenant-0123456789abc"\napp_name = "application-name"\n'
    text += '[[cron]]\nname = "a-rather-long-cron-entry-name-0123456789"\n'
    text += 'schedule = "0 0 * * *"\ncommand = "clearsessions"\n'
    declared = deploy(text)
    (cron,) = [i for i in declared.of_type(JOB).values() if "runExecutionToken" not in i]
    assert len(cron["name"]) <= 50
    (scheduler,) = declared.of_type(SCHEDULER_JOB).values()
    assert scheduler["name"] == cron["name"]
    assert scheduler["httpTarget"]["uri"].endswith(f"/jobs/{cron['name']}:run")
    accounts = [i["accountId"] for i in declared.of_type(ACCOUNT).values()]
    assert all(6 <= len(account) <= 30 for account in accounts)


def test_cron_jobs_are_named_and_split_by_the_topology():
    config = parse_config(CRON)
    assert [(job.name, job.command) for job in cron_jobs(config)] == [
        ("cron-prune", ("prune_items", "--older-than-days", "365")),
        ("cron-digest", ("send_digest", "--subject", "Daily digest")),
    ]


def test_preflight_requires_cloud_scheduler_only_with_cron_entries():
    assert "cloudscheduler.googleapis.com" in required_apis(parse_config(CRON))
    assert "cloudscheduler.googleapis.com" not in required_apis(parse_config(""))
