"""Policies every plan must satisfy, checked on the plan JSON of several configurations.

Each policy reads only the JSON that `django-cloudrun plan --json` prints, so the same
checks can run in CI against any project's plan. A policy returns its violations.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from django_cloudrun import contract
from django_cloudrun.config import load_config, parse_config
from django_cloudrun.infra.build import build_account
from django_cloudrun.infra.plan import REDACTED, plan
from django_cloudrun.infra.program import project_of
from infra_support import EXAMPLE, deploy

CONFIGS = {
    "example": lambda: load_config(EXAMPLE / "cloudrun.toml"),
    "example-staging": lambda: load_config(EXAMPLE / "cloudrun.toml", "staging"),
    "defaults": lambda: parse_config(""),
    "private-direct-api": lambda: parse_config(
        'project_id = "acme-prod"\npublic = false\n'
        '[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "prod-run"\n'
        'vpc_egress_setting = "ALL_TRAFFIC"\n'
        "[database]\nprivate_ip = true\n"
        '[media]\nmode = "api"\n'
        '[secret_environment_variables]\nSTRIPE_KEY = "stripe"\n'
        '[environment_variables]\nSTRIPE_PUBLISHABLE_KEY = "pk_live_1234"\n'
    ),
    "connector-big": lambda: parse_config(
        'project_id = "acme-prod"\nmax_instance_count = 50\n'
        '[vpc]\nmode = "connector"\nconnector = "serverless"\n'
        '[database]\ntier = "db-custom-4-15360"\npoint_in_time_recovery = false\n'
        '[build]\ngithub_repository = "acme/shop"\n'
        '[monitoring]\nalert_email = "ops@example.com"\n'
    ),
    "long-names": lambda: parse_config(
        'project_id = "a-very-long-project-id-0123"\n'
        'tenant_deployment_id = "tenant-0123456789abc"\n'
        'app_name = "application-name"\n[build]\ngithub_repository = "acme/shop"\n'
    ),
}

ALLOWED_ROLES = {
    "roles/cloudsql.client",
    "roles/secretmanager.secretAccessor",
    "roles/storage.objectAdmin",
    "roles/storage.objectViewer",
    "roles/storage.legacyBucketReader",
    "roles/iam.serviceAccountTokenCreator",
    "roles/run.invoker",
    "roles/artifactregistry.writer",
    "roles/logging.logWriter",
}
PROJECT_WIDE = {"roles/cloudsql.client", "roles/logging.logWriter"}


def resources(data: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    return [r for r in data["resources"] if r["type"].endswith(suffix)]


def containers(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [
        (r["name"], c)
        for r in resources(data, "service:Service")
        for c in r["inputs"]["template"]["containers"]
    ]
    out += [
        (r["name"], c)
        for r in resources(data, "cloudrunv2/job:Job")
        for c in r["inputs"]["template"]["template"]["containers"]
    ]
    return out


def secret_refs(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, env["valueSource"]["secretKeyRef"])
        for name, container in containers(data)
        for env in container.get("envs", [])
        if "valueSource" in env
    ]


# --- the policies ------------------------------------------------------------------------


def public_only_when_asked(data, config):
    """Public means the invoker check is off; nobody is ever granted as allUsers."""
    public = [row for row in data["iam"] if row["member"] in ("allUsers", "allAuthenticatedUsers")]
    problems = [f"grants {row}" for row in public]
    problems += [
        f"{r['name']}: invokerIamDisabled is {r['inputs'].get('invokerIamDisabled')!r}"
        for r in resources(data, "service:Service")
        if r["inputs"].get("invokerIamDisabled") is not config.public
    ]
    return problems


def secrets_pinned_to_versions(data, config):
    return [
        f"{name}: {ref}"
        for name, ref in secret_refs(data)
        if not str(ref.get("version", "")).isdigit()
    ]


def roles_are_allowed_and_scoped(data, config):
    problems = [
        f"role not allowed: {row}" for row in data["iam"] if row["role"] not in ALLOWED_ROLES
    ]
    problems += [
        f"project-wide {row['role']} for {row['member']}"
        for row in data["iam"]
        if row["on"] == "project" and row["role"] not in PROJECT_WIDE
    ]
    build_accounts = {
        f"serviceAccount:{build_account(config, project_of(config)).email}",
        *(
            "serviceAccount:" + r["inputs"]["serviceAccount"].rsplit("/", 1)[-1]
            for r in resources(data, "trigger:Trigger")
        ),
    }
    problems += [
        f"logWriter for a non-build account {row['member']}"
        for row in data["iam"]
        if row["role"] == "roles/logging.logWriter" and row["member"] not in build_accounts
    ]
    problems += [
        "IAM policy or binding resources replace others' grants: " + r["type"]
        for r in data["resources"]
        if re.search(r"Iam(Policy|Binding)|IAMPolicy|IAMBinding", r["type"])
    ]
    return problems


def runtime_reads_only_its_secrets(data, config):
    (service,) = resources(data, "service:Service")
    runtime = "serviceAccount:" + service["inputs"]["template"]["serviceAccount"]
    forbidden = {
        f"{config.service_name}-db-admin-password",
        f"{config.service_name}-superuser-password",
    }
    return [
        f"{row['member']} reads {row['resource']}"
        for row in data["iam"]
        if row["member"] == runtime and row["resource"] in forbidden
    ]


def each_account_reads_the_secrets_it_uses(data, config):
    """The service's and each job's account can read every secret in its environment."""
    accounts = {}
    for r in resources(data, "service:Service"):
        accounts[r["name"]] = r["inputs"]["template"]["serviceAccount"]
    for r in resources(data, "cloudrunv2/job:Job"):
        accounts[r["name"]] = r["inputs"]["template"]["template"]["serviceAccount"]
    readable = {
        (row["member"].removeprefix("serviceAccount:"), row["resource"])
        for row in data["iam"]
        if row["role"] == "roles/secretmanager.secretAccessor"
    }
    return [
        f"{name} cannot read {ref['secret']}"
        for name, ref in secret_refs(data)
        if (accounts[name], ref["secret"]) not in readable
    ]


def bucket_is_private_and_uniform(data, config):
    problems = []
    for bucket in resources(data, "bucket:Bucket"):
        inputs = bucket["inputs"]
        if inputs.get("uniformBucketLevelAccess") is not True:
            problems.append("bucket without uniform bucket-level access")
        if inputs.get("publicAccessPrevention") != "enforced":
            problems.append("bucket without public access prevention")
        if len(inputs["name"]) > 63:
            problems.append(f"bucket name too long: {inputs['name']}")
    problems += [
        r["type"]
        for r in data["resources"]
        if "acl" in r["type"].lower() or "AccessControl" in r["type"]
    ]
    return problems


def database_is_hardened(data, config):
    (instance,) = resources(data, "databaseInstance:DatabaseInstance")
    settings = instance["inputs"]["settings"]
    ip, backups = settings["ipConfiguration"], settings["backupConfiguration"]
    problems = []
    if ip.get("sslMode") != "ENCRYPTED_ONLY":
        problems.append("connections may be unencrypted")
    if ip.get("authorizedNetworks"):
        problems.append("authorised networks open the instance")
    if ip.get("ipv4Enabled") is config.database.private_ip:
        problems.append("public IP does not follow private_ip")
    if backups.get("enabled") is not True or not backups.get("startTime"):
        problems.append("no scheduled backups")
    if (
        backups["backupRetentionSettings"]["retainedBackups"]
        != config.database.backup_retention_days
    ):
        problems.append("backup retention differs from the config")
    if backups.get("pointInTimeRecoveryEnabled") is not config.database.point_in_time_recovery:
        problems.append("PITR differs from the config")
    protect = config.database.deletion_protection
    if (
        instance["inputs"]["deletionProtection"] is not protect
        or settings["deletionProtectionEnabled"] is not protect
    ):
        problems.append("deletion protection differs from the config")
    return problems


def deploy_jobs(data):
    """The jobs a deployment runs: the cron jobs have no execution token."""
    jobs = resources(data, "cloudrunv2/job:Job")
    return [r for r in jobs if "runExecutionToken" in r["inputs"]]


def jobs_run_in_order_before_the_service(data, config):
    jobs = deploy_jobs(data)
    (service,) = resources(data, "service:Service")
    db_init = next(
        r
        for r in jobs
        if r["inputs"]["template"]["template"]["containers"][0]["args"] == ["cloudrun_db_init"]
    )
    migrate = next(
        r
        for r in jobs
        if r["inputs"]["template"]["template"]["containers"][0]["args"] == ["cloudrun_migrate"]
    )
    problems = [] if len(jobs) == 2 else [f"{len(jobs)} jobs, expected db-init and migrate"]
    if f"gcp:cloudrunv2/job:Job::{db_init['name']}" not in migrate["depends_on"]:
        problems.append("migrate does not wait for db-init")
    if f"gcp:cloudrunv2/job:Job::{migrate['name']}" not in service["depends_on"]:
        problems.append("the service does not wait for migrate")
    for job in jobs:
        token = job["inputs"]["runExecutionToken"]
        if len(job["inputs"]["name"]) + len(token) >= 63:
            problems.append(f"{job['inputs']['name']} + token is 63 characters or more")
    return problems


def cron_jobs_are_scheduled_not_run_at_deploy(data, config):
    """One token-less job and one scheduler job per [[cron]] entry, started by an account
    that may run those jobs and do nothing else."""
    jobs = resources(data, "cloudrunv2/job:Job")
    cron = [r for r in jobs if "runExecutionToken" not in r["inputs"]]
    triggers = resources(data, "cloudscheduler/job:Job")
    problems = []
    if not (len(cron) == len(triggers) == len(config.cron)):
        problems.append(f"{len(cron)} cron jobs, {len(triggers)} triggers, {len(config.cron)}")
    names = {r["inputs"]["name"] for r in cron}
    schedulers = {
        "serviceAccount:" + t["inputs"]["httpTarget"]["oauthToken"]["serviceAccountEmail"]
        for t in triggers
    }
    for row in data["iam"]:
        if row["member"] in schedulers and (
            row["role"] != "roles/run.invoker" or row["on"] != "job" or row["resource"] not in names
        ):
            problems.append(f"scheduler account holds {row}")
    for trigger in triggers:
        job = trigger["inputs"]["httpTarget"]["uri"].rsplit("/", 1)[-1].removesuffix(":run")
        if job not in names:
            problems.append(f"{trigger['name']} starts {job}, not a cron job")
        if not any(row["member"] in schedulers and row["resource"] == job for row in data["iam"]):
            problems.append(f"nobody may start {job}")
    return problems


def probes_within_cloud_run_limits(data, config):
    (service,) = resources(data, "service:Service")
    (container,) = service["inputs"]["template"]["containers"]
    startup, liveness = container["startupProbe"], container["livenessProbe"]
    problems = []
    if startup["httpGet"]["path"] != "/health/" or liveness["httpGet"]["path"] != "/health/live":
        problems.append("probes do not ask /health/ and /health/live")
    if not (
        startup["periodSeconds"] <= 240
        and startup["failureThreshold"] * startup["periodSeconds"] <= 3600
    ):
        problems.append("startup probe outside Cloud Run's limits")
    for probe in (startup, liveness):
        if probe["timeoutSeconds"] > probe["periodSeconds"]:
            problems.append("probe timeout longer than its period")
    return problems


def environment_names_come_from_the_contract(data, config):
    known = {var.name for var in contract.CONTRACT if var.scope is not contract.Scope.PLATFORM}
    known |= set(config.environment_variables) | set(config.secret_environment_variables)
    return [
        f"{name}: {env['name']}"
        for name, container in containers(data)
        for env in container.get("envs", [])
        if env["name"] not in known
    ]


def service_urls_are_exact(data, config):
    (service,) = resources(data, "service:Service")
    (container,) = service["inputs"]["template"]["containers"]
    env = {e["name"]: e.get("value") for e in container["envs"]}
    expected = [f"https://{config.service_name}-PROJECT_NUMBER.{config.region}.run.app"]
    expected += [f"https://{domain}" for domain in config.custom_domains]
    problems = [] if env.get("CLOUDRUN_SERVICE_URLS") == ",".join(expected) else ["service URLs"]
    if "*" in (env.get("CLOUDRUN_SERVICE_URLS") or ""):
        problems.append("wildcard host")
    return problems


def no_secret_values(data, config):
    text = json.dumps(data)
    leaked = [v for v in deploy(config).secret_values if v in text]
    leaked += [
        name
        for name, value in config.environment_variables.items()
        if ("KEY" in name or "TOKEN" in name or "PASSWORD" in name) and value in text
    ]
    return leaked


def monitoring_is_complete(data, config):
    alerts = {r["name"].rsplit("-alert-", 1)[1] for r in resources(data, "alertPolicy:AlertPolicy")}
    problems = [
        f"missing alert {a}" for a in {"errors", "latency", "cpu", "memory", "connections"} - alerts
    ]
    if len(resources(data, "slo:Slo")) != 2:
        problems.append("SLOs missing")
    if bool(resources(data, "notificationChannel:NotificationChannel")) != bool(
        config.monitoring.alert_email
    ):
        problems.append("email channel does not follow monitoring.alert_email")
    return problems


def private_ip_has_private_services_access(data, config):
    """A private IP gets a reserved range and a peering connection, and waits for them,
    unless the network already has them."""
    db = config.database
    ranges = resources(data, "globalAddress:GlobalAddress")
    connections = resources(data, "servicenetworking/connection:Connection")
    if not (db.private_ip and db.private_services_access == "create"):
        return [f"unasked {r['type']}" for r in ranges + connections]
    if len(ranges) != 1 or len(connections) != 1:
        return [f"{len(ranges)} ranges and {len(connections)} connections, expected one each"]
    (reserved,), (connection,) = ranges, connections
    (instance,) = resources(data, "databaseInstance:DatabaseInstance")
    network = instance["inputs"]["settings"]["ipConfiguration"]["privateNetwork"]
    problems = []
    if {k: reserved["inputs"].get(k) for k in ("purpose", "addressType", "network")} != {
        "purpose": "VPC_PEERING",
        "addressType": "INTERNAL",
        "network": network,
    }:
        problems.append(f"range {reserved['inputs']}")
    if not 16 <= reserved["inputs"].get("prefixLength", 0) <= 24:
        problems.append("range smaller than Cloud SQL's /24 minimum or without a size")
    inputs = connection["inputs"]
    if (inputs["network"], inputs["service"], inputs["reservedPeeringRanges"]) != (
        network,
        "servicenetworking.googleapis.com",
        [reserved["inputs"]["name"]],
    ):
        problems.append(f"connection {inputs}")
    if f"{connection['type']}::{connection['name']}" not in instance["depends_on"]:
        problems.append("the instance does not wait for the connection")
    return problems


def the_service_waits_for_what_google_may_refuse(data, config):
    """A refused trigger fails the update before the service moves traffic."""
    (service,) = resources(data, "service:Service")
    return [
        f"the service does not wait for {r['name']}"
        for r in resources(data, "cloudbuild/trigger:Trigger")
        if f"{r['type']}::{r['name']}" not in service["depends_on"]
    ]


POLICIES = [
    public_only_when_asked,
    private_ip_has_private_services_access,
    the_service_waits_for_what_google_may_refuse,
    secrets_pinned_to_versions,
    roles_are_allowed_and_scoped,
    runtime_reads_only_its_secrets,
    each_account_reads_the_secrets_it_uses,
    bucket_is_private_and_uniform,
    database_is_hardened,
    jobs_run_in_order_before_the_service,
    cron_jobs_are_scheduled_not_run_at_deploy,
    probes_within_cloud_run_limits,
    environment_names_come_from_the_contract,
    service_urls_are_exact,
    no_secret_values,
    monitoring_is_complete,
]


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def planned(request):
    config = CONFIGS[request.param]()
    return config, plan(config)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: policy.__name__)
def test_policy(planned, policy):
    config, data = planned
    assert policy(data, config) == []


def test_redacted_values_are_marked():
    data = plan(CONFIGS["private-direct-api"]())
    versions = resources(data, "secretVersion:SecretVersion")
    assert versions and all(v["inputs"]["secretData"] == REDACTED for v in versions)
    env = {e["name"]: e.get("value") for _, c in containers(data) for e in c["envs"]}
    assert env["STRIPE_PUBLISHABLE_KEY"] == REDACTED
