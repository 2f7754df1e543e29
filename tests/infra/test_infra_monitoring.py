"""Monitoring: uptime check on /health/, alert policies, email channel, SLOs."""

from __future__ import annotations

from django_cloudrun.config.budget import max_connections
from infra_support import ALERT, CHANNEL, PROJECT_NUMBER, SLO, SLO_SERVICE, UPTIME, deploy


def alerts(declared):
    return {
        name.rsplit("-alert-", 1)[1]: policy for name, policy in declared.of_type(ALERT).items()
    }


def threshold(policy):
    (condition,) = policy["conditions"]
    return condition["conditionThreshold"]


def test_uptime_check_gets_health_on_the_run_app_host_over_https():
    check = deploy().one(UPTIME)
    assert check["httpCheck"] == {
        "path": "/health/",
        "port": 443,
        "useSsl": True,
        "validateSsl": True,
    }
    assert check["monitoredResource"] == {
        "type": "uptime_url",
        "labels": {
            "project_id": "my-project",
            "host": f"demo-django-{PROJECT_NUMBER}.us-central1.run.app",
        },
    }


def test_behind_a_load_balancer_the_uptime_check_goes_to_the_first_custom_domain():
    declared = deploy('custom_domains = ["shop.example.com", "www.shop.example.com"]')
    labels = declared.one(UPTIME)["monitoredResource"]["labels"]
    assert labels == {"project_id": "my-project", "host": "shop.example.com"}
    assert "uptime" in alerts(declared)


def test_no_uptime_check_when_the_internet_cannot_reach_the_service():
    for text in ("public = false", "[monitoring]\nuptime_check = false"):
        declared = deploy(text)
        assert not declared.of_type(UPTIME), text
        assert "uptime" not in alerts(declared)


def test_alert_policies_cover_errors_latency_cpu_memory_connections_and_uptime():
    policies = alerts(deploy())
    assert set(policies) == {"errors", "latency", "cpu", "memory", "connections", "uptime"}
    assert threshold(policies["errors"])["thresholdValue"] == 0.05
    assert 'metric.label.response_code_class="5xx"' in threshold(policies["errors"])["filter"]
    assert "response_code_class" not in threshold(policies["errors"])["denominatorFilter"]
    assert (
        threshold(policies["latency"])["aggregations"][0]["perSeriesAligner"]
        == "ALIGN_PERCENTILE_95"
    )
    assert threshold(policies["cpu"])["thresholdValue"] == 0.9
    assert "container/cpu/utilizations" in threshold(policies["cpu"])["filter"]
    assert threshold(policies["memory"])["thresholdValue"] == 0.9
    assert "container/memory/utilizations" in threshold(policies["memory"])["filter"]
    for key in ("errors", "latency", "cpu", "memory"):
        assert 'resource.label.service_name="demo-django"' in threshold(policies[key])["filter"]


def test_connection_alert_fires_at_80_percent_of_the_tiers_limit():
    policy = alerts(deploy('[database]\ntier = "db-custom-1-3840"'))["connections"]
    assert (
        threshold(policy)["thresholdValue"]
        == round(0.8 * max_connections("db-custom-1-3840"))
        == 80
    )
    assert 'resource.label.database_id="my-project:demo-django-db"' in threshold(policy)["filter"]


def test_alerts_go_to_the_email_channel_when_one_is_set():
    declared = deploy('[monitoring]\nalert_email = "ops@example.com"')
    channel = declared.one(CHANNEL)
    assert channel["type"] == "email"
    assert channel["labels"] == {"email_address": "ops@example.com"}
    channel_name = next(name for (typ, name) in declared.inputs if typ == CHANNEL)
    for policy in alerts(declared).values():
        assert len(policy["notificationChannels"]) == 1
        assert policy["notificationChannels"][0].startswith(
            "projects/my-project/notificationChannels/"
        )
    assert channel_name == "demo-django-alert-email"


def test_without_an_email_there_is_no_channel_and_alerts_notify_nobody():
    declared = deploy()
    assert not declared.of_type(CHANNEL)
    assert all(policy["notificationChannels"] == [] for policy in alerts(declared).values())


def test_availability_and_latency_slos_on_the_cloud_run_service():
    declared = deploy()
    service = declared.one(SLO_SERVICE)
    assert service["basicService"] == {
        "serviceType": "CLOUD_RUN",
        "serviceLabels": {"service_name": "demo-django", "location": "us-central1"},
    }
    slos = {slo["sloId"]: slo for slo in declared.of_type(SLO).values()}
    assert set(slos) == {"availability", "latency"}
    assert slos["availability"]["basicSli"] == {"availability": {"enabled": True}}
    assert slos["latency"]["basicSli"] == {"latency": {"threshold": "1s"}}
    assert all(
        slo["service"] == "demo-django" and slo["rollingPeriodDays"] == 28 for slo in slos.values()
    )
    assert 0.9 < slos["availability"]["goal"] < 1
