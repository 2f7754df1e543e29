"""The environment contract: every variable the container reads, defined once.

infra/ sets these on the Cloud Run service and jobs, local/ sets them on the processes it
starts, and the runtime (settings, commands, server) reads them. Nothing else spells an
environment variable name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Scope",
    "EnvVar",
    "CONTRACT",
    "csv",
    "is_true",
    "DB_ENGINE",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "DB_POOL_MAX_SIZE",
    "DB_ADMIN_USER",
    "DB_ADMIN_PASSWORD",
    "DB_EXTENSIONS",
    "SECRET_KEY",
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
    "CLOUDRUN_SERVICE_URLS",
    "CLOUDRUN_CUSTOM_DOMAINS",
    "CLOUDRUN_LOG_FORMAT",
    "CLOUDRUN_REQUEST_TIMEOUT",
    "CLOUDRUN_MAX_CONCURRENCY",
    "CLOUDRUN_TRACING_ENABLED",
    "CLOUDRUN_TRACE_SAMPLE_RATIO",
    "WEB_CONCURRENCY",
    "GOOGLE_CLOUD_PROJECT",
    "PORT",
    "K_SERVICE",
    "K_REVISION",
    "K_CONFIGURATION",
    "CLOUD_RUN_JOB",
]


class Scope(str, Enum):
    """Which processes receive a variable."""

    SERVICE = "service"  # the web service and every job that shares its configuration
    DB_INIT = "db-init"  # only the db-init job: it holds the admin credentials
    MIGRATE = "migrate"  # only the migrate job: it creates the superuser
    PLATFORM = "platform"  # set by Cloud Run itself, never by us


@dataclass(frozen=True)
class EnvVar:
    name: str
    meaning: str
    scope: Scope = Scope.SERVICE
    secret: bool = False

    def __str__(self) -> str:
        return self.name


DB_ENGINE = EnvVar("DB_ENGINE", "Django database backend (django.db.backends.postgresql).")
DB_HOST = EnvVar(
    "DB_HOST",
    "Socket directory such as /cloudsql/PROJECT:REGION:INSTANCE, or a host name.",
)
DB_PORT = EnvVar("DB_PORT", "Database port; 5432 unless the server says otherwise.")
DB_NAME = EnvVar("DB_NAME", "Name of the application database.")
DB_USER = EnvVar("DB_USER", "Role the application connects as.")
DB_PASSWORD = EnvVar("DB_PASSWORD", "Password of DB_USER.", secret=True)
DB_POOL_MAX_SIZE = EnvVar(
    "DB_POOL_MAX_SIZE",
    "Database connections one instance may open, shared by its worker processes.",
)
DB_ADMIN_USER = EnvVar(
    "DB_ADMIN_USER", "Administrator role db-init connects as.", scope=Scope.DB_INIT
)
DB_ADMIN_PASSWORD = EnvVar(
    "DB_ADMIN_PASSWORD", "Password of DB_ADMIN_USER.", scope=Scope.DB_INIT, secret=True
)
DB_EXTENSIONS = EnvVar(
    "DB_EXTENSIONS",
    "Comma-separated PostgreSQL extensions db-init creates.",
    scope=Scope.DB_INIT,
)
SECRET_KEY = EnvVar("SECRET_KEY", "Django's SECRET_KEY.", secret=True)
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
)
MEDIA_ROOT = EnvVar("MEDIA_ROOT", "Directory of media files when CLOUDRUN_MEDIA_MODE=fuse.")
STATIC_ROOT = EnvVar("STATIC_ROOT", "Directory collectstatic writes to and WhiteNoise serves.")
STATIC_COLLECTED = EnvVar(
    "CLOUDRUN_STATIC_COLLECTED",
    "1 when static files were collected into the image, so migrate skips collectstatic.",
)
CLOUDRUN_SERVICE_URLS = EnvVar(
    "CLOUDRUN_SERVICE_URLS", "Comma-separated https URLs the service answers on."
)
CLOUDRUN_CUSTOM_DOMAINS = EnvVar(
    "CLOUDRUN_CUSTOM_DOMAINS", "Comma-separated custom domain names mapped to the service."
)
CLOUDRUN_LOG_FORMAT = EnvVar(
    "CLOUDRUN_LOG_FORMAT", "json (Cloud Logging structured lines) or text (readable lines)."
)
CLOUDRUN_REQUEST_TIMEOUT = EnvVar(
    "CLOUDRUN_REQUEST_TIMEOUT", "Cloud Run request timeout in seconds; the server waits longer."
)
CLOUDRUN_MAX_CONCURRENCY = EnvVar(
    "CLOUDRUN_MAX_CONCURRENCY", "Requests Cloud Run sends one instance at once."
)
CLOUDRUN_TRACING_ENABLED = EnvVar(
    "CLOUDRUN_TRACING_ENABLED",
    "1: requests and their SQL queries are traced with OpenTelemetry and exported to Cloud "
    'Trace (needs `pip install "django-cloudrun[otel]"`).',
)
CLOUDRUN_TRACE_SAMPLE_RATIO = EnvVar(
    "CLOUDRUN_TRACE_SAMPLE_RATIO",
    "Share (0 to 1) of requests traced among those that arrive without a sampling decision; "
    "a decision in traceparent or X-Cloud-Trace-Context, as Cloud Run sends, is followed.",
)
WEB_CONCURRENCY = EnvVar(
    "WEB_CONCURRENCY", "Worker processes of the server; by default one per CPU."
)
GOOGLE_CLOUD_PROJECT = EnvVar(
    "GOOGLE_CLOUD_PROJECT", "Project id, used to name traces in log entries."
)
PORT = EnvVar("PORT", "Port the server listens on.", scope=Scope.PLATFORM)
K_SERVICE = EnvVar(
    "K_SERVICE", "Cloud Run service name; when set, settings are production settings.",
    scope=Scope.PLATFORM,
)
K_REVISION = EnvVar("K_REVISION", "Cloud Run revision name.", scope=Scope.PLATFORM)
K_CONFIGURATION = EnvVar(
    "K_CONFIGURATION", "Cloud Run configuration name.", scope=Scope.PLATFORM
)
CLOUD_RUN_JOB = EnvVar(
    "CLOUD_RUN_JOB",
    "Cloud Run job name, set in job executions (db-init, migrate); when set, settings are "
    "production settings, as in the service, so migrate collects static files for it.",
    scope=Scope.PLATFORM,
)

CONTRACT: tuple[EnvVar, ...] = tuple(
    value for value in globals().copy().values() if isinstance(value, EnvVar)
)


def csv(value: str) -> list[str]:
    """How the container reads a list variable: comma-separated, blanks ignored."""
    return [item.strip() for item in value.split(",") if item.strip()]


def is_true(value: str) -> bool:
    """How the container reads a yes/no variable: 1, true, yes or on, in any case."""
    return value.strip().lower() in ("1", "true", "yes", "on")
