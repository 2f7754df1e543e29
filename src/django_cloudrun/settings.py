"""Settings in one line: ``from django_cloudrun.settings import configure; configure(globals())``.

configure() fills the settings a Cloud Run deployment needs from the environment contract.
A value the project set before the call wins, except for the production safety rules, which
always apply on Cloud Run (K_SERVICE is set in the service, CLOUD_RUN_JOB in its jobs):

- DEBUG is False, whatever DJANGO_DEBUG or settings.py say;
- SECRET_KEY comes from the environment (Secret Manager); a key written in the source is refused;
  SECRET_KEY_FALLBACKS lists the keys a rotation retired, so what they signed stays valid;
- ALLOWED_HOSTS never contains "*": it lists the service URLs and custom domains;
- cookies are Secure and the TLS-terminating proxy is trusted when the service URLs are https;
  over plain http (the local target) the https redirect and Secure cookies are off.

Values that ``django-admin startproject`` writes (the SQLite database, an empty
ALLOWED_HOSTS) count as unset; its "django-insecure-" key serves local development only.

The project's own DATABASES, STORAGES and LOGGING win; system checks cloudrun.W005, W006
and W007 report them when they point elsewhere than the database, media place and log format
the environment provides, so neither side wins or loses silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from . import concurrency, contract
from .logs import logging_config

__all__ = ["configure", "is_production"]

HEALTH_MIDDLEWARE = "django_cloudrun.health.HealthCheckMiddleware"
TRACE_MIDDLEWARE = "django_cloudrun.logs.TraceContextMiddleware"
BODY_LIMIT_MIDDLEWARE = "django_cloudrun.guards.RequestBodyLimitMiddleware"
NUL_MIDDLEWARE = "django_cloudrun.guards.NulCharacterMiddleware"
HOSTS_MIDDLEWARE = "django_cloudrun.guards.AllowedHostsMiddleware"
UNAVAILABLE_MIDDLEWARE = "django_cloudrun.unavailable.DatabaseUnavailableMiddleware"
MEDIA_MIDDLEWARE = "django_cloudrun.media.MediaFilesMiddleware"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"

OWN_MIDDLEWARE = (
    HEALTH_MIDDLEWARE,
    TRACE_MIDDLEWARE,
    BODY_LIMIT_MIDDLEWARE,
    NUL_MIDDLEWARE,
    UNAVAILABLE_MIDDLEWARE,
    HOSTS_MIDDLEWARE,
    WHITENOISE_MIDDLEWARE,
    MEDIA_MIDDLEWARE,
)
# The most form data a body may carry besides files, and the largest file Django keeps in
# memory rather than spooling it to the temporary directory: neither may exceed the limit.
UPLOAD_MEMORY_SETTINGS = ("DATA_UPLOAD_MAX_MEMORY_SIZE", "FILE_UPLOAD_MAX_MEMORY_SIZE")

# How long a request waits for a pooled connection. While the database is down none comes:
# the request gets its 503 with Retry-After within 2 s instead of holding a thread for long.
# A pool busy for that long (fewer connections than threads, slow queries) is saturated, and
# the 503 sheds load it could not serve in time. The waiting line needs no cap of its own
# (max_waiting): a process never has more requests waiting than threads.
POOL_TIMEOUT_SECONDS = 1.5
# psycopg_pool retries a failed connection after 1 s, then 2, 4, 8 ... until
# reconnect_timeout, then gives up and the next request that finds no connection starts a
# new attempt at once. Giving up after half a second caps the wait between attempts, so
# the pool is back within a second of the database, however long the outage lasted. (The
# backoff itself is internal to psycopg_pool, and Django builds the pool: this option is
# the way in, with no subclass to maintain.)
# https://www.psycopg.org/psycopg3/docs/api/pool.html (reconnect_timeout)
RECONNECT_TIMEOUT_SECONDS = 0.5
CONNECT_TIMEOUT_SECONDS = 5
ONE_YEAR = 365 * 24 * 3600


def is_production(environ: Mapping[str, str] = os.environ) -> bool:
    """On Cloud Run: in the service (K_SERVICE), in one of its jobs (CLOUD_RUN_JOB), or in
    the worker (CLOUDRUN_WORKER, which django-cloudrun sets on the worker pool)."""
    return bool(
        environ.get(contract.K_SERVICE.name)
        or environ.get(contract.CLOUD_RUN_JOB.name)
        or contract.is_true(environ.get(contract.CLOUDRUN_WORKER.name, ""))
    )


def configure(
    namespace: MutableMapping[str, Any], environ: Mapping[str, str] | None = None
) -> None:
    """Fill a settings module's namespace (``globals()``) for Cloud Run or local use."""
    env = os.environ if environ is None else environ
    production = is_production(env)
    base_dir = Path(namespace.get("BASE_DIR") or Path.cwd())

    _ensure_app(namespace)
    namespace["DEBUG"] = False if production else _debug(namespace, env)
    namespace["SECRET_KEY"] = _secret_key(namespace, env, production)
    _secret_key_fallbacks(namespace, env)
    _hosts(namespace, env, production)
    _databases(namespace, env, production)
    media_mode = _media_mode(env)
    _static_and_media(namespace, env, production, base_dir, media_mode)
    _request_body(namespace, env)
    _middleware(namespace, production, media_mode, bool(env.get(contract.STATIC_BUCKET.name)))
    _security(namespace, env, production)
    if not _user_set(namespace, "LOGGING"):
        log_format = env.get(contract.CLOUDRUN_LOG_FORMAT.name) or (
            "json" if production else "text"
        )
        namespace["LOGGING"] = logging_config(json=log_format == "json")
    _tracing(namespace, env)


