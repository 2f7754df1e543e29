"""What runs, in which order, with which environment: one definition for both targets.

infra/ (Cloud Run) and local/ (this machine) build their processes from these functions, so
the service and its jobs see the same variable names, and the jobs run in the same order,
wherever they run. Only the Placement (where the database socket, the URLs and the bucket
are) differs between targets.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from .. import contract
from ..contract import Scope
from .model import CloudRunConfig
from .platform import JOB_EXECUTION_ENVIRONMENT, SCHEDULER_DESCRIPTION_MAX
from .sections import MIB, CronJob

__all__ = [
    "CRON_PREFIX",
    "BROKER_URL_SECRET",
    "CRON_SCOPES",
    "CRON_TIMEOUT",
    "DATABASE_URL_SECRET",
    "JOB_EXECUTION_ENVIRONMENT",
    "Job",
    "JOBS",
    "Placement",
    "SecretRef",
    "SECRETS",
    "SERVICE_SCOPES",
    "SUPERUSER_SECRET",
    "WORKER_SCOPES",
    "cron_description",
    "cron_job",
    "cron_jobs",
    "plain_environment",
    "secret_environment",
    "secret_of",
    "worker_environment",
    "worker_pool_sizes",
]


@dataclass(frozen=True)
class Job:
    name: str
    command: tuple[str, ...]  # manage.py arguments
    scopes: frozenset[Scope]
    collects_static: bool = False  # writes the static bucket (static.mode gcs-cdn)


SERVICE_SCOPES = frozenset({Scope.SERVICE})
# The Celery worker: the service's environment, plus what only the worker reads.
WORKER_SCOPES = frozenset({Scope.SERVICE, Scope.WORKER})
# Run on every deployment, in this order, before the new revision gets traffic.
JOBS = (
    Job("db-init", ("cloudrun_db_init",), frozenset({Scope.SERVICE, Scope.DB_INIT})),
    Job(
        "migrate",
        ("cloudrun_migrate",),
        frozenset({Scope.SERVICE, Scope.MIGRATE}),
        collects_static=True,
    ),
)

# A [[cron]] entry runs as the job cron-NAME, with exactly the service's environment: never
# db-init's admin password nor migrate's superuser password, whichever command it runs.
CRON_PREFIX = "cron-"
CRON_SCOPES = SERVICE_SCOPES
CRON_TIMEOUT = 3600  # seconds a run may take, on Cloud Run (at most 24 h) and on this machine


def cron_job(name: str, command: str) -> Job:
    """The job of the [[cron]] entry `name`: its manage.py arguments split as a shell would."""
    return Job(f"{CRON_PREFIX}{name}", tuple(shlex.split(command)), CRON_SCOPES)


def cron_jobs(config: CloudRunConfig) -> tuple[Job, ...]:
    """One job per [[cron]] entry, in the order of cloudrun.toml."""
    return tuple(cron_job(entry.name, entry.command) for entry in config.cron)


def cron_description(entry: CronJob) -> str:
    """What the scheduler job of `entry` says it does, within Cloud Scheduler's limit."""
    text = f"Runs `manage.py {entry.command}` ({entry.name}) on {entry.schedule}"
    if len(text) <= SCHEDULER_DESCRIPTION_MAX:
        return text
    # Only the command can be long; the name and the schedule stay whole.
    room = SCHEDULER_DESCRIPTION_MAX - len(text) + len(entry.command) - 3
    return f"Runs `manage.py {entry.command[:room]}...` ({entry.name}) on {entry.schedule}"


@dataclass(frozen=True)
class SecretRef:
    """A generated secret: its id suffix in Secret Manager and the variable it fills."""

    key: str
    variable: contract.EnvVar
    length: int


# Secrets generated for every deployment; each is its own secret (the superuser's password
# is never the database password).
SECRETS = (
    SecretRef("db-password", contract.DB_PASSWORD, 32),
    SecretRef("secret-key", contract.SECRET_KEY, 50),
    SecretRef("superuser-password", contract.DJANGO_SUPERUSER_PASSWORD, 24),
    SecretRef("db-admin-password", contract.DB_ADMIN_PASSWORD, 32),
)


def secret_of(variable: contract.EnvVar) -> SecretRef:
    """The generated secret that fills ``variable``."""
    return next(ref for ref in SECRETS if ref.variable is variable)


SUPERUSER_SECRET = secret_of(contract.DJANGO_SUPERUSER_PASSWORD).key


# DATABASE_URL carries DB_PASSWORD, so it is a secret of its own, whose value each target
# composes from the database's place and the generated db-password (infra: a Secret Manager
# version; local: at start). Settings read it at import, before configure() runs, so it must
# be in the environment when the process starts, and Cloud Run can only put a whole secret
# version into a variable: "Variable references are not supported in Cloud Run"
# (https://cloud.google.com/run/docs/reference/rest/v2/Container#EnvVar; secrets as
# variables: https://cloud.google.com/run/docs/configuring/services/secrets).
DATABASE_URL_SECRET = "database-url"
# CELERY_BROKER_URL carries the broker's AUTH string, so it is a composed secret too.
BROKER_URL_SECRET = "broker-url"


