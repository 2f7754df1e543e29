"""The container contract: what the container and its two hosts agree on, defined once.

Every environment variable the container reads, with its runtime default; the port it
listens on, the user it runs as, the database administrator db-init connects as, the
probes that decide whether it gets traffic or is restarted, and the marker that replaces a
secret wherever one would be shown. infra/ sets these on the Cloud Run service and jobs,
local/ applies them to the processes it starts, scaffold/ writes them into the Dockerfile,
and the runtime (settings, health, commands, server, logs) reads them. Nothing else spells
an environment variable name or one of these values. The module imports nothing beyond the
standard library, so the runtime may use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal
from urllib.parse import quote

__all__ = [
    "Scope",
    "EnvVar",
    "CONTRACT",
    "csv",
    "database_url",
    "is_true",
    "DEFAULT_PORT",
    "CONTAINER_UID",
    "CONTAINER_GID",
    "ADMIN_ROLE",
    "REDACTED",
    "Probe",
    "ProbeKind",
    "STARTUP_PROBE",
    "LIVENESS_PROBE",
    "DB_ENGINE",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DATABASE_URL",
    "DB_POOL_MAX_SIZE",
    "DB_ADMIN_USER",
    "DB_ADMIN_PASSWORD",
    "DB_EXTENSIONS",
    "DB_OWNER_ROLE",
    "SECRET_KEY",
    "DJANGO_SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "CLOUDRUN_SECRET_VARIABLES",
    "DJANGO_DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_SUPERUSER_USERNAME",
    "DJANGO_SUPERUSER_EMAIL",
    "DJANGO_SUPERUSER_PASSWORD",
    "GS_BUCKET_NAME",
    "MEDIA_MODE",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "STATIC_COLLECTED",
    "STATIC_BUCKET",
    "STATIC_PATH",
    "CLOUDRUN_SERVICE_URLS",
    "CLOUDRUN_CUSTOM_DOMAINS",
    "CLOUDRUN_LOG_FORMAT",
    "CLOUDRUN_REQUEST_TIMEOUT",
    "CLOUDRUN_MAX_CONCURRENCY",
    "CLOUDRUN_MAX_REQUEST_BODY",
    "MAX_REQUEST_BODY_BYTES",
    "CLOUDRUN_TRACING_ENABLED",
    "CLOUDRUN_TRACE_SAMPLE_RATIO",
    "WEB_CONCURRENCY",
    "CELERY_BROKER_URL",
    "CLOUDRUN_WORKER",
    "CLOUDRUN_BROKER_CA",
    "CLOUDRUN_CELERY_APP",
    "CLOUDRUN_TASK_TIME_LIMIT",
    "REMAP_SIGTERM",
    "REMAP_SIGTERM_VALUE",
    "SIGTERM_GRACE_SECONDS",
    "WORKER_SOFT_SHUTDOWN_SECONDS",
    "GOOGLE_CLOUD_PROJECT",
    "PORT",
    "K_SERVICE",
    "K_REVISION",
    "K_CONFIGURATION",
    "CLOUD_RUN_JOB",
    "CLOUD_RUN_EXECUTION",
    "CLOUD_RUN_TASK_INDEX",
    "CLOUD_RUN_TASK_ATTEMPT",
    "CLOUD_RUN_TASK_COUNT",
    "PYTHONUNBUFFERED",
    "STORAGE_EMULATOR_HOST",
    "GOOGLE_APPLICATION_CREDENTIALS",
]

DEFAULT_PORT = 8080  # Cloud Run's default container port, and the server's without PORT
# The image's unprivileged user `django` (scaffold's Dockerfile). The media mount (GCS FUSE)
# must belong to it, or uploads fail with permission denied.
CONTAINER_UID = 2000
CONTAINER_GID = 2000
# The administrator role Cloud SQL creates with every PostgreSQL instance; db-init connects
# as it, and the local cluster is initialised with the same name.
ADMIN_ROLE = "postgres"
# What a secret value reads as in log lines, `plan` and `config show`.
REDACTED = "[redacted]"


class Scope(str, Enum):
    """Which processes receive a variable."""

    SERVICE = "service"  # the web service and every job that shares its configuration
    DB_INIT = "db-init"  # only the db-init job: it holds the admin credentials
    MIGRATE = "migrate"  # only the migrate job: it creates the superuser
    PLATFORM = "platform"  # set by Cloud Run itself, never by us
    IMAGE = "image"  # set by the image (scaffold's Dockerfile); a project may override it
    LOCAL = "local"  # set only by `django-cloudrun up` and `run`, never on Cloud Run
    WORKER = "worker"  # only the Celery worker (the worker pool, and `up`'s worker)


@dataclass(frozen=True)
class EnvVar:
    name: str
    meaning: str
    scope: Scope = Scope.SERVICE
    secret: bool = False
    default: str = ""  # what the container assumes when the variable is unset or empty

    def __str__(self) -> str:
        return self.name

    def get(self, environ: Mapping[str, str] = os.environ) -> str:
        """The variable's value in ``environ``, or its default when unset or empty."""
        return environ.get(self.name) or self.default


