"""The Cloud Run service: name, scaling, resources, probes, environment, ingress, invoker, VPC."""

from __future__ import annotations

import pytest

from django_cloudrun import contract
from django_cloudrun.config.topology import Placement, plain_environment, secret_environment
from django_cloudrun.infra.args import LIVENESS_PROBE, STARTUP_PROBE, Probe
from infra_support import (
    PROJECT_NUMBER,
    SERVICE,
    SERVICE_MEMBER,
    config_of,
    deploy,
    env_of,
    job_container,
    service_container,
)


def test_service_is_named_tenant_dash_app_in_the_region():
    service = deploy('tenant_deployment_id = "shop"\napp_name = "web"\nregion = "europe-west1"')
    inputs = service.one(SERVICE)
    assert inputs["name"] == "shop-web"
    assert inputs["location"] == "europe-west1"
    assert inputs["project"] == "my-project"


def test_scaling_defaults_to_the_seeds_zero_to_three():
    scaling = deploy().one(SERVICE)["template"]["scaling"]
    assert scaling == {"minInstanceCount": 0, "maxInstanceCount": 3}


def test_scaling_follows_the_config():
    scaling = deploy("min_instance_count = 1\nmax_instance_count = 4").one(SERVICE)["template"][
        "scaling"
    ]
    assert scaling == {"minInstanceCount": 1, "maxInstanceCount": 4}


def test_resources_are_one_cpu_and_1gi_with_startup_boost_by_default():
    resources = service_container(deploy())["resources"]
    assert resources == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "cpuIdle": True,
        "startupCpuBoost": True,
    }


def test_resources_follow_the_config():
    resources = service_container(deploy('cpu = "2"\nmemory = "4Gi"'))["resources"]
    assert resources["limits"] == {"cpu": "2", "memory": "4Gi"}


