"""System checks for unsafe Cloud Run settings.

Settings that are wrong wherever the app runs (probe middleware order, a public media ACL,
persistent connections on a pool) are checked by every ``manage.py check`` and by every command
that runs the checks, ``cloudrun_migrate`` included. Rules that only production needs (no "*"
host, DEBUG off) are registered with ``deploy=True``, as Django's own are: ``check --deploy``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import contract
from .settings import HEALTH_MIDDLEWARE, is_production

__all__ = [
    "W001",
    "W002",
    "W003",
    "W004",
    "E001",
    "W005",
    "W006",
    "W007",
    "check_database_is_the_contracts",
    "check_media_storage_is_the_contracts",
    "check_logging_is_structured",
    "check_allowed_hosts",
    "check_health_middleware",
    "check_debug",
    "check_media_acl",
    "check_pool_persistent_connections",
]

W001 = Warning(
    'ALLOWED_HOSTS contains "*", so any Host header is accepted: cache poisoning and '
    "password-reset links to foreign hosts become possible.",
    hint="Remove '*'; configure() fills ALLOWED_HOSTS from CLOUDRUN_SERVICE_URLS and "
    "CLOUDRUN_CUSTOM_DOMAINS.",
    id="cloudrun.W001",
)
W002 = Warning(
    f"{HEALTH_MIDDLEWARE} is not the first middleware, so Cloud Run's probes meet host "
    "validation and the database before being answered.",
    hint="Call configure(globals()) at the end of settings.py, or put the middleware first.",
    id="cloudrun.W002",
)
W003 = Warning(
    "DEBUG is True on Cloud Run (K_SERVICE or CLOUD_RUN_JOB is set): tracebacks and "
    "settings are shown to visitors.",
    hint="Set DEBUG after configure() only for local work; production forces it to False.",
    id="cloudrun.W003",
)
W004 = Warning(
    'The media storage gives objects the "publicRead" ACL: every upload becomes public, and '
    "the bucket cannot enforce public access prevention.",
    hint="Leave default_acl unset; access is granted through IAM and signed URLs.",
    id="cloudrun.W004",
)
W005 = "cloudrun.W005"
W006 = "cloudrun.W006"
W007 = Warning(
    "LOGGING is the project's own on Cloud Run: its lines are not Cloud Logging's structured "
    "JSON, so they lose their severity, their trace and the redaction of secret values.",
    hint="Remove LOGGING from settings (configure() sets it), or use "
    "django_cloudrun.logs.logging_config(json=True) as its base.",
    id="cloudrun.W007",
)
E001 = Error(
    "A database uses connection pooling with CONN_MAX_AGE other than 0.",
    hint="Set CONN_MAX_AGE to 0: the pool keeps connections, persistent connections would "
    "bypass it.",
    id="cloudrun.E001",
)


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [W001] if "*" in settings.ALLOWED_HOSTS else []


@register(Tags.security, deploy=True)
def check_debug(app_configs: Any, **kwargs: Any) -> list[Warning]:
    return [W003] if settings.DEBUG and is_production() else []


@register(Tags.compatibility)
def check_health_middleware(app_configs: Any, **kwargs: Any) -> list[Warning]:
    middleware = list(settings.MIDDLEWARE)
    return [] if middleware[:1] == [HEALTH_MIDDLEWARE] else [W002]


@register(Tags.security)
def check_media_acl(app_configs: Any, **kwargs: Any) -> list[Warning]:
    default = settings.STORAGES.get("default", {})
    acl = default.get("OPTIONS", {}).get("default_acl") or getattr(settings, "GS_DEFAULT_ACL", None)
    return [W004] if acl == "publicRead" else []


# A rule on the DATABASES setting, not a query: untagged, so it runs on every `check` (Django 6
# runs database-tagged checks only when `check --database` names one).
@register()
def check_pool_persistent_connections(app_configs: Any, **kwargs: Any) -> list[Error]:
    for database in settings.DATABASES.values():
        pooled = database.get("OPTIONS", {}).get("pool")
        if pooled and database.get("CONN_MAX_AGE", 0) != 0:
            return [E001]
    return []


def _where(database: Mapping[str, Any]) -> dict[str, str]:
    """Where a DATABASES entry connects: host (HOST, or OPTIONS["host"] as DATABASE_URL
    parsers put a socket directory), port, name and user."""
    options = database.get("OPTIONS") or {}
    port = str(database.get("PORT") or options.get("port") or "")
    return {
        "HOST": str(database.get("HOST") or options.get("host") or ""),
        "PORT": "" if port == "5432" else port,  # libpq's default
        "NAME": str(database.get("NAME") or ""),
        "USER": str(database.get("USER") or ""),
    }


@register()  # a comparison of settings, untagged like E001's rule
def check_database_is_the_contracts(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The project's own DATABASES wins over DB_*; say so when it connects elsewhere."""
    env = os.environ
    if not env.get(contract.DB_HOST.name):
        return []  # no database provided: the project's is the only one
    expected = {
        "HOST": env[contract.DB_HOST.name],
        "PORT": ""
        if env.get(contract.DB_PORT.name) == "5432"
        else env.get(contract.DB_PORT.name, ""),
        "NAME": env.get(contract.DB_NAME.name, ""),
        "USER": env.get(contract.DB_USER.name, ""),
    }
    actual = _where(settings.DATABASES.get("default", {}))
    differ = [key for key, value in expected.items() if actual[key] != value]
    if not differ:
        return []
    found = ", ".join(f"{key} {actual[key]!r} instead of {expected[key]!r}" for key in differ)
    return [
        Warning(
            f"DATABASES['default'] is the project's own and connects elsewhere than the "
            f"database django-cloudrun provides ({found}); the project's setting is kept, so "
            "this process does not use the database of DB_HOST and DATABASE_URL.",
            hint="Remove DATABASES from settings (configure() builds it from DB_*), or build "
            "it from DATABASE_URL (env.db(), dj_database_url.config()), which names the same "
            "database.",
            id=W005,
        )
    ]