def _user_set(namespace: Mapping[str, Any], name: str) -> bool:
    """Whether the project set ``name`` to something other than startproject's default."""
    if name not in namespace:
        return False
    value = namespace[name]
    if name == "DATABASES":
        engine = (value or {}).get("default", {}).get("ENGINE", "")
        return bool(value) and not engine.endswith("sqlite3")
    if name in ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "LOGGING", "STORAGES"):
        return bool(value)
    return value is not None


def _ensure_app(namespace: MutableMapping[str, Any]) -> None:
    apps = list(namespace.get("INSTALLED_APPS", []))
    if "django_cloudrun" not in apps:
        apps.append("django_cloudrun")
    namespace["INSTALLED_APPS"] = apps


def _debug(namespace: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    raw = env.get(contract.DJANGO_DEBUG.name)
    if raw is None:
        return bool(namespace.get("DEBUG", False))
    return contract.is_true(raw)


def _tracing(namespace: MutableMapping[str, Any], env: Mapping[str, str]) -> None:
    """The tracing settings; django_cloudrun.tracing validates and applies them when the app
    is ready (AppConfig.ready)."""
    enabled = contract.is_true(env.get(contract.CLOUDRUN_TRACING_ENABLED.name, ""))
    namespace.setdefault(contract.CLOUDRUN_TRACING_ENABLED.name, enabled)
    ratio = env.get(contract.CLOUDRUN_TRACE_SAMPLE_RATIO.name, "").strip()
    if ratio:
        namespace.setdefault(contract.CLOUDRUN_TRACE_SAMPLE_RATIO.name, ratio)


def _secret_key(namespace: Mapping[str, Any], env: Mapping[str, str], production: bool) -> str:
    from_env = env.get(contract.SECRET_KEY.name, "")
    if from_env:
        return from_env
    if production:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set in the environment. On Cloud Run it comes from Secret "
            "Manager; a key written in settings.py is never used in production."
        )
    in_source = namespace.get("SECRET_KEY")
    if not in_source:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: export SECRET_KEY or define it in settings.py for "
            "local development."
        )
    return str(in_source)


def _secret_key_fallbacks(namespace: MutableMapping[str, Any], env: Mapping[str, str]) -> None:
    """Keys retired by a rotation still verify what they signed; new signatures use SECRET_KEY."""
    fallbacks = _csv(env, contract.SECRET_KEY_FALLBACKS)
    if fallbacks or not _user_set(namespace, "SECRET_KEY_FALLBACKS"):
        namespace["SECRET_KEY_FALLBACKS"] = fallbacks


def _csv(env: Mapping[str, str], var: contract.EnvVar) -> list[str]:
    return contract.csv(env.get(var.name, ""))


def service_urls(env: Mapping[str, str]) -> list[str]:
    urls = _csv(env, contract.CLOUDRUN_SERVICE_URLS)
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"{contract.CLOUDRUN_SERVICE_URLS.name}: {url!r} is not an http(s) URL"
            )
    return urls


