"""configure() on a settings namespace, in local and production modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_cloudrun import contract
from django_cloudrun.settings import HEALTH_MIDDLEWARE, configure

STARTPROJECT = {
    "BASE_DIR": Path("/srv/app"),
    "SECRET_KEY": "django-insecure-abc123",
    "DEBUG": True,
    "ALLOWED_HOSTS": [],
    "INSTALLED_APPS": ["django.contrib.admin", "django.contrib.staticfiles"],
    "MIDDLEWARE": [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    "DATABASES": {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app/db.sqlite3"}
    },
    "STATIC_URL": "static/",
}

PRODUCTION_ENV = {
    "K_SERVICE": "demo-django",
    "SECRET_KEY": "s" * 50,
    "DB_HOST": "/cloudsql/proj:us-central1:demo",
    "DB_NAME": "django",
    "DB_USER": "django",
    "DB_PASSWORD": "db-password-value",
    "DB_POOL_MAX_SIZE": "6",
    "WEB_CONCURRENCY": "2",
    "CLOUDRUN_SERVICE_URLS": "https://demo-django-123456.us-central1.run.app",
    "CLOUDRUN_CUSTOM_DOMAINS": "www.example.com",
}


def configured(env: dict[str, str], **overrides: object) -> dict[str, object]:
    namespace = {**STARTPROJECT, **overrides}
    namespace["MIDDLEWARE"] = list(namespace["MIDDLEWARE"])  # type: ignore[call-overload]
    configure(namespace, environ=env)
    return namespace


def test_production_builds_pooled_postgres_over_the_cloud_sql_socket():
    database = configured(PRODUCTION_ENV)["DATABASES"]["default"]  # type: ignore[index]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "/cloudsql/proj:us-central1:demo"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "django",
        "django",
        "db-password-value",
    )
    assert database["CONN_MAX_AGE"] == 0
    # six connections for the instance, shared by two worker processes
    assert database["OPTIONS"]["pool"]["max_size"] == 3


def test_production_forces_debug_off_whatever_the_environment_says():
    settings = configured({**PRODUCTION_ENV, "DJANGO_DEBUG": "true"}, DEBUG=True)
    assert settings["DEBUG"] is False


def test_local_debug_follows_the_environment():
    env = {"SECRET_KEY": "local", "DJANGO_DEBUG": "false"}
    assert configured(env)["DEBUG"] is False
    assert configured({"DJANGO_DEBUG": "1"}, DEBUG=False)["DEBUG"] is True


def test_production_requires_secret_key_from_the_environment():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    with pytest.raises(ImproperlyConfigured, match="^SECRET_KEY is not set"):
        configured(env, SECRET_KEY="a-key-written-in-settings-py-" * 3)


def test_production_secret_key_comes_from_the_environment():
    assert configured(PRODUCTION_ENV)["SECRET_KEY"] == "s" * 50


def test_local_keeps_the_development_key_from_settings_py():
    assert configured({})["SECRET_KEY"] == "django-insecure-abc123"


def test_allowed_hosts_and_csrf_origins_are_exact_in_production():
    settings = configured(PRODUCTION_ENV)
    assert settings["ALLOWED_HOSTS"] == [
        "demo-django-123456.us-central1.run.app",
        "www.example.com",
    ]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [
        "https://demo-django-123456.us-central1.run.app",
        "https://www.example.com",
    ]


def test_wildcard_host_is_dropped_in_production():
    settings = configured(PRODUCTION_ENV, ALLOWED_HOSTS=["*", "api.example.com"])
    assert "*" not in settings["ALLOWED_HOSTS"]  # type: ignore[operator]
    assert "api.example.com" in settings["ALLOWED_HOSTS"]  # type: ignore[operator]


def test_production_without_any_host_is_refused():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("CLOUDRUN_")}
    with pytest.raises(ImproperlyConfigured, match="CLOUDRUN_SERVICE_URLS"):
        configured(env)


def test_service_url_that_is_not_a_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match="'ftp://x' is not an http"):
        configured({**PRODUCTION_ENV, "CLOUDRUN_SERVICE_URLS": "ftp://x"})


def test_https_production_trusts_the_proxy_and_secures_cookies():
    settings = configured(PRODUCTION_ENV)
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True


def test_production_over_plain_http_leaves_cookies_usable():
    settings = configured({**PRODUCTION_ENV, "CLOUDRUN_SERVICE_URLS": "http://localhost:8080"})
    assert "SESSION_COOKIE_SECURE" not in settings
    assert settings["ALLOWED_HOSTS"][0] == "localhost"  # type: ignore[index]


def test_production_over_plain_http_drops_what_needs_tls_from_the_projects_settings():
    """A production template's settings (https redirect, Secure cookies) under `up`."""
    settings = configured(
        {**PRODUCTION_ENV, "CLOUDRUN_SERVICE_URLS": "http://localhost:8080"},
        SECURE_SSL_REDIRECT=True,
        SESSION_COOKIE_SECURE=True,
        CSRF_COOKIE_SECURE=True,
    )
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert name not in settings
    kept = configured(PRODUCTION_ENV, SECURE_SSL_REDIRECT=False)
    assert kept["SECURE_SSL_REDIRECT"] is False and kept["SESSION_COOKIE_SECURE"] is True


