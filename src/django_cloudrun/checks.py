"""System checks for unsafe Cloud Run settings.

Settings that are wrong wherever the app runs (probe middleware order, a public media ACL,
persistent connections on a pool) are checked by every ``manage.py check`` and by every command
that runs the checks, ``cloudrun_migrate`` included. Rules that only production needs (no "*"
host, DEBUG off) are registered with ``deploy=True``, as Django's own are: ``check --deploy``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .settings import HEALTH_MIDDLEWARE, is_production

__all__ = [
    "W001",
    "W002",
    "W003",
    "W004",
    "E001",
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
    acl = default.get("OPTIONS", {}).get("default_acl") or getattr(
        settings, "GS_DEFAULT_ACL", None
    )
    return [W004] if acl == "publicRead" else []


@register(Tags.database)
def check_pool_persistent_connections(app_configs: Any, **kwargs: Any) -> list[Error]:
    for database in settings.DATABASES.values():
        pooled = database.get("OPTIONS", {}).get("pool")
        if pooled and database.get("CONN_MAX_AGE", 0) != 0:
            return [E001]
    return []