def _hosts(namespace: MutableMapping[str, Any], env: Mapping[str, str], production: bool) -> None:
    urls = service_urls(env)
    domains = _csv(env, contract.CLOUDRUN_CUSTOM_DOMAINS)
    hosts = [str(urlsplit(url).hostname) for url in urls] + domains
    origins = [f"{p.scheme}://{p.netloc}" for p in map(urlsplit, urls)]
    origins += [f"https://{domain}" for domain in domains]

    if _user_set(namespace, "ALLOWED_HOSTS"):
        hosts = list(namespace["ALLOWED_HOSTS"]) + hosts
    if production:
        hosts = [host for host in hosts if host != "*"]
        if not hosts:
            raise ImproperlyConfigured(
                f"ALLOWED_HOSTS would be empty: set {contract.CLOUDRUN_SERVICE_URLS.name} "
                f"(the service's URLs) or {contract.CLOUDRUN_CUSTOM_DOMAINS.name}."
            )
    elif not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    namespace["ALLOWED_HOSTS"] = _unique(hosts)

    if _user_set(namespace, "CSRF_TRUSTED_ORIGINS"):
        origins = list(namespace["CSRF_TRUSTED_ORIGINS"]) + origins
    namespace["CSRF_TRUSTED_ORIGINS"] = _unique(origins)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _databases(
    namespace: MutableMapping[str, Any], env: Mapping[str, str], production: bool
) -> None:
    if _user_set(namespace, "DATABASES"):
        return
    host = env.get(contract.DB_HOST.name, "")
    if not host:
        if production:
            raise ImproperlyConfigured(
                f"{contract.DB_HOST.name} is not set: production needs the Cloud SQL socket "
                "directory (/cloudsql/PROJECT:REGION:INSTANCE) or a host name."
            )
        if "DATABASES" not in namespace:
            raise ImproperlyConfigured(
                f"{contract.DB_HOST.name} is not set and settings.py defines no DATABASES: "
                "export DB_HOST (and DB_NAME, DB_USER, DB_PASSWORD) for the local PostgreSQL."
            )
        return  # local development keeps the database settings.py defines
    try:
        pool_size = concurrency.pool_size_per_process(env)
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
    namespace["DATABASES"] = {
        "default": {
            "ENGINE": contract.DB_ENGINE.get(env),
            "HOST": host,
            "PORT": env.get(contract.DB_PORT.name, ""),
            "NAME": contract.DB_NAME.get(env),
            "USER": contract.DB_USER.get(env),
            "PASSWORD": env.get(contract.DB_PASSWORD.name, ""),
            # Connections are pooled per process; persistent connections would bypass it.
            "CONN_MAX_AGE": 0,
            # The pool checks a connection before handing it out (ConnectionPool.check_
            # connection): those a database restart ended are replaced, not used.
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "pool": {
                    "min_size": 1,
                    "max_size": pool_size,
                    "timeout": POOL_TIMEOUT_SECONDS,
                    "reconnect_timeout": RECONNECT_TIMEOUT_SECONDS,
                },
            },
        }
    }


def _media_mode(env: Mapping[str, str]) -> str:
    mode = contract.MEDIA_MODE.get(env)
    if mode not in ("fuse", "api"):
        raise ImproperlyConfigured(f"{contract.MEDIA_MODE.name} must be fuse or api, got {mode!r}")
    return mode


def _static_and_media(
    namespace: MutableMapping[str, Any],
    env: Mapping[str, str],
    production: bool,
    base_dir: Path,
    mode: str,
) -> None:
    namespace["STATIC_ROOT"] = (
        env.get(contract.STATIC_ROOT.name)
        or namespace.get("STATIC_ROOT")
        or str(base_dir / "staticfiles")
    )
    namespace.setdefault("STATIC_URL", "static/")
    namespace["MEDIA_URL"] = namespace.get("MEDIA_URL") or "/media/"
    # The project's own storages win (checks.W006 says so when media go elsewhere); an alias
    # it leaves out is filled, since collectstatic and uploads need both.
    own = dict(namespace["STORAGES"]) if _user_set(namespace, "STORAGES") else {}
    if {"default", "staticfiles"} <= own.keys():
        return

    if mode == "api":
        bucket = env.get(contract.GS_BUCKET_NAME.name, "")
        if not bucket:
            raise ImproperlyConfigured(
                f"{contract.GS_BUCKET_NAME.name} is not set: media mode api stores files "
                "in that Cloud Storage bucket."
            )
        # django-cloudrun up, media api
        emulated = bool(env.get(contract.STORAGE_EMULATOR_HOST.name))
        default = {
            "BACKEND": "django_cloudrun.storage_emulator.EmulatorStorage"
            if emulated
            else "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                # Access is granted by IAM on the bucket; objects never get ACLs.
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
                # On Cloud Run there is no key file: sign URLs through the IAM API with the
                # service's own credentials. An emulator has no IAM API and signs locally.
                "iam_sign_blob": not emulated,
            },
        }
    else:
        namespace["MEDIA_ROOT"] = (
            env.get(contract.MEDIA_ROOT.name)
            or namespace.get("MEDIA_ROOT")
            or str(base_dir / "media")
        )
        default = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

    namespace["STORAGES"] = {
        "default": default,
        "staticfiles": _static_storage(namespace, env, production),
        **own,
    }