def test_explicit_database_settings_win():
    explicit = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "mine"}}
    assert configured(PRODUCTION_ENV, DATABASES=explicit)["DATABASES"] == explicit


def test_production_without_db_host_names_it():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DB_HOST"}
    with pytest.raises(ImproperlyConfigured, match="^DB_HOST is not set"):
        configured(env)


def test_bad_pool_size_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DB_POOL_MAX_SIZE must be a positive integer"):
        configured({**PRODUCTION_ENV, "DB_POOL_MAX_SIZE": "many"})


def test_health_middleware_first_and_whitenoise_after_security_and_host_validation():
    middleware = configured(PRODUCTION_ENV)["MIDDLEWARE"]
    assert middleware[0] == HEALTH_MIDDLEWARE  # type: ignore[index]
    security = middleware.index("django.middleware.security.SecurityMiddleware")  # type: ignore[attr-defined]
    # Before every middleware of the project, any of which could read the body or the query.
    for guard in ("RequestBodyLimitMiddleware", "NulCharacterMiddleware"):
        assert middleware.index(f"django_cloudrun.guards.{guard}") < security  # type: ignore[attr-defined]
    served = middleware[security + 1 : security + 4]  # type: ignore[index]
    assert served == [
        "django_cloudrun.guards.AllowedHostsMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django_cloudrun.media.MediaFilesMiddleware",
    ]


def test_configure_twice_does_not_duplicate_middleware():
    namespace = configured(PRODUCTION_ENV)
    once = list(namespace["MIDDLEWARE"])  # type: ignore[call-overload]
    configure(namespace, environ=PRODUCTION_ENV)
    assert namespace["MIDDLEWARE"] == once


