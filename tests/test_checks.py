"""The cloudrun.* system checks, in process and through ``manage.py check [--deploy]``."""

from __future__ import annotations

import pytest
from django.core.checks.registry import registry
from django.test import override_settings

from django_cloudrun import checks
from django_cloudrun.settings import HEALTH_MIDDLEWARE
from pg import manage, scratch
from served import production_env


def test_wildcard_allowed_hosts_is_reported():
    with override_settings(ALLOWED_HOSTS=["*"]):
        assert checks.check_allowed_hosts(None) == [checks.W001]
    with override_settings(ALLOWED_HOSTS=["example.com"]):
        assert checks.check_allowed_hosts(None) == []


def test_health_middleware_must_come_first(settings):
    settings.MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", HEALTH_MIDDLEWARE]
    assert checks.check_health_middleware(None) == [checks.W002]
    settings.MIDDLEWARE = [HEALTH_MIDDLEWARE, "django.middleware.security.SecurityMiddleware"]
    assert checks.check_health_middleware(None) == []


def test_debug_on_cloud_run_is_reported(settings, monkeypatch):
    settings.DEBUG = True
    assert checks.check_debug(None) == []
    monkeypatch.setenv("K_SERVICE", "demo-django")
    assert checks.check_debug(None) == [checks.W003]


def test_public_read_media_acl_is_reported(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {"bucket_name": "b", "default_acl": "publicRead"},
        },
    }
    assert checks.check_media_acl(None) == [checks.W004]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_pool_with_persistent_connections_is_an_error(settings):
    database = {**settings.DATABASES["default"], "CONN_MAX_AGE": 60}
    database["OPTIONS"] = {**database.get("OPTIONS", {}), "pool": {"max_size": 2}}
    settings.DATABASES = {**settings.DATABASES, "default": database}
    assert checks.check_pool_persistent_connections(None) == [checks.E001]


def test_production_only_rules_run_with_deploy_and_the_others_always():
    always = set(registry.get_checks())
    deploy_only = set(registry.get_checks(include_deployment_checks=True)) - always
    assert {checks.check_allowed_hosts, checks.check_debug} <= deploy_only
    assert {
        checks.check_health_middleware,
        checks.check_media_acl,
        checks.check_pool_persistent_connections,
    } <= always


def cloudrun_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "cloudrun." in line]


@pytest.mark.slow
def test_check_deploy_on_the_example_reports_no_cloudrun_warning():
    with scratch() as space:
        result = manage(["check", "--deploy"], production_env(space.env()))
        assert result.returncode == 0, result.stderr
        assert cloudrun_lines(result.stdout + result.stderr) == []


@pytest.mark.slow
def test_check_without_deploy_ignores_a_wildcard_host_and_reports_a_persistent_pool():
    with scratch() as space:
        env = production_env(space.env(), DJANGO_SETTINGS_MODULE="wildcard_settings")
        wildcard = manage(["check"], env)
        assert wildcard.returncode == 0, wildcard.stderr
        assert cloudrun_lines(wildcard.stdout + wildcard.stderr) == []
        env = production_env(space.env(), DJANGO_SETTINGS_MODULE="persistent_pool_settings")
        pool = manage(["check"], env)
        assert pool.returncode == 1 and "(cloudrun.E001)" in pool.stderr, pool.stderr


@pytest.mark.slow
def test_check_deploy_reports_a_forced_wildcard_host():
    with scratch() as space:
        env = production_env(space.env(), DJANGO_SETTINGS_MODULE="wildcard_settings")
        result = manage(["check", "--deploy"], env)
        lines = cloudrun_lines(result.stdout + result.stderr)
        assert len(lines) == 1 and "(cloudrun.W001)" in lines[0], result.stdout + result.stderr


# A settings module shaped like cookiecutter-django's: DATABASES = {"default": env.db()}.
CONTRACT_DB = {
    "DB_HOST": "/cloudsql/proj:us-central1:demo",
    "DB_NAME": "django",
    "DB_USER": "django",
    "DB_PASSWORD": "pw",
}


def _env_db(url: str) -> dict:
    import environ

    return environ.Env.db_url_config(url)


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_project_database_elsewhere_than_the_contracts_is_reported(settings, monkeypatch):
    for name, value in CONTRACT_DB.items():
        monkeypatch.setenv(name, value)
    settings.DATABASES = {"default": _env_db("postgres://me:pw@db.example.com/mine")}
    [warning] = checks.check_database_is_the_contracts(None)
    assert warning.id == checks.W005
    assert "HOST 'db.example.com' instead of '/cloudsql/proj:us-central1:demo'" in warning.msg
    assert "NAME 'mine' instead of 'django'" in warning.msg and "pw" not in warning.msg


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_project_database_read_from_database_url_is_the_contracts(settings, monkeypatch):
    from django_cloudrun import contract

    for name, value in CONTRACT_DB.items():
        monkeypatch.setenv(name, value)
    url = contract.database_url(
        user="django", password="pw", host=CONTRACT_DB["DB_HOST"], port="", name="django"
    )
    settings.DATABASES = {"default": _env_db(url)}
    assert checks.check_database_is_the_contracts(None) == []


def test_project_media_storage_elsewhere_is_reported(settings, monkeypatch):
    monkeypatch.setenv("CLOUDRUN_MEDIA_MODE", "fuse")
    monkeypatch.setenv("MEDIA_ROOT", "/app/media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.gcloud.GoogleCloudStorage",
            "OPTIONS": {"bucket_name": "their-bucket"},
        },
    }
    [warning] = checks.check_media_storage_is_the_contracts(None)
    assert warning.id == checks.W006 and "'gs://their-bucket'" in warning.msg
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/app/media"},
        },
    }
    assert checks.check_media_storage_is_the_contracts(None) == []


def test_project_logging_on_cloud_run_is_reported(settings, monkeypatch):
    from django_cloudrun.logs import logging_config

    monkeypatch.setenv("K_SERVICE", "demo-django")
    settings.LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,  # as Django advises; Django 6 applies it in tests
        "handlers": {"console": {"class": "logging.StreamHandler"}},
    }
    assert checks.check_logging_is_structured(None) == [checks.W007]
    settings.LOGGING = logging_config(json=True)
    assert checks.check_logging_is_structured(None) == []
