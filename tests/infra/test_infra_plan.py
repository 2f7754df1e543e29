"""plan(): the resources, IAM matrix, budget and warnings; nothing secret in it."""

from __future__ import annotations

import json

import pytest

from django_cloudrun.cloud.events import short_type
from django_cloudrun.config import ConfigError, parse_config
from django_cloudrun.config.budget import connection_budget
from django_cloudrun.infra.plan import REDACTED, plan, redact, summary
from infra_support import deploy

SECRETS_IN_CONFIG = """
[environment_variables]
STRIPE_API_KEY = "sk_live_do_not_print"
DATABASE_PASSWORD_HINT = "hunter2-do-not-print"
COLOR = "blue"
[secret_environment_variables]
SENTRY_DSN = "sentry-dsn"
"""


def test_plan_has_resources_iam_budget_and_warnings():
    data = plan(parse_config(""))
    assert set(data) == {"resources", "iam", "budget", "edge_cost", "warnings"}
    assert all(set(r) == {"type", "name", "inputs", "depends_on"} for r in data["resources"])
    assert data["budget"] == connection_budget("db-f1-micro", 3).as_dict()
    assert json.loads(json.dumps(data)) == data


def test_plan_lists_every_resource_the_program_declares_once():
    config = parse_config('[build]\ngithub_repository = "acme/shop"')
    keys = [(r["type"], r["name"]) for r in plan(config)["resources"]]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(deploy(config).inputs)


def test_plan_contains_no_secret_value():
    config = parse_config(SECRETS_IN_CONFIG)
    secret_values = deploy(config).secret_values
    assert len(secret_values) == 4
    text = json.dumps(plan(config))
    for value in (*secret_values, "sk_live_do_not_print", "hunter2-do-not-print"):
        assert value not in text
    assert "blue" in text
    assert text.count(f'"{REDACTED}"') >= 4 + 4  # 4 secret versions, 2 users, 2+ env values


def test_secret_inputs_and_secret_looking_variables_are_redacted():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "x"}
    assert redact({"secretData": "plain"}, set()) == {"secretData": REDACTED}
    assert redact({"anything": secret}, set()) == {"anything": REDACTED}
    assert redact({"uri": "postgres://u:s3cr3t@h"}, {"s3cr3t"}) == {"uri": REDACTED}
    assert redact({"name": "API_TOKEN", "value": "t"}, set()) == {
        "name": "API_TOKEN",
        "value": REDACTED,
    }
    assert redact({"name": "COLOR", "value": "blue"}, set()) == {"name": "COLOR", "value": "blue"}
    assert redact({"count": 3.0, "ratio": 0.5}, set()) == {"count": 3, "ratio": 0.5}


def test_iam_matrix_names_member_role_and_resource():
    rows = plan(parse_config("public = true"))["iam"]
    assert not [row for row in rows if row["member"] == "allUsers"]
    assert {
        "member": "serviceAccount:demo-django-db-init@my-project.iam.gserviceaccount.com",
        "role": "roles/secretmanager.secretAccessor",
        "on": "secret",
        "resource": "demo-django-db-admin-password",
    } in rows


def test_a_config_without_project_id_uses_a_placeholder_and_says_so():
    data = plan(parse_config(""))
    assert data["warnings"][0] == (
        "project_id is not set: this plan uses the placeholder project 'my-project'; "
        "deploy needs project_id"
    )
    instance = next(r for r in data["resources"] if r["type"].endswith("DatabaseInstance"))
    assert instance["inputs"]["project"] == "my-project"


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("public = true", "public = true: anyone on the internet may invoke the service"),
        ('ingress_settings = "all"', "ingress_settings = all with no Cloud Armor policy"),
        ("[database]\ndeletion_protection = false", "database.deletion_protection = false"),
        ("[database]\npoint_in_time_recovery = false", "database.point_in_time_recovery = false"),
        ("public = false", "monitoring.uptime_check: no uptime check is created"),
        ("", "monitoring.alert_email is not set"),
        (
            '[environment_variables]\nAPI_TOKEN = "x"',
            "environment_variables.API_TOKEN: looks like a secret",
        ),
        (
            '[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "run"\n[database]\nprivate_ip = true',
            "database.private_services_access = create: deploy connects prod to Google's",
        ),
    ],
)
def test_warnings_point_at_risky_settings(text, warning):
    assert any(line.startswith(warning) for line in plan(parse_config(text))["warnings"]), warning


