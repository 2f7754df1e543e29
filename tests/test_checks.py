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