DB_ENGINE = EnvVar("DB_ENGINE", "Django database backend.", default="django.db.backends.postgresql")
DB_HOST = EnvVar(
    "DB_HOST",
    "Socket directory such as /cloudsql/PROJECT:REGION:INSTANCE, or a host name.",
)
DB_PORT = EnvVar("DB_PORT", "Database port; 5432 unless the server says otherwise.")
DB_NAME = EnvVar("DB_NAME", "Name of the application database.", default="django")
DB_USER = EnvVar("DB_USER", "Role the application connects as.", default="django")
DB_PASSWORD = EnvVar("DB_PASSWORD", "Password of DB_USER.", secret=True)
DATABASE_URL = EnvVar(
    "DATABASE_URL",
    "The database of DB_* as one URL, for settings that read it (django-environ, "
    "dj-database-url): postgres://USER:PASSWORD@/NAME?host=SOCKET_DIRECTORY.",
    secret=True,
)
DB_POOL_MAX_SIZE = EnvVar(
    "DB_POOL_MAX_SIZE",
    "Database connections one instance may open, shared by its worker processes.",
    default="4",
)
DB_ADMIN_USER = EnvVar(
    "DB_ADMIN_USER",
    "Administrator role db-init connects as.",
    scope=Scope.DB_INIT,
    default=ADMIN_ROLE,
)
DB_ADMIN_PASSWORD = EnvVar(
    "DB_ADMIN_PASSWORD", "Password of DB_ADMIN_USER.", scope=Scope.DB_INIT, secret=True
)
DB_EXTENSIONS = EnvVar(
    "DB_EXTENSIONS",
    "Comma-separated PostgreSQL extensions db-init creates.",
    scope=Scope.DB_INIT,
)
DB_OWNER_ROLE = EnvVar(
    "DB_OWNER_ROLE",
    "NOLOGIN role that owns the database and its schema, for alternating users: DB_USER is "
    "one of two login roles that are its members and work as it (their role default), so "
    "`rotate db-password` changes the one not in use. Unset: DB_USER owns the database.",
    scope=Scope.DB_INIT,
)
SECRET_KEY = EnvVar("SECRET_KEY", "Django's SECRET_KEY.", secret=True)
DJANGO_SECRET_KEY = EnvVar(
    "DJANGO_SECRET_KEY",
    "SECRET_KEY's value again, for settings that read it under this name (django-environ "
    'templates: env("DJANGO_SECRET_KEY")).',
    secret=True,
)
SECRET_KEY_FALLBACKS = EnvVar(
    "SECRET_KEY_FALLBACKS",
    "Comma-separated previous SECRET_KEYs, still accepted for sessions, password-reset links "
    "and signed cookies during the grace period after `rotate secret-key`.",
    secret=True,
)
CLOUDRUN_SECRET_VARIABLES = EnvVar(
    "CLOUDRUN_SECRET_VARIABLES",
    "Comma-separated names of the variables filled from secret_environment_variables; "
    "their values are redacted from logs.",
)
DJANGO_DEBUG = EnvVar(
    "DJANGO_DEBUG",
    "Enables DEBUG outside production; ignored on Cloud Run (K_SERVICE or CLOUD_RUN_JOB set).",
)
DJANGO_SETTINGS_MODULE = EnvVar(
    "DJANGO_SETTINGS_MODULE",
    "Django's settings module, from settings_module in cloudrun.toml (the image sets it too).",
)
DJANGO_SUPERUSER_USERNAME = EnvVar(
    "DJANGO_SUPERUSER_USERNAME", "Username of the superuser created at deploy."
)
DJANGO_SUPERUSER_EMAIL = EnvVar("DJANGO_SUPERUSER_EMAIL", "Email of that superuser.")
DJANGO_SUPERUSER_PASSWORD = EnvVar(
    "DJANGO_SUPERUSER_PASSWORD",
    "Password of that superuser (its own secret, never the database password).",
    scope=Scope.MIGRATE,
    secret=True,
)
GS_BUCKET_NAME = EnvVar("GS_BUCKET_NAME", "Cloud Storage bucket that holds media files.")
MEDIA_MODE = EnvVar(
    "CLOUDRUN_MEDIA_MODE",
    "fuse: media are files under MEDIA_ROOT (a GCS FUSE mount); api: django-storages.",
    default="fuse",
)
MEDIA_ROOT = EnvVar("MEDIA_ROOT", "Directory of media files when CLOUDRUN_MEDIA_MODE=fuse.")
STATIC_ROOT = EnvVar("STATIC_ROOT", "Directory collectstatic writes to and WhiteNoise serves.")
STATIC_COLLECTED = EnvVar(
    "CLOUDRUN_STATIC_COLLECTED",
    "1 when static files were collected into the image, so migrate skips collectstatic "
    "(unless CLOUDRUN_STATIC_BUCKET asks for them in the bucket).",
)
# Where static files are served when a bucket holds them: the load balancer routes this path
# to the bucket, whose objects are stored under it.
STATIC_PATH = "/static/"
STATIC_BUCKET = EnvVar(
    "CLOUDRUN_STATIC_BUCKET",
    "Cloud Storage bucket that migrate collects static files into and Cloud CDN serves "
    "them from at STATIC_URL (static.mode gcs-cdn); unset: WhiteNoise serves them.",
)
CLOUDRUN_SERVICE_URLS = EnvVar(
    "CLOUDRUN_SERVICE_URLS", "Comma-separated https URLs the service answers on."
)
CLOUDRUN_CUSTOM_DOMAINS = EnvVar(
    "CLOUDRUN_CUSTOM_DOMAINS", "Comma-separated custom domain names mapped to the service."
)
CLOUDRUN_LOG_FORMAT = EnvVar(
    "CLOUDRUN_LOG_FORMAT",
    "json (Cloud Logging structured lines) or text (readable lines); unset: json in "
    "production, text elsewhere.",
)
CLOUDRUN_REQUEST_TIMEOUT = EnvVar(
    "CLOUDRUN_REQUEST_TIMEOUT",
    "Cloud Run request timeout in seconds; the server waits longer.",
    default="300",
)
CLOUDRUN_MAX_CONCURRENCY = EnvVar(
    "CLOUDRUN_MAX_CONCURRENCY", "Requests Cloud Run sends one instance at once.", default="80"
)
# Cloud Run's largest HTTP/1 request, https://cloud.google.com/run/quotas ("Maximum HTTP/1
# request size"): a larger body never reaches the container anyway.
MAX_REQUEST_BODY_BYTES = 32 * 1024 * 1024
CLOUDRUN_MAX_REQUEST_BODY = EnvVar(
    "CLOUDRUN_MAX_REQUEST_BODY",
    "Largest request body in bytes; a larger one is answered 413 before it is read.",
    default=str(MAX_REQUEST_BODY_BYTES),
)
CLOUDRUN_TRACING_ENABLED = EnvVar(
    "CLOUDRUN_TRACING_ENABLED",
    "1: requests and their SQL queries are traced with OpenTelemetry and exported to Cloud "
    "Trace (needs the package's `otel` extra in the image).",
)
CLOUDRUN_TRACE_SAMPLE_RATIO = EnvVar(
    "CLOUDRUN_TRACE_SAMPLE_RATIO",
    "Share (0 to 1) of requests traced among those that arrive without a sampling decision; "
    "a decision in traceparent or X-Cloud-Trace-Context, as Cloud Run sends, is followed.",
    default="0.1",
)
WEB_CONCURRENCY = EnvVar(
    "WEB_CONCURRENCY", "Worker processes of the server; by default one per CPU."
)
# Cloud Run sends SIGTERM, then SIGKILL 10 seconds later, to a service's and a worker pool's
# instances: https://cloud.google.com/run/docs/container-contract#instance-shutdown
SIGTERM_GRACE_SECONDS = 10
# The worker lets running tasks finish for this long after SIGTERM, then hands the rest back
# to the broker, within the grace period and with time to spare for the requeue and the exit.
WORKER_SOFT_SHUTDOWN_SECONDS = 5
CELERY_BROKER_URL = EnvVar(
    "CELERY_BROKER_URL",
    "URL of the Celery broker (redis:// or rediss:// with its AUTH string); tasks are sent "
    "and their results kept there.",
    secret=True,
)
CLOUDRUN_WORKER = EnvVar(
    "CLOUDRUN_WORKER",
    "1 in the Celery worker (the worker pool, and `up`'s worker): settings are production "
    "settings there, as in the service (Cloud Run sets K_SERVICE only in services).",
    scope=Scope.WORKER,
)
CLOUDRUN_BROKER_CA = EnvVar(
    "CLOUDRUN_BROKER_CA",
    "PEM certificate(s) of the broker's own certificate authority; with a rediss:// broker "
    "the service and the worker accept only a broker certified by them.",
)
CLOUDRUN_CELERY_APP = EnvVar(
    "CLOUDRUN_CELERY_APP",
    "The Celery application, as `celery -A` takes it (module or module:attribute).",
)
CLOUDRUN_TASK_TIME_LIMIT = EnvVar(
    "CLOUDRUN_TASK_TIME_LIMIT",
    "Seconds a task may run before the worker kills it; the broker redelivers an "
    "unacknowledged task only after twice this.",
    scope=Scope.WORKER,
    default="1800",
)
REMAP_SIGTERM = EnvVar(
    "REMAP_SIGTERM",
    "SIGQUIT on the worker: Celery treats SIGTERM as a bounded (soft, then cold) shutdown "
    "instead of waiting for every running task, so it exits inside Cloud Run's 10 s.",
    scope=Scope.WORKER,
)
# The value the worker runs with (Celery reads REMAP_SIGTERM when it is imported).
REMAP_SIGTERM_VALUE = "SIGQUIT"
GOOGLE_CLOUD_PROJECT = EnvVar(
    "GOOGLE_CLOUD_PROJECT", "Project id, used to name traces in log entries."
)
PORT = EnvVar(
    "PORT", "Port the server listens on.", scope=Scope.PLATFORM, default=str(DEFAULT_PORT)
)
K_SERVICE = EnvVar(
    "K_SERVICE",
    "Cloud Run service name; when set, settings are production settings.",
    scope=Scope.PLATFORM,
)
K_REVISION = EnvVar("K_REVISION", "Cloud Run revision name.", scope=Scope.PLATFORM)
K_CONFIGURATION = EnvVar("K_CONFIGURATION", "Cloud Run configuration name.", scope=Scope.PLATFORM)
CLOUD_RUN_JOB = EnvVar(
    "CLOUD_RUN_JOB",
    "Cloud Run job name, set in job executions (db-init, migrate); when set, settings are "
    "production settings, as in the service, so migrate collects static files for it.",
    scope=Scope.PLATFORM,
)
CLOUD_RUN_EXECUTION = EnvVar(
    "CLOUD_RUN_EXECUTION", "Name of the job execution.", scope=Scope.PLATFORM
)
CLOUD_RUN_TASK_INDEX = EnvVar(
    "CLOUD_RUN_TASK_INDEX", "Index of this task in its execution.", scope=Scope.PLATFORM
)
CLOUD_RUN_TASK_ATTEMPT = EnvVar(
    "CLOUD_RUN_TASK_ATTEMPT", "How many times this task was retried.", scope=Scope.PLATFORM
)
CLOUD_RUN_TASK_COUNT = EnvVar(
    "CLOUD_RUN_TASK_COUNT", "Number of tasks in the execution.", scope=Scope.PLATFORM
)
PYTHONUNBUFFERED = EnvVar(
    "PYTHONUNBUFFERED",
    "1: Python writes log lines as they happen, not when a buffer fills.",
    scope=Scope.IMAGE,
)
STORAGE_EMULATOR_HOST = EnvVar(
    "STORAGE_EMULATOR_HOST",
    "URL of a Cloud Storage emulator; when set, media (media mode api) and the static "
    "bucket (static mode gcs-cdn) are on it.",
    scope=Scope.LOCAL,
)
GOOGLE_APPLICATION_CREDENTIALS = EnvVar(
    "GOOGLE_APPLICATION_CREDENTIALS",
    "Service-account key file (Google's own variable): locally, the throwaway key that "
    "signs the emulator's media URLs.",
    scope=Scope.LOCAL,
)