def test_timeout_concurrency_and_gen2_come_from_the_config():
    template = deploy("timeout_seconds = 900\nmax_concurrency = 40").one(SERVICE)["template"]
    assert template["timeout"] == "900s"
    assert template["maxInstanceRequestConcurrency"] == 40
    assert template["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"


def test_service_runs_cloudrun_serve_on_port_8080():
    container = service_container(deploy())
    assert container["commands"] == ["python", "manage.py"]
    assert container["args"] == ["cloudrun_serve"]
    assert container["ports"] == {"containerPort": 8080, "name": "http1"}


def test_startup_probe_gets_health_and_keeps_cloud_runs_limits():
    probe = service_container(deploy())["startupProbe"]
    assert probe["httpGet"] == {"path": "/health/", "port": 8080}
    assert probe["periodSeconds"] <= 240
    assert probe["initialDelaySeconds"] <= 240
    assert probe["timeoutSeconds"] <= probe["periodSeconds"]
    assert probe["failureThreshold"] * probe["periodSeconds"] <= 3600
    assert STARTUP_PROBE.problems("startup") == []


def test_liveness_probe_gets_health_live_which_never_touches_the_database():
    probe = service_container(deploy())["livenessProbe"]
    assert probe["httpGet"] == {"path": "/health/live", "port": 8080}
    assert probe["timeoutSeconds"] <= probe["periodSeconds"]
    assert LIVENESS_PROBE.problems("liveness") == []


@pytest.mark.parametrize(
    ("probe", "kind", "problem"),
    [
        (
            Probe("/h", period_seconds=5, timeout_seconds=6),
            "startup",
            "timeout (6s) must be below its period (5s)",
        ),
        (
            Probe("/h", period_seconds=5, timeout_seconds=5),
            "liveness",
            "timeout (5s) must be below its period (5s)",
        ),
        (Probe("/h", period_seconds=241), "startup", "startup probe period must be <= 240s"),
        (
            Probe("/h", period_seconds=240, failure_threshold=16),
            "startup",
            "(3840s) must be <= 3600s",
        ),
        (
            Probe("/h", initial_delay_seconds=241),
            "startup",
            "initial delay must be between 0 and 240s",
        ),
        (Probe("/h", period_seconds=3601), "liveness", "liveness probe period must be <= 3600s"),
        (Probe("health"), "liveness", "path must start with '/'"),
    ],
)
def test_probes_outside_cloud_runs_limits_are_refused(probe, kind, problem):
    assert any(problem in line for line in probe.problems(kind)), probe.problems(kind)


def test_service_url_is_the_deterministic_run_app_url():
    plain, _ = env_of(service_container(deploy()))
    assert plain["CLOUDRUN_SERVICE_URLS"] == (
        f"https://demo-django-{PROJECT_NUMBER}.us-central1.run.app"
    )
    assert "CLOUDRUN_CUSTOM_DOMAINS" not in plain  # no custom_domains configured


def test_custom_domains_are_urls_and_hosts_of_the_service():
    plain, _ = env_of(service_container(deploy('custom_domains = ["shop.example.com"]')))
    assert plain["CLOUDRUN_SERVICE_URLS"] == (
        f"https://demo-django-{PROJECT_NUMBER}.us-central1.run.app,https://shop.example.com"
    )
    assert plain["CLOUDRUN_CUSTOM_DOMAINS"] == "shop.example.com"


def test_service_environment_is_exactly_the_topologys():
    config = config_of('[environment_variables]\nCOLOR = "blue"')
    plain, secret = env_of(service_container(deploy(config)))
    placement = Placement(
        db_host="/cloudsql/x", service_urls=("https://x",), bucket="b", project_id="p"
    )
    assert set(plain) == set(plain_environment(config, placement))
    assert set(secret) == set(secret_environment(config))
    assert plain["COLOR"] == "blue"
    assert plain["DB_ENGINE"] == "django.db.backends.postgresql"
    assert plain["GOOGLE_CLOUD_PROJECT"] == "my-project"


def test_every_variable_name_comes_from_the_contract_or_the_config():
    config = config_of(
        '[environment_variables]\nCOLOR = "blue"\n'
        '[secret_environment_variables]\nSTRIPE_KEY = "stripe"'
    )
    declared = deploy(config)
    known = {var.name for var in contract.CONTRACT} | {"COLOR", "STRIPE_KEY"}
    for container in (
        service_container(declared),
        *(job_container(declared, j) for j in ("db-init", "migrate")),
    ):
        plain, secret = env_of(container)
        assert set(plain) | set(secret) <= known
        assert not {"PORT", "K_SERVICE", "K_REVISION"} & (set(plain) | set(secret))


def test_the_service_and_every_job_run_the_settings_module_of_cloudrun_toml():
    declared = deploy('settings_module = "config.settings.production"')
    for container in (
        service_container(declared),
        *(job_container(declared, j) for j in ("db-init", "migrate")),
    ):
        plain, _ = env_of(container)
        assert plain["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    plain, _ = env_of(service_container(deploy("")))
    assert "DJANGO_SETTINGS_MODULE" not in plain  # the image's (init writes it there)


def test_request_timeout_and_concurrency_reach_the_server():
    plain, _ = env_of(service_container(deploy("timeout_seconds = 900\nmax_concurrency = 40")))
    assert plain["CLOUDRUN_REQUEST_TIMEOUT"] == "900"
    assert plain["CLOUDRUN_MAX_CONCURRENCY"] == "40"


def test_the_request_body_limit_reaches_the_server_in_bytes():
    default, _ = env_of(service_container(deploy("")))
    assert default["CLOUDRUN_MAX_REQUEST_BODY"] == str(32 * 1024 * 1024)
    lowered, _ = env_of(service_container(deploy("[http]\nmax_request_body_mib = 8")))
    assert lowered["CLOUDRUN_MAX_REQUEST_BODY"] == str(8 * 1024 * 1024)


def test_tracing_reaches_the_server_only_when_enabled():
    plain, _ = env_of(service_container(deploy("[tracing]\nenabled = true\nsample_ratio = 0.5")))
    assert plain["CLOUDRUN_TRACING_ENABLED"] == "1"
    assert plain["CLOUDRUN_TRACE_SAMPLE_RATIO"] == "0.5"
    plain, _ = env_of(service_container(deploy("[tracing]\nsample_ratio = 0.5")))
    assert not {"CLOUDRUN_TRACING_ENABLED", "CLOUDRUN_TRACE_SAMPLE_RATIO"} & set(plain)


def test_ingress_follows_ingress_settings():
    # The config model refuses any other pairing: all without a load balancer, the load
    # balancer's ingress with one.
    assert deploy('ingress_settings = "all"').one(SERVICE)["ingress"] == "INGRESS_TRAFFIC_ALL"
    behind = 'custom_domains = ["shop.example.com"]\n'
    behind += 'ingress_settings = "internal-and-cloud-load-balancing"'
    assert deploy(behind).one(SERVICE)["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"


def test_a_public_service_turns_the_invoker_check_off_and_grants_all_users_nothing():
    # allUsers is refused where domain-restricted sharing is on; the check's switch is not.
    declared = deploy("public = true")
    assert declared.one(SERVICE)["invokerIamDisabled"] is True
    assert not [
        m for m in declared.of_type(SERVICE_MEMBER).values() if m["role"] == "roles/run.invoker"
    ]
    assert not [row for row in declared.iam() if row[0] in ("allUsers", "allAuthenticatedUsers")]


def test_no_one_is_granted_invoker_on_a_private_service():
    declared = deploy("public = false")
    # Set explicitly, so a service made private turns the check back on.
    assert declared.one(SERVICE)["invokerIamDisabled"] is False
    assert not [
        m for m in declared.of_type(SERVICE_MEMBER).values() if m["role"] == "roles/run.invoker"
    ]
    assert not [row for row in declared.iam() if row[0] in ("allUsers", "allAuthenticatedUsers")]


def test_the_service_waits_for_its_revision_beyond_the_providers_twenty_minutes():
    declared = deploy()
    timeouts = declared.timeouts[(SERVICE, "demo-django-service")]
    # 20 minutes for the API, plus the startup probe's 48 tries 5 s apart.
    assert (timeouts.create, timeouts.update) == ("1440s", "1440s")


def test_no_vpc_access_by_default():
    declared = deploy()
    assert "vpcAccess" not in declared.one(SERVICE)["template"]


def test_connector_mode_routes_through_the_named_connector():
    declared = deploy(
        '[vpc]\nmode = "connector"\nconnector = "serverless"\nvpc_egress_setting = "ALL_TRAFFIC"'
    )
    assert declared.one(SERVICE)["template"]["vpcAccess"] == {
        "connector": "projects/my-project/locations/us-central1/connectors/serverless",
        "egress": "ALL_TRAFFIC",
    }


def test_direct_mode_uses_network_and_subnet_as_full_paths():
    declared = deploy('[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "prod-run"')
    assert declared.one(SERVICE)["template"]["vpcAccess"] == {
        "egress": "PRIVATE_RANGES_ONLY",
        "networkInterfaces": [
            {
                "network": "projects/my-project/global/networks/prod",
                "subnetwork": "projects/my-project/regions/us-central1/subnetworks/prod-run",
            }
        ],
    }


def test_shared_vpc_paths_are_used_as_written():
    host = "projects/host-project/regions/us-central1/subnetworks/shared-run"
    declared = deploy(
        '[vpc]\nmode = "direct"\nnetwork = "projects/host-project/global/networks/shared"\n'
        f'subnet = "{host}"\n'
    )
    assert declared.one(SERVICE)["template"]["vpcAccess"]["networkInterfaces"] == [
        {"network": "projects/host-project/global/networks/shared", "subnetwork": host}
    ]


def test_a_connector_given_as_a_path_is_not_prefixed_again():
    path = "projects/host-project/locations/us-central1/connectors/shared"
    declared = deploy(f'[vpc]\nmode = "connector"\nconnector = "{path}"')
    assert declared.one(SERVICE)["template"]["vpcAccess"]["connector"] == path
    for job in declared.of_type("gcp:cloudrunv2/job:Job").values():
        assert job["template"]["template"]["vpcAccess"]["connector"] == path


def test_jobs_get_the_services_vpc_access():
    declared = deploy('[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "prod-run"')
    vpc = declared.one(SERVICE)["template"]["vpcAccess"]
    for job in declared.of_type("gcp:cloudrunv2/job:Job").values():
        assert job["template"]["template"]["vpcAccess"] == vpc


def test_service_holds_no_data_so_destroy_may_remove_it():
    assert deploy().one(SERVICE)["deletionProtection"] is False