def test_fuse_media_are_files_under_the_mount_path():
    settings = configured({**PRODUCTION_ENV, "MEDIA_ROOT": "/app/media"})
    assert settings["MEDIA_ROOT"] == "/app/media"
    assert settings["STORAGES"]["default"]["BACKEND"] == (  # type: ignore[index]
        "django.core.files.storage.FileSystemStorage"
    )
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (  # type: ignore[index]
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_api_media_use_gcs_without_acls_and_sign_through_iam():
    env = {**PRODUCTION_ENV, "CLOUDRUN_MEDIA_MODE": "api", "GS_BUCKET_NAME": "demo-django-media"}
    settings = configured(env)
    storage = settings["STORAGES"]["default"]  # type: ignore[index]
    assert storage["BACKEND"] == "storages.backends.gcloud.GoogleCloudStorage"
    assert storage["OPTIONS"]["bucket_name"] == "demo-django-media"
    assert storage["OPTIONS"]["default_acl"] is None
    assert storage["OPTIONS"]["iam_sign_blob"] is True
    assert "django_cloudrun.media.MediaFilesMiddleware" not in settings["MIDDLEWARE"]  # type: ignore[operator]


def test_api_media_without_bucket_names_it():
    with pytest.raises(ImproperlyConfigured, match="^GS_BUCKET_NAME is not set"):
        configured({**PRODUCTION_ENV, "CLOUDRUN_MEDIA_MODE": "api"})


def test_unknown_media_mode_is_refused():
    with pytest.raises(ImproperlyConfigured, match="CLOUDRUN_MEDIA_MODE must be fuse or api"):
        configured({**PRODUCTION_ENV, "CLOUDRUN_MEDIA_MODE": "nfs"})


def test_logging_is_json_in_production_and_text_locally():
    def formatter_of(settings: dict[str, object]) -> str:
        formatters = settings["LOGGING"]["formatters"]  # type: ignore[index]
        return " ".join(str(f) for f in formatters.values())

    assert "CloudLoggingFormatter" in formatter_of(configured(PRODUCTION_ENV))
    assert "TextFormatter" in formatter_of(configured({}))


def test_app_is_added_once():
    settings = configured(PRODUCTION_ENV, INSTALLED_APPS=["django_cloudrun"])
    assert settings["INSTALLED_APPS"] == ["django_cloudrun"]


def test_local_without_db_host_or_databases_names_db_host():
    namespace = {k: v for k, v in STARTPROJECT.items() if k != "DATABASES"}
    namespace["MIDDLEWARE"] = list(namespace["MIDDLEWARE"])
    with pytest.raises(
        ImproperlyConfigured, match="^DB_HOST is not set and settings.py defines no DATABASES"
    ):
        configure(namespace, environ={})


def test_local_whitenoise_waits_for_collected_static_files(tmp_path):
    before = configured({}, STATIC_ROOT=str(tmp_path / "missing"))
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in before["MIDDLEWARE"]  # type: ignore[operator]
    after = configured({}, STATIC_ROOT=str(tmp_path))
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in after["MIDDLEWARE"]  # type: ignore[operator]


def test_cloud_run_jobs_get_production_settings_like_the_service():
    job_env = {k: v for k, v in PRODUCTION_ENV.items() if k != "K_SERVICE"}
    settings = configured({**job_env, "CLOUD_RUN_JOB": "demo-django-migrate"})
    assert settings["DEBUG"] is False
    # migrate's collectstatic writes the manifest the service's storage reads.
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == (  # type: ignore[index]
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_api_media_on_an_emulator_sign_urls_with_the_local_key():
    env = {
        **PRODUCTION_ENV, "CLOUDRUN_MEDIA_MODE": "api", "GS_BUCKET_NAME": "demo-django-media",
        "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023",
    }  # fmt: skip
    storage = configured(env)["STORAGES"]["default"]  # type: ignore[index]
    assert storage["BACKEND"] == "django_cloudrun.storage_emulator.EmulatorStorage"
    assert storage["OPTIONS"]["iam_sign_blob"] is False


def test_tracing_is_off_unless_the_environment_turns_it_on():
    assert configured(PRODUCTION_ENV)["CLOUDRUN_TRACING_ENABLED"] is False
    env = {**PRODUCTION_ENV, "CLOUDRUN_TRACING_ENABLED": "1", "CLOUDRUN_TRACE_SAMPLE_RATIO": "0.5"}
    settings = configured(env)
    assert (settings["CLOUDRUN_TRACING_ENABLED"], settings["CLOUDRUN_TRACE_SAMPLE_RATIO"]) == (
        True,
        "0.5",
    )


def test_tracing_settings_of_the_project_win():
    env = {**PRODUCTION_ENV, "CLOUDRUN_TRACING_ENABLED": "1"}
    assert configured(env, CLOUDRUN_TRACING_ENABLED=False)["CLOUDRUN_TRACING_ENABLED"] is False


def _environ_parse(url: str) -> dict:
    import environ

    return environ.Env.db_url_config(url)


def _dj_database_url_parse(url: str) -> dict:
    import dj_database_url

    return dict(dj_database_url.parse(url))


def _connects_to(database: dict) -> tuple:
    options = database.get("OPTIONS") or {}
    host = database.get("HOST") or options.get("host") or ""
    port = str(database.get("PORT") or options.get("port") or "")
    return (host, port, database["NAME"], database["USER"], database["PASSWORD"])


@pytest.mark.parametrize("parse", [_environ_parse, _dj_database_url_parse])
@pytest.mark.parametrize(
    ("host", "port"),
    [
        ("/cloudsql/proj:us-central1:demo", ""),
        ("/srv/app/.cloudrun/run", "5433"),
        ("127.0.0.1", "5432"),
    ],
)
def test_database_url_parses_to_the_database_of_the_db_variables(parse, host, port):
    env = {**PRODUCTION_ENV, "DB_HOST": host, "DB_PORT": port, "DB_PASSWORD": "p-_w/:@%?x"}
    url = contract.database_url(
        user=env["DB_USER"], password=env["DB_PASSWORD"], host=host, port=port, name=env["DB_NAME"]
    )
    built = configured(env)["DATABASES"]["default"]  # type: ignore[index]
    parsed = parse(url)
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert _connects_to(parsed) == _connects_to(built)  # type: ignore[arg-type]


def test_project_storages_win_and_a_missing_alias_is_filled():
    own = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    storages = configured(PRODUCTION_ENV, STORAGES=own)["STORAGES"]
    assert storages["default"] == own["default"]  # type: ignore[index]
    assert storages["staticfiles"]["BACKEND"] == (  # type: ignore[index]
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_the_request_body_limit_defaults_to_cloud_runs_http1_limit():
    settings = configured(PRODUCTION_ENV)
    assert settings["CLOUDRUN_MAX_REQUEST_BODY"] == 32 * 1024 * 1024
    assert settings["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 2_621_440  # Django's own default
    assert settings["FILE_UPLOAD_MAX_MEMORY_SIZE"] == 2_621_440


def test_upload_memory_sizes_never_exceed_the_body_limit():
    env = {**PRODUCTION_ENV, "CLOUDRUN_MAX_REQUEST_BODY": "1000000"}
    settings = configured(env, DATA_UPLOAD_MAX_MEMORY_SIZE=None, FILE_UPLOAD_MAX_MEMORY_SIZE=500)
    assert settings["CLOUDRUN_MAX_REQUEST_BODY"] == 1_000_000
    assert settings["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 1_000_000  # None (no limit) is capped
    assert settings["FILE_UPLOAD_MAX_MEMORY_SIZE"] == 500  # the project's smaller value stays


@pytest.mark.parametrize("value", ["0", "-5", "32MiB"])
def test_a_request_body_limit_that_is_not_a_positive_integer_is_refused(value):
    with pytest.raises(ImproperlyConfigured, match=f"CLOUDRUN_MAX_REQUEST_BODY.*{value}"):
        configured({**PRODUCTION_ENV, "CLOUDRUN_MAX_REQUEST_BODY": value})


def test_the_pool_checks_connections_and_gives_up_waiting_and_reconnecting_quickly():
    database = configured(PRODUCTION_ENV)["DATABASES"]["default"]  # type: ignore[index]
    pool = database["OPTIONS"]["pool"]
    assert database["CONN_HEALTH_CHECKS"] is True  # Django passes the pool its check
    assert pool["timeout"] < 2  # a 503 within 2 s while the database is down
    assert pool["reconnect_timeout"] < 1  # attempts less than a second apart


def test_database_errors_become_503_outside_the_probes():
    middleware = configured(PRODUCTION_ENV)["MIDDLEWARE"]
    assert middleware[1:5] == [  # type: ignore[index]
        "django_cloudrun.logs.TraceContextMiddleware",
        "django_cloudrun.guards.RequestBodyLimitMiddleware",
        "django_cloudrun.guards.NulCharacterMiddleware",
        "django_cloudrun.unavailable.DatabaseUnavailableMiddleware",
    ]


def test_secret_key_fallbacks_come_from_the_environment():
    env = {**PRODUCTION_ENV, "SECRET_KEY_FALLBACKS": "old-key-1, old-key-2,"}
    assert configured(env)["SECRET_KEY_FALLBACKS"] == ["old-key-1", "old-key-2"]
    assert configured(PRODUCTION_ENV)["SECRET_KEY_FALLBACKS"] == []


def _rotated(settings, old_key: str, new_key: str) -> None:
    """The settings a process started after the rotation gets from configure()."""
    env = {**PRODUCTION_ENV, "SECRET_KEY": new_key, "SECRET_KEY_FALLBACKS": old_key}
    namespace = configured(env)
    settings.SECRET_KEY = namespace["SECRET_KEY"]
    settings.SECRET_KEY_FALLBACKS = namespace["SECRET_KEY_FALLBACKS"]


def test_a_session_and_a_reset_link_signed_before_a_rotation_stay_valid(settings):
    from django.contrib.auth.models import User
    from django.contrib.auth.tokens import PasswordResetTokenGenerator
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    old_key, new_key = "o" * 50, "n" * 50
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = old_key, []
    user = User(pk=7, username="admin", password="pbkdf2_sha256$1$salt$hash", email="a@b.c")
    session = SessionStore()
    session["_auth_user_id"] = "7"
    session.save()
    cookie = session.session_key
    token = PasswordResetTokenGenerator().make_token(user)

    _rotated(settings, old_key, new_key)
    assert SessionStore(session_key=cookie).load() == {"_auth_user_id": "7"}
    assert PasswordResetTokenGenerator().check_token(user, token)
    assert PasswordResetTokenGenerator().make_token(user) != token  # signed with the new key

    settings.SECRET_KEY_FALLBACKS = []  # once the grace period is over
    assert SessionStore(session_key=cookie).load() == {}
    assert not PasswordResetTokenGenerator().check_token(user, token)
