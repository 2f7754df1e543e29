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
