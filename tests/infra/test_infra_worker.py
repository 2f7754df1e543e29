"""enable_worker under mocks: the broker, the worker pool, their wiring and their grants."""

from __future__ import annotations

from django_cloudrun import contract
from django_cloudrun.cloud.preflight import required_apis
from django_cloudrun.infra.mocks import MOCK_CA
from django_cloudrun.infra.plan import plan
from infra_support import (
    ACCOUNT,
    SECRET_VERSION,
    config_of,
    deploy,
    env_of,
    job_container,
    secret_value,
    service_container,
)

POOL = "gcp:cloudrunv2/workerPool:WorkerPool"
REDIS = "gcp:redis/instance:Instance"
PROJECT = "my-project"
NETWORK = f"projects/{PROJECT}/global/networks/prod"
SUBNET = f"projects/{PROJECT}/regions/us-central1/subnetworks/run"
WORKER = f"serviceAccount:demo-django-worker@{PROJECT}.iam.gserviceaccount.com"
RUNTIME = f"serviceAccount:demo-django-run@{PROJECT}.iam.gserviceaccount.com"
ACCESSOR = "roles/secretmanager.secretAccessor"
TEXT = (
    'project_id = "my-project"\n'
    '[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "run"\n'
    "[worker]\nenable_worker = true\nconcurrency = 3\ninstance_count = 2\n"
    'cpu = 2\nmemory = "2Gi"\ntask_time_limit = 600\n'
)


def test_the_broker_is_the_cheapest_memorystore_with_auth_and_tls():
    broker = deploy(TEXT).one(REDIS)
    assert broker["tier"] == "BASIC" and broker["memorySizeGb"] == 1
    assert broker["authEnabled"] is True
    assert broker["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    assert broker["authorizedNetwork"] == NETWORK
    assert broker["redisConfigs"] == {"maxmemory-policy": "noeviction"}
    assert broker["region"] == "us-central1"


def test_the_pool_runs_the_web_image_as_the_worker_with_manual_scaling():
    declared = deploy(TEXT, image="us-docker.pkg.dev/p/r/app@sha256:abc")
    pool = declared.one(POOL)
    assert pool["scaling"] == {"scalingMode": "MANUAL", "manualInstanceCount": 2}
    (container,) = pool["template"]["containers"]
    assert container["image"] == service_container(declared)["image"]
    assert container["commands"] == ["python", "manage.py"]
    assert container["args"] == ["cloudrun_worker", "--concurrency", "3"]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    assert pool["template"]["vpcAccess"]["networkInterfaces"] == [
        {"network": NETWORK, "subnetwork": SUBNET}
    ]
    assert pool["template"]["serviceAccount"] == WORKER.removeprefix("serviceAccount:")


def test_the_pool_has_the_service_environment_and_the_worker_contract():
    declared = deploy(TEXT)
    (container,) = declared.one(POOL)["template"]["containers"]
    plain, secret = env_of(container)
    service_plain, service_secret = env_of(service_container(declared))
    assert plain[contract.REMAP_SIGTERM.name] == "SIGQUIT"
    assert plain[contract.CLOUDRUN_TASK_TIME_LIMIT.name] == "600"
    assert plain[contract.DB_POOL_MAX_SIZE.name] == plain[contract.WEB_CONCURRENCY.name] == "3"
    assert plain[contract.CLOUDRUN_BROKER_CA.name] == MOCK_CA
    assert plain[contract.DB_HOST.name] == service_plain[contract.DB_HOST.name]
    assert set(secret) == set(service_secret)
    assert (
        secret[contract.CELERY_BROKER_URL.name] == service_secret[contract.CELERY_BROKER_URL.name]
    )
    assert contract.REMAP_SIGTERM.name not in service_plain
    assert plain[contract.CLOUDRUN_WORKER.name] == "1"
    assert contract.CLOUDRUN_WORKER.name not in service_plain
    assert service_plain[contract.CLOUDRUN_BROKER_CA.name] == MOCK_CA


def test_the_broker_url_is_a_secret_composed_from_auth_host_and_tls_port():
    declared = deploy(TEXT)
    (auth,) = [value for value in declared.secret_values if value.startswith("mock-auth-")]
    urls = [
        secret_value(inputs["secretData"])
        for (typ, name), inputs in declared.inputs.items()
        if typ == SECRET_VERSION and name.endswith("-broker-url")
    ]
    assert urls == [f"rediss://:{auth}@10.0.0.4:6378/0"]
    assert auth in declared.secret_values


def test_the_worker_account_reads_only_its_own_secrets_and_the_database():
    declared = deploy(TEXT)
    worker = {(role, resource) for member, role, resource in declared.iam() if member == WORKER}
    assert worker == {
        ("roles/cloudsql.client", PROJECT),
        (ACCESSOR, "demo-django-db-password"),
        (ACCESSOR, "demo-django-secret-key"),
        (ACCESSOR, "demo-django-database-url"),
        (ACCESSOR, "demo-django-broker-url"),
        ("roles/storage.objectAdmin", "my-project-demo-django-django-media"),
        ("roles/storage.legacyBucketReader", "my-project-demo-django-django-media"),
    }
    assert (RUNTIME, ACCESSOR, "demo-django-broker-url") in declared.iam()
    accounts = {inputs["accountId"] for inputs in declared.of_type(ACCOUNT).values()}
    assert "demo-django-worker" in accounts


def test_deploy_jobs_never_read_the_broker():
    declared = deploy(TEXT)
    for job in ("db-init", "migrate"):
        _plain, secret = env_of(job_container(declared, job))
        assert contract.CELERY_BROKER_URL.name not in secret


def test_without_the_worker_there_is_no_pool_and_no_broker():
    declared = deploy('project_id = "my-project"\n')
    assert not declared.of_type(POOL) and not declared.of_type(REDIS)
    plain, secret = env_of(service_container(declared))
    assert contract.CELERY_BROKER_URL.name not in secret
    assert contract.CLOUDRUN_BROKER_CA.name not in plain


def test_plan_shows_the_pool_the_broker_and_their_connections_without_a_warning():
    config = config_of(TEXT)
    data = plan(config)
    types = {resource["type"] for resource in data["resources"]}
    assert {POOL, REDIS} <= types
    assert data["budget"]["worker_processes"] == 6
    assert not any("worker" in line for line in data["warnings"])
    assert not any("not deployable" in line for line in data["warnings"])
    assert "mock-auth-" not in str(data)


def test_preflight_asks_for_memorystore_only_with_the_worker():
    assert "redis.googleapis.com" in required_apis(config_of(TEXT))
    assert "redis.googleapis.com" not in required_apis(config_of(""))
