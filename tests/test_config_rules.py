"""Google Cloud's rules in the config model: validate refuses what plan or deploy would.

Each refused value gets one line naming the key; each accepted neighbour shows the rule is
not broader than Google's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from django_cloudrun.config import ConfigError, parse_config
from django_cloudrun.config.platform import CLOUD_RUN_REGIONS, SCHEDULER_DESCRIPTION_MAX
from django_cloudrun.config.topology import (
    JOB_EXECUTION_ENVIRONMENT,
    cron_description,
)
from django_cloudrun.infra.plan import warnings as plan_warnings

SCRIPT = Path(sys.executable).parent / "django-cloudrun"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return caught.value.messages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'execution_environment = "gen1"',
            "execution_environment: gen1 cannot mount the media bucket with GCS FUSE "
            "(media.mode = fuse); use gen2, or media.mode = api",
        ),
        (
            '[vpc]\nmode = "connector"\n'
            'connector = "projects/host-project/locations/europe-west1/connectors/shared"',
            "vpc.connector: is in region europe-west1, but the service runs in us-central1 "
            "(region)",
        ),
        (
            '[vpc]\nmode = "connector"\nconnector = "projects/host-project/connectors/shared"',
            "vpc.connector: must be a name such as 'default' or a path "
            "projects/PROJECT/locations/REGION/connectors/NAME, got "
            "'projects/host-project/connectors/shared'",
        ),
        (
            '[vpc]\nmode = "direct"\nnetwork = "projects/host-project/networks/shared"\n'
            'subnet = "run"',
            "vpc.network: must be a name such as 'default' or a path "
            "projects/PROJECT/global/networks/NAME, got 'projects/host-project/networks/shared'",
        ),
        (
            '[vpc]\nmode = "direct"\nnetwork = "shared"\n'
            'subnet = "projects/host-project/regions/us-east1/subnetworks/run"',
            "vpc.subnet: is in region us-east1, but the service runs in us-central1 (region)",
        ),
        (
            'ingress_settings = "internal"',
            "ingress_settings: 'internal' admits only requests from VPC networks and Google "
            "Cloud services, so without a load balancer the service's run.app URL would refuse "
            "browsers; use all, or a load balancer (custom_domains, [edge])",
        ),
        (
            'ingress_settings = "internal-and-cloud-load-balancing"',
            "ingress_settings: 'internal-and-cloud-load-balancing' admits only requests from "
            "VPC networks and Google Cloud services or a load balancer, so without a load "
            "balancer",
        ),
        (
            'custom_domains = ["shop.example.com"]\ningress_settings = "all"',
            "ingress_settings: must be internal-and-cloud-load-balancing behind a load balancer "
            "(edge), got 'all': all lets requests bypass it",
        ),
        (
            'custom_domains = ["shop.example.com"]\ningress_settings = "internal"',
            "ingress_settings: must be internal-and-cloud-load-balancing behind a load balancer "
            "(edge), got 'internal': it admits no load balancer",
        ),
        (
            'custom_domains = ["shop.example.com"]\n[edge]\nload_balancer = false',
            "custom_domains: needs a load balancer, and edge.load_balancer is false (it maps "
            "them and issues their certificate)",
        ),
        (
            'custom_domains = ["shop.example.com"]\n[edge]\nload_balancer = false\n'
            "[edge.waf]\nenabled = true",
            "edge.waf.enabled: needs a load balancer, and edge.load_balancer is false (Cloud "
            "Armor attaches to its backend)",
        ),
        (
            "[edge.waf]\nenabled = true",
            "custom_domains: a load balancer (edge) serves HTTPS with a Google-managed "
            "certificate, which needs at least one domain of yours",
        ),
        (
            "[edge]\nload_balancer = true",
            "custom_domains: a load balancer (edge) serves HTTPS",
        ),
        (
            'custom_domains = ["shop.example.com"]\npublic = false',
            "public: must be true behind a load balancer (edge): it sends no identity token",
        ),
        (
            "custom_domains = [" + ", ".join(f'"s{i}.example.com"' for i in range(101)) + "]",
            "custom_domains: lists 101 domains, more than the 100 one Google-managed "
            "certificate holds",
        ),
        (
            'custom_domains = ["Shop.Example.com"]',
            "custom_domains[0]: must be a lowercase host name such as www.example.com, got "
            "'Shop.Example.com'",
        ),
        (
            'custom_domains = ["*.example.com"]',
            "custom_domains[0]: must be a lowercase host name",
        ),
        (
            'custom_domains = ["a.example.com"]\n[edge.waf]\nenabled = true\nsensitivity = 0',
            "edge.waf.sensitivity: must be between 1 and 4, got 0",
        ),
        (
            'custom_domains = ["a.example.com"]\n[edge.waf]\nrate_limit_per_minute = 5',
            "edge.waf.login_rate_limit_per_minute: must be at most rate_limit_per_minute (5), "
            "got 10",
        ),
        (
            '[edge.waf]\nlogin_path = "admin/login"',
            "edge.waf.login_path: must be a URL path starting with /",
        ),
        (
            '[edge.waf]\nmode = "log"',
            "edge.waf.mode: must be one of block, preview, got 'log'",
        ),
        (
            '[database]\ntier = "db-custom-3-9000"',
            "database.tier: 'db-custom-3-9000' has 3 vCPUs; Cloud SQL takes 1 or an even "
            "number up to 96",
        ),
        (
            '[database]\ntier = "db-custom-1-2048"',
            "database.tier: 'db-custom-1-2048' has 2048 MiB; with 1 vCPU Cloud SQL takes a "
            "multiple of 256 from 3840 to 6656 MiB (0.9-6.5 GiB per vCPU, at least 3840)",
        ),
        (
            '[database]\ntier = "db-custom-2-7000"',
            "database.tier: 'db-custom-2-7000' has 7000 MiB; with 2 vCPUs Cloud SQL takes a "
            "multiple of 256 from 3840 to 13312 MiB",
        ),
        (
            '[database]\ntier = "db-custom-4-30720"',
            "database.tier: 'db-custom-4-30720' has 30720 MiB; with 4 vCPUs Cloud SQL takes a "
            "multiple of 256 from 3840 to 26624 MiB",
        ),
        (
            '[database]\ntier = "db-custom-98-400128"',
            "database.tier: 'db-custom-98-400128' has 98 vCPUs",
        ),
        (
            '[database]\ntier = "db-n1-standard-2"',
            "database.tier: must be a Cloud SQL tier such as db-f1-micro, db-g1-small or "
            "db-custom-CPUS-MEMORY_MIB (db-custom-2-7680), got 'db-n1-standard-2'",
        ),
        (
            '[build]\nbranch_pattern = "^(?!wip/).*$"',
            "build.branch_pattern: must be an RE2 regular expression, as Cloud Build reads it "
            "(invalid perl operator: (?!), got '^(?!wip/).*$'",
        ),
        (
            '[build]\nbranch_pattern = "^(main)-\\\\1$"',
            "build.branch_pattern: must be an RE2 regular expression, as Cloud Build reads it "
            "(invalid escape sequence: \\1)",
        ),
        (
            '[build]\nbranch_pattern = "(?<=x)main"',
            "build.branch_pattern: must be an RE2 regular expression",
        ),
        (
            'region = "us-central0"',
            "region: 'us-central0' is not a Cloud Run region; did you mean us-central1? "
            "regions: https://cloud.google.com/run/docs/locations, checked 2026-12-01",
        ),
        (
            'region = "mars-north1"',
            "region: 'mars-north1' is not a Cloud Run region; regions: "
            "https://cloud.google.com/run/docs/locations, checked 2026-12-01",
        ),
        (
            '[database]\nuser = "postgres"',
            "database.user: 'postgres' is Cloud SQL's administrator, which db-init uses; the "
            "application connects as a role of its own, such as django",
        ),
        (
            '[database]\nbackup_schedule = "30 2 * * *"',
            "database.backup_schedule: Cloud SQL backs up once a day at the start of an hour "
            "(UTC); use '0 H * * *' with H from 0 to 23, got '30 2 * * *'",
        ),
        (
            "max_instance_count = 100",
            "max_instance_count: 100 instances x pool 2 + 5 (deploy jobs, reserved) > 25 "
            "connections of tier db-f1-micro: lower max_instance_count to 10 or choose tier "
            "db-custom-2-7680",
        ),
        (
            '[environments."Prod Ü!"]\nmax_instance_count = 2',
            'environments."Prod Ü!": must be 1-100 ASCII letters, digits, hyphens, underscores '
            "or periods (it names the deployment's Pulumi stack), such as staging or prod-eu, "
            "got 'Prod Ü!'",
        ),
    ],
    ids=lambda value: value[:50] if isinstance(value, str) else None,
)
def test_a_value_google_refuses_is_refused_in_one_line_naming_its_key(text, expected):
    messages = problems(text)
    assert any(message.startswith(expected) for message in messages), messages
    assert all("\n" not in message for message in messages)


@pytest.mark.parametrize(
    "text",
    [
        'execution_environment = "gen1"\n[media]\nmode = "api"',
        '[database]\ntier = "db-g1-small"',
        '[database]\ntier = "db-custom-1-3840"',
        '[database]\ntier = "db-custom-1-6656"',
        '[database]\ntier = "db-custom-2-7680"',
        '[database]\ntier = "db-custom-4-3840"',
        '[database]\ntier = "db-custom-96-624640"',
        '[database]\nbackup_schedule = "0 23 * * *"',
        '[database]\nuser = "app_user"',
        '[build]\nbranch_pattern = "^release/v\\\\d+\\\\.\\\\d+$"',
        '[build]\nbranch_pattern = "^(main|develop)$"',
        '[vpc]\nmode = "connector"\n'
        'connector = "projects/host-project/locations/us-central1/connectors/shared"',
        '[vpc]\nmode = "connector"\nconnector = "projects/123456789012/locations/us-central1/'
        'connectors/shared"',
        '[vpc]\nmode = "direct"\nnetwork = "projects/host-project/global/networks/shared"\n'
        'subnet = "projects/host-project/regions/us-central1/subnetworks/run"',
        '[environments."prod-eu.v2_blue"]\nregion = "europe-west1"',
        'custom_domains = ["shop.example.com"]\ningress_settings = '
        '"internal-and-cloud-load-balancing"',
        "custom_domains = [" + ", ".join(f'"s{i}.example.com"' for i in range(100)) + "]",
        'custom_domains = ["xn--bcher-kva.example"]\n[edge.waf]\nenabled = true\n'
        "sensitivity = 4\nrate_limit_per_minute = 10\nlogin_rate_limit_per_minute = 10",
    ],
)
def test_a_value_google_accepts_is_accepted(text):
    parse_config(text)


def test_every_listed_region_is_accepted():
    for region in sorted(CLOUD_RUN_REGIONS):
        assert parse_config(f'region = "{region}"').region == region


def test_jobs_run_on_gen2_whatever_the_service_uses():
    config = parse_config('execution_environment = "gen1"\n[media]\nmode = "api"')
    assert config.execution_environment == "gen1"
    assert JOB_EXECUTION_ENVIRONMENT == "gen2"


def test_vpc_names_become_full_resource_paths_of_the_deployment():
    config = parse_config(
        'region = "europe-west1"\n[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "run"'
    )
    paths = config.vpc_paths("acme-prod")
    assert paths.network == "projects/acme-prod/global/networks/prod"
    assert paths.subnet == "projects/acme-prod/regions/europe-west1/subnetworks/run"
    assert paths.connector is None
    connector = parse_config('[vpc]\nmode = "connector"\nconnector = "serverless"')
    assert connector.vpc_paths("acme-prod").connector == (
        "projects/acme-prod/locations/us-central1/connectors/serverless"
    )


def test_vpc_paths_are_kept_as_written():
    path = "projects/host-project/locations/us-central1/connectors/shared"
    config = parse_config(f'[vpc]\nmode = "connector"\nconnector = "{path}"')
    assert config.vpc_paths("acme-prod").connector == path


def test_cron_jobs_count_in_the_connection_budget():
    cron = '[[cron]]\nname = "job{0}"\nschedule = "0 3 * * *"\ncommand = "clearsessions"\n'
    budget = parse_config("".join(cron.format(i) for i in range(4))).budget
    assert (budget.cron_jobs, budget.overhead) == (4, 2 + 4 + 3)
    assert budget.used <= budget.max_connections
    assert parse_config("").budget.overhead == 5


def test_scheduler_description_fits_cloud_schedulers_limit():
    long_command = "send_digest " + " ".join(f"--flag-{i}" for i in range(100))
    entry = parse_config(
        f'[[cron]]\nname = "digest"\nschedule = "0 6 * * *"\ncommand = "{long_command}"'
    ).cron[0]
    description = cron_description(entry)
    assert len(long_command) > SCHEDULER_DESCRIPTION_MAX
    assert len(description) == SCHEDULER_DESCRIPTION_MAX
    assert description.startswith("Runs `manage.py send_digest --flag-0")
    assert description.endswith("...` (digest) on 0 6 * * *")
    short = parse_config(
        '[[cron]]\nname = "prune"\nschedule = "0 3 * * *"\ncommand = "clearsessions"'
    ).cron[0]
    assert cron_description(short) == "Runs `manage.py clearsessions` (prune) on 0 3 * * *"


def test_the_load_balancer_is_on_when_a_setting_needs_it_and_restricts_ingress():
    plain = parse_config("")
    assert (plain.load_balanced, plain.ingress_settings) == (False, "all")
    for text in (
        'custom_domains = ["shop.example.com"]',
        'custom_domains = ["shop.example.com"]\n[edge.waf]\nenabled = true',
        'custom_domains = ["shop.example.com"]\n[static]\nmode = "gcs-cdn"',
        'custom_domains = ["shop.example.com"]\n[edge]\nload_balancer = true',
    ):
        config = parse_config(text)
        assert config.load_balanced, text
        assert config.ingress_settings == "internal-and-cloud-load-balancing", text


def test_the_worker_and_static_on_a_cdn_are_no_longer_refused():
    config = parse_config(
        'custom_domains = ["shop.example.com"]\n'
        '[vpc]\nmode = "direct"\nnetwork = "default"\nsubnet = "run-egress"\n'
        '[worker]\nenable_worker = true\n[static]\nmode = "gcs-cdn"'
    )
    assert not any("not deployable" in line for line in plan_warnings(config))


def test_the_static_bucket_is_never_named_as_the_media_bucket():
    text = (
        'custom_domains = ["shop.example.com"]\n[static]\nmode = "gcs-cdn"\n'
        'bucket_suffix = "files"\n[media]\nbucket_suffix = "files"'
    )
    assert problems(text) == [
        "static.bucket_suffix: 'files' is media.bucket_suffix too; the public static bucket "
        "needs a name of its own"
    ]


def test_validate_exits_2_on_a_backup_schedule_plan_would_refuse(tmp_path):
    (tmp_path / "cloudrun.toml").write_text('[database]\nbackup_schedule = "30 2 * * *"\n')
    result = subprocess.run(
        [str(SCRIPT), "validate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert (
        result.stderr.strip()
        .splitlines()[0]
        .startswith(
            "database.backup_schedule: Cloud SQL backs up once a day at the start of an hour"
        )
    )
    assert "Traceback" not in result.stderr