def test_a_careful_config_warns_only_that_no_load_balancer_filters_requests():
    text = (
        'project_id = "acme-prod"\npublic = false\n'
        '[monitoring]\nuptime_check = false\nalert_email = "ops@example.com"\n'
        '[[cron]]\nname = "prune"\nschedule = "0 3 * * *"\ncommand = "clearsessions"'
    )
    assert [line.split(":")[0] for line in plan(parse_config(text))["warnings"]] == [
        "ingress_settings = all with no Cloud Armor policy"
    ]


def test_budget_error_stops_the_configuration_with_the_numbers_to_change():
    with pytest.raises(ConfigError) as caught:
        parse_config("max_instance_count = 100")
    assert caught.value.messages == [
        "max_instance_count: 100 instances x pool 2 + 5 (deploy jobs, reserved) > 25 "
        "connections of tier db-f1-micro: lower max_instance_count to 10 or choose tier "
        "db-custom-2-7680"
    ]


def test_cron_jobs_count_in_the_connection_budget():
    cron = '[[cron]]\nname = "job{0}"\nschedule = "0 3 * * *"\ncommand = "clearsessions"\n'
    budget = plan(parse_config("".join(cron.format(i) for i in range(3))))["budget"]
    assert (budget["deploy_jobs"], budget["cron_jobs"], budget["reserved"]) == (2, 3, 3)
    assert budget["overhead"] == 8
    assert budget["used"] == 3 * budget["pool_per_instance"] + 8 <= budget["max_connections"]
    with pytest.raises(ConfigError, match=r"\+ 15 \(deploy jobs, 10 cron jobs, reserved\)"):
        parse_config("max_instance_count = 6\n" + "".join(cron.format(i) for i in range(10)))


def test_summary_shows_the_inputs_that_matter():
    service = next(
        r for r in plan(parse_config(""))["resources"] if r["type"].endswith("service:Service")
    )
    shown = dict(summary(service))
    assert shown["template.scaling.maxInstanceCount"] == 3
    assert shown["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert "template.containers[0].envs[0].name" not in shown
    assert short_type(service["type"]) == "cloudrunv2.Service"
    assert short_type("random:index/randomPassword:RandomPassword") == "random.RandomPassword"


def test_gen1_cannot_mount_media_with_fuse():
    with pytest.raises(ConfigError) as caught:
        parse_config('execution_environment = "gen1"')
    assert caught.value.messages == [
        "execution_environment: gen1 cannot mount the media bucket with GCS FUSE "
        "(media.mode = fuse); use gen2, or media.mode = api"
    ]


def test_gen1_applies_to_the_service_only_jobs_run_on_gen2():
    text = (
        'execution_environment = "gen1"\n[media]\nmode = "api"\n'
        '[[cron]]\nname = "prune"\nschedule = "0 3 * * *"\ncommand = "clearsessions"'
    )
    gen1 = plan(parse_config(text))
    service = next(r for r in gen1["resources"] if r["type"].endswith("service:Service"))
    assert service["inputs"]["template"]["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN1"
    jobs = [
        r for r in gen1["resources"] if r["type"].endswith("job:Job") and "cloudrunv2" in r["type"]
    ]
    assert {job["name"].rsplit("-", 1)[-1] for job in jobs} >= {"init", "migrate", "prune"}
    assert {job["inputs"]["template"]["template"]["executionEnvironment"] for job in jobs} == {
        "EXECUTION_ENVIRONMENT_GEN2"
    }
