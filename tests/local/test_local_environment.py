"""The environment `up` gives the service and each job: the names Cloud Run gives them."""

from __future__ import annotations

import environ
import pytest

from django_cloudrun.config import parse_config
from django_cloudrun.config.topology import JOBS, SECRETS, cron_job
from django_cloudrun.local.environment import LocalTarget, local_placement

SOCKET_DIR = "/srv/project/.cloudrun/local/run"


@pytest.fixture
def target() -> LocalTarget:
    config = parse_config('[database]\ndatabase = "shop"\nuser = "shop_app"\n')
    secrets = {ref.key: f"{ref.key}-value" for ref in SECRETS}
    return LocalTarget(config, local_placement(config, db_host=SOCKET_DIR, port=8000), secrets)


def test_service_and_every_job_get_database_url_of_the_db_variables(target):
    processes = [target.service(8000)] + [
        target.job(job) for job in (*JOBS, cron_job("prune", "prune_items"))
    ]
    for env in processes:
        parsed = environ.Env.db_url_config(env["DATABASE_URL"])
        assert parsed["OPTIONS"]["host"] == env["DB_HOST"] == SOCKET_DIR
        assert (
            (parsed["NAME"], parsed["USER"], parsed["PASSWORD"])
            == (
                env["DB_NAME"],
                env["DB_USER"],
                env["DB_PASSWORD"],
            )
            == ("shop", "shop_app", "db-password-value")
        )


def test_custom_domains_are_hosts_of_the_local_service_as_of_the_load_balancers():
    # The load balancer forwards each custom domain's Host unchanged; locally a request with
    # that Host on the local port is answered the same way.
    config = parse_config('custom_domains = ["shop.example.com"]\n[edge.waf]\nenabled = true\n')
    secrets = {ref.key: f"{ref.key}-value" for ref in SECRETS}
    local = LocalTarget(config, local_placement(config, db_host=SOCKET_DIR, port=8000), secrets)
    env = local.service(8000)
    assert env["CLOUDRUN_CUSTOM_DOMAINS"] == "shop.example.com"
    assert env["CLOUDRUN_SERVICE_URLS"] == "http://localhost:8000,http://127.0.0.1:8000"