def _storage_place(default: Mapping[str, Any]) -> str:
    backend = str(default.get("BACKEND", ""))
    options = default.get("OPTIONS") or {}
    if backend.endswith(("GoogleCloudStorage", "EmulatorStorage")):
        bucket = options.get("bucket_name") or getattr(settings, "GS_BUCKET_NAME", "")
        return f"gs://{bucket}"
    if backend == "django.core.files.storage.FileSystemStorage":
        return str(options.get("location") or settings.MEDIA_ROOT)
    return backend


@register(Tags.compatibility)
def check_media_storage_is_the_contracts(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The project's own STORAGES wins; say so when media go elsewhere than the contract's."""
    env = os.environ
    mode = env.get(contract.MEDIA_MODE.name)
    if not mode:
        return []  # no media place provided
    if mode == "api":
        expected = f"gs://{env.get(contract.GS_BUCKET_NAME.name, '')}"
    else:
        expected = env.get(contract.MEDIA_ROOT.name) or str(settings.MEDIA_ROOT)
    actual = _storage_place(settings.STORAGES.get("default", {}))
    if actual == expected:
        return []
    return [
        Warning(
            f"STORAGES['default'] is the project's own and keeps media in {actual!r}, not in "
            f"{expected!r} where django-cloudrun provides them ({contract.MEDIA_MODE.name}="
            f"{mode}); the project's setting is kept.",
            hint="Remove STORAGES['default'] from settings (configure() sets it), or point it "
            f"at {expected!r}.",
            id=W006,
        )
    ]


@register(Tags.compatibility)
def check_logging_is_structured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if not is_production() or "django_cloudrun.logs" in repr(settings.LOGGING):
        return []
    return [W007]