CONTRACT: tuple[EnvVar, ...] = tuple(
    value for value in globals().copy().values() if isinstance(value, EnvVar)
)


def csv(value: str) -> list[str]:
    """How the container reads a list variable: comma-separated, blanks ignored."""
    return [item.strip() for item in value.split(",") if item.strip()]


def database_url(*, user: str, password: str, host: str, port: str, name: str) -> str:
    """The URL of a database, in the form both django-environ and dj-database-url parse.

    A socket directory (/cloudsql/PROJECT:REGION:INSTANCE) goes in the ``host`` query
    parameter: both libraries pass it to libpq as OPTIONS["host"], while a percent-encoded
    directory in the authority is decoded by dj-database-url only (django-environ 0.14
    keeps "%2F" as written). The password is URL-quoted, so any value survives.
    """
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    path = quote(name, safe="")
    if host.startswith("/"):
        query = f"host={quote(host, safe='/:')}" + (f"&port={port}" if port else "")
        return f"postgres://{credentials}@/{path}?{query}"
    authority = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"postgres://{credentials}@{authority}" + (f":{port}" if port else "") + f"/{path}"


def is_true(value: str) -> bool:
    """How the container reads a yes/no variable: 1, true, yes or on, in any case."""
    return value.strip().lower() in ("1", "true", "yes", "on")