@dataclass(frozen=True)
class Placement:
    """Where things are on one target."""

    db_host: str  # a socket directory (/cloudsql/PROJECT:REGION:INSTANCE) or a host
    service_urls: tuple[str, ...]
    db_port: str = ""
    bucket: str = ""
    project_id: str = ""
    broker_ca: str = ""  # PEM certificates the broker's TLS certificate must chain to
    static_bucket: str = ""  # static.mode gcs-cdn: the bucket (locally, on the GCS emulator)


def _scoped(scopes: frozenset[Scope], values: dict[contract.EnvVar, str]) -> dict[str, str]:
    return {var.name: value for var, value in values.items() if var.scope in scopes and value != ""}


def plain_environment(
    config: CloudRunConfig, placement: Placement, scopes: frozenset[Scope] = SERVICE_SCOPES
) -> dict[str, str]:
    """Variables with plain values for a process that receives ``scopes``."""
    budget = config.budget
    values = {
        contract.DJANGO_SETTINGS_MODULE: config.settings_module or "",
        contract.DB_ENGINE: "django.db.backends.postgresql",
        contract.DB_HOST: placement.db_host,
        contract.DB_PORT: placement.db_port,
        contract.DB_NAME: config.database.database,
        contract.DB_USER: config.database.user,
        contract.DB_POOL_MAX_SIZE: str(budget.pool_per_instance),
        contract.DB_ADMIN_USER: contract.ADMIN_ROLE,
        contract.DB_EXTENSIONS: ",".join(config.database.extensions),
        contract.DJANGO_SUPERUSER_USERNAME: config.superuser.username,
        contract.DJANGO_SUPERUSER_EMAIL: config.superuser.email,
        contract.MEDIA_MODE: config.media.mode,
        contract.MEDIA_ROOT: config.media.mount_path if config.media.mode == "fuse" else "",
        contract.GS_BUCKET_NAME: placement.bucket,
        contract.STATIC_BUCKET: placement.static_bucket,
        contract.CLOUDRUN_SERVICE_URLS: ",".join(placement.service_urls),
        contract.CLOUDRUN_CUSTOM_DOMAINS: ",".join(config.custom_domains),
        contract.CLOUDRUN_LOG_FORMAT: "json" if config.logging.json_lines else "text",
        contract.CLOUDRUN_REQUEST_TIMEOUT: str(config.timeout_seconds),
        contract.CLOUDRUN_MAX_CONCURRENCY: str(config.max_concurrency),
        contract.CLOUDRUN_MAX_REQUEST_BODY: str(config.http.max_request_body_mib * MIB),
        contract.CLOUDRUN_TRACING_ENABLED: "1" if config.tracing.enabled else "",
        contract.CLOUDRUN_TRACE_SAMPLE_RATIO: (
            str(config.tracing.sample_ratio) if config.tracing.enabled else ""
        ),
        contract.CLOUDRUN_SECRET_VARIABLES: ",".join(sorted(config.secret_environment_variables)),
        contract.GOOGLE_CLOUD_PROJECT: placement.project_id,
        **_worker_values(config, placement),
    }
    return {**_scoped(scopes, values), **config.environment_variables}


def _worker_values(config: CloudRunConfig, placement: Placement) -> dict[contract.EnvVar, str]:
    worker = config.worker
    if not worker.enable_worker:
        return {}
    return {
        contract.CLOUDRUN_CELERY_APP: worker.app or "",
        contract.CLOUDRUN_BROKER_CA: placement.broker_ca,
        contract.CLOUDRUN_TASK_TIME_LIMIT: str(worker.task_time_limit),
        contract.REMAP_SIGTERM: contract.REMAP_SIGTERM_VALUE,
        contract.CLOUDRUN_WORKER: "1",
    }


def worker_pool_sizes(config: CloudRunConfig) -> dict[str, str]:
    """What the worker's environment changes from the service's: each of its processes runs
    one task at a time, so each holds one database connection (the budget counts them so)."""
    processes = str(config.worker.concurrency)
    return {contract.DB_POOL_MAX_SIZE.name: processes, contract.WEB_CONCURRENCY.name: processes}


def worker_environment(config: CloudRunConfig, placement: Placement) -> dict[str, str]:
    """The worker's plain variables."""
    return {
        **plain_environment(config, placement, WORKER_SCOPES),
        **worker_pool_sizes(config),
    }


def secret_environment(
    config: CloudRunConfig, scopes: frozenset[Scope] = SERVICE_SCOPES
) -> dict[str, str]:
    """Variable name -> secret: a SecretRef key for generated ones, else the project's id."""
    generated = {ref.variable.name: ref.key for ref in SECRETS if ref.variable.scope in scopes}
    if contract.DATABASE_URL.scope in scopes:
        generated[contract.DATABASE_URL.name] = DATABASE_URL_SECRET
    # Processes that send or run tasks (the service, cron jobs, the worker) read the broker's
    # URL; db-init and migrate do not.
    if config.worker.enable_worker and scopes <= WORKER_SCOPES:
        generated[contract.CELERY_BROKER_URL.name] = BROKER_URL_SECRET
    # Settings that read the key as DJANGO_SECRET_KEY get the same secret.
    if contract.DJANGO_SECRET_KEY.scope in scopes:
        generated[contract.DJANGO_SECRET_KEY.name] = secret_of(contract.SECRET_KEY).key
    return {**generated, **config.secret_environment_variables}