def _static_storage(
    namespace: MutableMapping[str, Any], env: Mapping[str, str], production: bool
) -> dict[str, Any]:
    """WhiteNoise's manifest storage in production, the static bucket in gcs-cdn mode."""
    bucket = env.get(contract.STATIC_BUCKET.name, "")
    if bucket:
        # The load balancer sends this path to the bucket (static.mode = "gcs-cdn").
        namespace["STATIC_URL"] = contract.STATIC_PATH
        return {
            "BACKEND": "django_cloudrun.static_storage.CdnStaticStorage",
            "OPTIONS": {"bucket_name": bucket},
        }
    if production:
        return {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    return {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _request_body(namespace: MutableMapping[str, Any], env: Mapping[str, str]) -> None:
    """The body limit, and Django's in-memory upload sizes kept within it."""
    try:
        limit = concurrency.positive_int(env, contract.CLOUDRUN_MAX_REQUEST_BODY)
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
    namespace["CLOUDRUN_MAX_REQUEST_BODY"] = limit
    for name in UPLOAD_MEMORY_SETTINGS:
        size = namespace.get(name, getattr(global_settings, name))
        namespace[name] = limit if size is None else min(size, limit)


def _middleware(
    namespace: MutableMapping[str, Any], production: bool, media_mode: str, static_in_bucket: bool
) -> None:
    middleware = [name for name in namespace.get("MIDDLEWARE", []) if name not in OWN_MIDDLEWARE]
    # Probes answer first: before host validation, sessions and the database.
    after_security = (
        middleware.index(SECURITY_MIDDLEWARE) + 1 if SECURITY_MIDDLEWARE in middleware else 0
    )
    # Locally, before any collectstatic, runserver serves static files itself.
    # With a static bucket, Cloud CDN serves them and WhiteNoise is off.
    whitenoise = not static_in_bucket and (production or Path(namespace["STATIC_ROOT"]).is_dir())
    served = [WHITENOISE_MIDDLEWARE] if whitenoise else []
    if media_mode == "fuse":
        served.append(MEDIA_MIDDLEWARE)
    if served:
        # WhiteNoise and media never ask for the host: validate it before they answer.
        served.insert(0, HOSTS_MIDDLEWARE)
    middleware[after_security:after_security] = served
    namespace["MIDDLEWARE"] = [
        HEALTH_MIDDLEWARE,
        TRACE_MIDDLEWARE,
        BODY_LIMIT_MIDDLEWARE,
        NUL_MIDDLEWARE,
        UNAVAILABLE_MIDDLEWARE,
        *middleware,
    ]


# Settings that need the TLS front end Cloud Run has and a plain-http target lacks.
HTTPS_ONLY = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


def _security(
    namespace: MutableMapping[str, Any], env: Mapping[str, str], production: bool
) -> None:
    if not production:
        return
    urls = service_urls(env)
    https_only = all(url.startswith("https://") for url in urls)
    if not https_only:
        # A production build served over plain http, such as the local target: what only
        # works behind TLS would make it unreachable (a redirect to https, cookies a client
        # never sends back), whatever the project's production settings say.
        for name in HTTPS_ONLY:
            namespace.pop(name, None)
        return
    # Cloud Run terminates TLS and forwards the scheme in X-Forwarded-Proto.
    namespace["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    namespace["SESSION_COOKIE_SECURE"] = True
    namespace["CSRF_COOKIE_SECURE"] = True
    namespace.setdefault("SECURE_SSL_REDIRECT", True)
    namespace.setdefault("SECURE_HSTS_SECONDS", ONE_YEAR)
    namespace.setdefault("SECURE_CONTENT_TYPE_NOSNIFF", True)