# Cloud Run's probes of the container, https://cloud.google.com/run/docs/configuring/healthchecks
ProbeKind = Literal["startup", "liveness"]
STARTUP_PERIOD_MAX = 240
STARTUP_DELAY_MAX = 240
STARTUP_WINDOW_MAX = 3600  # failure_threshold x period_seconds
LIVENESS_PERIOD_MAX = 3600
LIVENESS_DELAY_MAX = 3600


@dataclass(frozen=True)
class Probe:
    """An HTTP GET probe of the container."""

    path: str
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    timeout_seconds: int = 1
    failure_threshold: int = 3

    @property
    def window_seconds(self) -> int:
        """How long the probe may keep failing before Cloud Run gives up."""
        return self.failure_threshold * self.period_seconds

    def problems(self, kind: ProbeKind) -> list[str]:
        """Each of Cloud Run's probe rules this probe breaks, as a sentence."""
        found = []
        if not self.path.startswith("/"):
            found.append(f"{kind} probe path must start with '/', got {self.path!r}")
        if min(self.period_seconds, self.timeout_seconds, self.failure_threshold) < 1:
            found.append(f"{kind} probe period, timeout and failure threshold must be >= 1")
        # run.v2 Probe.timeoutSeconds: "Must be smaller than periodSeconds" (periodSeconds
        # reads "greater or equal"; the stricter rule is the one both allow).
        if self.timeout_seconds >= self.period_seconds:
            found.append(
                f"{kind} probe timeout ({self.timeout_seconds}s) must be below its period "
                f"({self.period_seconds}s)"
            )
        period_max, delay_max = (
            (STARTUP_PERIOD_MAX, STARTUP_DELAY_MAX)
            if kind == "startup"
            else (LIVENESS_PERIOD_MAX, LIVENESS_DELAY_MAX)
        )
        if self.period_seconds > period_max:
            found.append(f"{kind} probe period must be <= {period_max}s")
        if not 0 <= self.initial_delay_seconds <= delay_max:
            found.append(f"{kind} probe initial delay must be between 0 and {delay_max}s")
        window = self.window_seconds
        if kind == "startup" and window > STARTUP_WINDOW_MAX:
            found.append(
                f"startup probe failure_threshold x period ({window}s) must be "
                f"<= {STARTUP_WINDOW_MAX}s"
            )
        return found


# The startup probe asks /health/ (database reachable, no unapplied migrations) every 5 s
# for up to 240 s, so a revision gets traffic seconds after it is ready, and a revision
# that cannot reach its database fails within four minutes instead of hanging.
STARTUP_PROBE = Probe("/health/", period_seconds=5, timeout_seconds=3, failure_threshold=48)
# /health/live never touches the database: a database outage must not restart every
# instance. Three misses 30 s apart mean the process is stuck.
LIVENESS_PROBE = Probe("/health/live", period_seconds=30, timeout_seconds=5, failure_threshold=3)
