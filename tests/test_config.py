"""cloudrun.toml: defaults, rules and their one-line errors, environments, redaction, reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from django_cloudrun.config import (
    REDACTED,
    CloudRunConfig,
    ConfigError,
    load_config,
    parse_config,
    redacted_dump,
    secret_warnings,
)
from django_cloudrun.config.loader import deep_merge
from django_cloudrun.config.reference import render_markdown


def problems(text: str, env: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env)
    return caught.value.messages


# Each bad config and one line its error report must contain, verbatim.
BAD_CONFIGS = [
    (
        '[vpc]\nnetwork = "default"\n[database]\nprivate_ip = true',
        "database.private_ip: requires vpc.mode connector or direct, got none",
    ),
    (
        '[state]\nbackend = "ftp://x"',
        "state.backend: must be a Pulumi state backend URL such as gs://BUCKET, "
        "file://~/.pulumi-state or https://api.pulumi.com, got 'ftp://x'",
    ),
    (
        '[state]\nsecrets_provider = "awskms://k"',
        "state.secrets_provider: must be passphrase or "
        "gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K, got 'awskms://k'",
    ),
    ("max_instance_count = -1", "max_instance_count: must be >= min_instance_count (0), got -1"),
    (
        "min_instance_count = 5\nmax_instance_count = 2",
        "max_instance_count: must be >= min_instance_count (5), got 2",
    ),
    ("max_instance_count = 0", "max_instance_count: must be >= 1, got 0"),
    ("max_instance_count = 1001", "max_instance_count: must be <= 1000, got 1001"),
    ("min_instance_count = -1", "min_instance_count: must be between 0 and 1000, got -1"),
    ('max_instance_count = "3"', "max_instance_count: must be an integer, got '3'"),
    (
        'ingress_settings = "public"',
        "ingress_settings: must be one of all, internal, internal-and-cloud-load-balancing, "
        "got 'public'",
    ),
    ("mx_instance_count = 3", "mx_instance_count: unknown key; did you mean max_instance_count?"),
    ('tier = "db-g1-small"', "tier: unknown key; did you mean database.tier?"),
    ('[vpc]\nmod = "none"', "vpc.mod: unknown key; did you mean mode?"),
    ("[logging]\nverbose = true", "logging.verbose: unknown key; allowed keys: json"),
    ('service_name = "web"', "service_name: cannot be set; it is derived"),
    (
        'region = "US Central"',
        "region: must be a Cloud Run region such as us-central1, got 'US Central'",
    ),
    (
        'project_id = "My-Project"',
        "project_id: must be a Google Cloud project id: 6-30 lowercase letters, digits or "
        "hyphens, starting with a letter and not ending with a hyphen, got 'My-Project'",
    ),
    ('project_id = "abc"', "project_id: must be a Google Cloud project id"),
    (
        'tenant_deployment_id = "Demo_1"',
        "tenant_deployment_id: must be 1-20 lowercase letters, digits or hyphens, got 'Demo_1'",
    ),
    (
        'app_name = "Web"',
        "service_name: 'demo-Web' (tenant_deployment_id-app_name) must be lowercase letters, "
        "digits and hyphens, starting with a letter, not ending with a hyphen, "
        "at most 49 characters",
    ),
    ('tenant_deployment_id = "1st"', "service_name: '1st-django' (tenant_deployment_id-app_name)"),
    ('app_name = "' + "a" * 45 + '"', "service_name: 'demo-" + "a" * 45 + "'"),
    ('app_name = "web-"', "service_name: 'demo-web-' (tenant_deployment_id-app_name)"),
    ("cpu = 3", "cpu: must be one of 1, 2, 4, 8, got 3"),
    ('cpu = "0.5"', "cpu: must be one of 1, 2, 4, 8, got '0.5'"),
    ('memory = "1GB"', "memory: must be a size in Mi or Gi such as 512Mi or 2Gi, got '1GB'"),
    (
        'cpu = "2"\nmemory = "512Mi"',
        "memory: must be between 1Gi and 8Gi with cpu 2 (512Mi to 4Gi per CPU), got 512Mi",
    ),
    (
        'memory = "8Gi"',
        "memory: must be between 512Mi and 4Gi with cpu 1 (512Mi to 4Gi per CPU), got 8Gi",
    ),
    ("timeout_seconds = 0", "timeout_seconds: must be between 1 and 3600, got 0"),
    ("timeout_seconds = 3601", "timeout_seconds: must be between 1 and 3600, got 3601"),
    ("max_concurrency = 5000", "max_concurrency: must be between 1 and 1000, got 5000"),
    (
        "[http]\nmax_request_body_mib = 64",
        "http.max_request_body_mib: must be between 1 and 32, got 64",
    ),
    (
        'execution_environment = "gen3"',
        "execution_environment: must be one of gen1, gen2, got 'gen3'",
    ),
    ('public = "yes"', "public: must be true or false, got 'yes'"),
    ('vpc = "none"', "vpc: must be a table, got 'none'"),
    ('[vpc]\nmode = "peering"', "vpc.mode: must be one of none, connector, direct, got 'peering'"),
    ('[vpc]\nmode = "connector"', "vpc.connector: required when vpc.mode is 'connector'"),
    (
        '[vpc]\nmode = "direct"\nnetwork = "default"',
        "vpc.subnet: required when vpc.mode is 'direct'",
    ),
    (
        '[vpc]\nconnector = "conn"',
        "vpc.connector: only used when vpc.mode is 'connector', and it is 'none'",
    ),
    (
        '[vpc]\nvpc_egress_setting = "ALL_TRAFFIC"',
        "vpc.vpc_egress_setting: ALL_TRAFFIC needs vpc.mode 'connector' or 'direct'",
    ),
    (
        '[vpc]\nmode = "connector"\nconnector = "c"\nvpc_egress_setting = "ALL"',
        "vpc.vpc_egress_setting: must be one of PRIVATE_RANGES_ONLY, ALL_TRAFFIC, got 'ALL'",
    ),
    (
        "[database]\nprivate_ip = true",
        "database.private_ip: requires vpc.network (the network the IP is on)",
    ),
    (
        '[database]\nversion = "POSTGRES_9"',
        "database.version: must be one of POSTGRES_14, POSTGRES_15, POSTGRES_16, POSTGRES_17, "
        "got 'POSTGRES_9'",
    ),
    ('[database]\ntier = "large"', "database.tier: must be a Cloud SQL tier such as db-f1-micro"),
    (
        '[database]\nuser = "x\\"; DROP DATABASE y; --"',
        "database.user: must be a PostgreSQL name: 1-63 lowercase letters, digits or "
        "underscores, not starting with a digit, got 'x\"; DROP DATABASE y; --'",
    ),
    (
        '[database]\nextensions = ["citext", "citext"]',
        "database.extensions[1]: 'citext' is listed twice",
    ),
    ('[database]\nextensions = ["pg-trgm"]', "database.extensions[0]: must be a PostgreSQL name"),
    (
        '[database]\nbackup_schedule = "0 2 * *"',
        "database.backup_schedule: must be a 5-field cron expression (minute hour day-of-month "
        "month day-of-week), got '0 2 * *'",
    ),
    (
        '[database]\nbackup_schedule = "0 25 * * *"',
        "database.backup_schedule: hour field '25' is out of range 0-23 in '0 25 * * *'",
    ),
    (
        "[database]\nbackup_retention_days = 400",
        "database.backup_retention_days: must be between 1 and 365, got 400",
    ),
    (
        "[database]\npoint_in_time_recovery = 1",
        "database.point_in_time_recovery: must be true or false, got 1",
    ),
    ('[media]\nmode = "s3"', "media.mode: must be one of fuse, api, got 's3'"),
    ('[media]\nmount_path = "media"', "media.mount_path: must be an absolute path other than /"),
    (
        '[media]\nmount_path = "/app/../etc"',
        "media.mount_path: must be an absolute path other than /",
    ),
    ('[media]\nbucket_suffix = "-media"', "media.bucket_suffix: must be 1-32 lowercase letters"),
    ('[static]\nmode = "cdn"', "static.mode: must be one of whitenoise, gcs-cdn, got 'cdn'"),
    (
        '[environment_variables]\nSECRET_KEY = "x"',
        "environment_variables.SECRET_KEY: reserved: django-cloudrun sets it (Django's SECRET_KEY)",
    ),
    (
        '[environment_variables]\nPORT = "8000"',
        "environment_variables.PORT: reserved: Cloud Run sets it (Port the server listens on)",
    ),
    (
        '[environment_variables]\n"lower-case" = "x"',
        "environment_variables.lower-case: must be upper-case letters, digits and underscores, "
        "not starting with a digit",
    ),
    ("[environment_variables]\nLEVEL = 3", "environment_variables.LEVEL: must be a string, got 3"),
    ('environment_variables = ["A=1"]', "environment_variables: must be a table, got an array"),
    (
        '[secret_environment_variables]\nAPI_TOKEN = "api token!"',
        "secret_environment_variables.API_TOKEN: must be a Secret Manager secret id: 1-255 "
        "letters, digits, hyphens or underscores, got 'api token!'",
    ),
    (
        '[secret_environment_variables]\nDB_PASSWORD = "db-pass"',
        "secret_environment_variables.DB_PASSWORD: reserved: django-cloudrun sets it",
    ),
    (
        '[environment_variables]\nAPI = "x"\n[secret_environment_variables]\nAPI = "api"',
        "secret_environment_variables.API: also set in environment_variables",
    ),
    (
        '[superuser]\nemail = "admin"',
        "superuser.email: must be an email address such as ops@example.com, got 'admin'",
    ),
    (
        '[superuser]\nusername = "a b"',
        "superuser.username: must be 1-150 letters, digits or @ . + - _",
    ),
    ("[worker]\nconcurrency = 0", "worker.concurrency: must be between 1 and 100, got 0"),
    (
        '[worker]\nenable_worker = "true"',
        "worker.enable_worker: must be true or false, got 'true'",
    ),
    ('[[cron]]\nname = "x"\nschedule = "* * * * *"', "cron[0].command: required key is missing"),
    (
        '[[cron]]\nname = "x"\nschedule = "*/0 * * * *"\ncommand = "clearsessions"',
        "cron[0].schedule: minute field '*/0' has a step of 0 in '*/0 * * * *'",
    ),
    (
        '[[cron]]\nname = "x"\nschedule = "0 0 * 13 *"\ncommand = "clearsessions"',
        "cron[0].schedule: month field '13' is out of range 1-12 in '0 0 * 13 *'",
    ),
    (
        '[[cron]]\nname = "x"\nschedule = "0 0 * * FUN"\ncommand = "clearsessions"',
        "cron[0].schedule: day-of-week field 'FUN' is not a number or a name (SUN...SAT)",
    ),
    (
        '[[cron]]\nname = "x"\nschedule = "0 0 * * *"\ncommand = "python manage.py clearsessions"',
        "cron[0].command: write the command without 'python', e.g. 'clearsessions', "
        "got 'python manage.py clearsessions'",
    ),
    (
        '[[cron]]\nname = "x"\nschedule = "0 0 * * *"\ncommand = "send_digest --subject \'Hi"',
        "cron[0].command: is not a valid command line (no closing quotation), "
        'got "send_digest --subject \'Hi"',
    ),
    (
        '[[cron]]\nname = "Nightly Job"\nschedule = "0 0 * * *"\ncommand = "clearsessions"',
        "cron[0].name: must be 1-40 lowercase letters, digits or hyphens",
    ),
    (
        '[[cron]]\nname = "a"\nschedule = "0 0 * * *"\ncommand = "x"\n'
        '[[cron]]\nname = "a"\nschedule = "0 1 * * *"\ncommand = "y"',
        "cron[1].name: 'a' is used twice",
    ),
    ('[cron]\nname = "a"', "cron: must be an array, got a table"),
    (
        '[[cron]]\nnme = "a"\nschedule = "0 0 * * *"\ncommand = "x"',
        "cron[0].nme: unknown key; did you mean name?",
    ),
    ("[tracing]\nsample_ratio = 1.5", "tracing.sample_ratio: must be between 0 and 1, got 1.5"),
    ('[monitoring]\nalert_email = "ops@"', "monitoring.alert_email: must be an email address"),
    (
        '[build]\nbranch_pattern = "[main"',
        "build.branch_pattern: must be an RE2 regular expression, as Cloud Build reads it "
        "(missing ]: [main), got '[main'",
    ),
    ('[build]\nbranch_pattern = ""', "build.branch_pattern: must not be empty"),
    (
        '[build]\ngithub_repository = "https://github.com/o/r"',
        "build.github_repository: must be a GitHub repository as owner/name",
    ),
    (
        'custom_domains = ["https://shop.example.com/"]',
        "custom_domains[0]: must be a lowercase host name such as www.example.com, got "
        "'https://shop.example.com/'; write the host name only, without scheme or path",
    ),
    ('custom_domains = ["localhost"]', "custom_domains[0]: must be a lowercase host name"),
    (
        'custom_domains = ["a.example.com", "a.example.com"]',
        "custom_domains[1]: 'a.example.com' is listed twice",
    ),
    (
        "[environments.prod]\nmax_instance_count = 0",
        "environments.prod.max_instance_count: must be >= 1, got 0",
    ),
    (
        "[environments.prod]\nmx_instance_count = 5",
        "environments.prod.mx_instance_count: unknown key; did you mean max_instance_count?",
    ),
    (
        '[environments.prod.database]\ntier = "big"',
        "environments.prod.database.tier: must be a Cloud SQL tier such as db-f1-micro",
    ),
    ("environments = 3", "environments: must be a table such as [environments.staging], got 3"),
    (
        '[environments]\nprod = "x"',
        "environments.prod: must be a table such as [environments.staging]",
    ),
    (
        '[environments.prod.environments.x]\nregion = "us-east1"',
        "environments.prod.environments: environments cannot be nested",
    ),
    ('region = "us-central1\n', "cloudrun.toml: line 1, column 22: invalid TOML: "),
    (
        "max_instance_count = 3\nmax_instance_count = 4\n",
        "cloudrun.toml: line 2, column 23: invalid TOML: Cannot overwrite a value",
    ),
    ("cron = [\n", "cloudrun.toml: end of file: invalid TOML: "),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS, ids=[e[:60] for _, e in BAD_CONFIGS])
def test_bad_config_reports_one_line_naming_key_and_rule(text: str, expected: str) -> None:
    messages = problems(text)
    assert any(message.startswith(expected) for message in messages), messages
    assert all("\n" not in message for message in messages)
    assert not any("Input should" in message for message in messages)  # pydantic's wording


def test_bad_config_corpus_is_large() -> None:
    assert len(BAD_CONFIGS) >= 30


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    messages = problems('region = "x"\ncpu = "3"\n[worker]\nconcurrency = 0\n')
    assert [m.split(":")[0] for m in messages] == ["region", "cpu", "worker.concurrency"]


def test_empty_file_gives_the_seed_defaults() -> None:
    config = parse_config("")
    assert config.project_id is None
    assert (config.region, config.tenant_deployment_id, config.app_name) == (
        "us-central1",
        "demo",
        "django",
    )
    assert (config.min_instance_count, config.max_instance_count) == (0, 3)
    assert (config.cpu, config.memory, config.timeout_seconds) == ("1", "1Gi", 300)
    assert (config.max_concurrency, config.execution_environment) == (80, "gen2")
    assert (config.ingress_settings, config.public) == ("all", True)
    assert (config.vpc.mode, config.vpc.vpc_egress_setting) == ("none", "PRIVATE_RANGES_ONLY")
    db = config.database
    assert (db.version, db.tier, db.database, db.user) == (
        "POSTGRES_15",
        "db-f1-micro",
        "django",
        "django",
    )
    assert db.extensions == ["pg_trgm", "unaccent", "hstore", "citext"]
    assert (db.backup_schedule, db.backup_retention_days) == ("0 2 * * *", 7)
    assert (db.point_in_time_recovery, db.deletion_protection, db.private_ip) == (
        True,
        True,
        False,
    )
    assert (config.media.bucket_suffix, config.media.mode, config.media.mount_path) == (
        "django-media",
        "fuse",
        "/app/media",
    )
    assert config.static.mode == "whitenoise"
    assert (config.superuser.username, config.superuser.email) == ("admin", "admin@example.com")
    assert (config.worker.enable_worker, config.worker.concurrency) == (False, 4)
    assert config.cron == [] and config.custom_domains == []
    assert config.environment_variables == {} and config.secret_environment_variables == {}
    assert config.logging.json_lines is True
    assert (config.tracing.enabled, config.tracing.sample_ratio) == (False, 0.1)
    assert (config.monitoring.uptime_check, config.monitoring.alert_email) == (True, None)
    assert (config.build.github_repository, config.build.branch_pattern) == (None, "^main$")


def test_defaults_do_not_leak_between_configs() -> None:
    first, second = parse_config(""), parse_config("")
    first.database.extensions.append("postgis")
    assert second.database.extensions == ["pg_trgm", "unaccent", "hstore", "citext"]


def test_a_config_using_every_feature_is_accepted() -> None:
    config = parse_config(
        """
        project_id = "acme-shop-prod"
        region = "europe-west1"
        tenant_deployment_id = "shop"
        app_name = "web"
        min_instance_count = 1
        max_instance_count = 10
        cpu = 2
        memory = "2Gi"
        ingress_settings = "internal-and-cloud-load-balancing"
        public = true
        custom_domains = ["shop.example.com", "www.shop.example.com"]
        [edge.waf]
        enabled = true
        mode = "preview"
        sensitivity = 2
        rate_limit_per_minute = 1200
        login_rate_limit_per_minute = 20
        login_path = "/accounts/login/"
        [vpc]
        mode = "direct"
        network = "default"
        subnet = "run-egress"
        vpc_egress_setting = "ALL_TRAFFIC"
        [database]
        tier = "db-custom-2-7680"
        private_ip = true
        extensions = ["pg_trgm", "citext"]
        [media]
        mode = "api"
        [static]
        mode = "gcs-cdn"
        [environment_variables]
        FEATURE_FLAGS = "beta"
        [secret_environment_variables]
        STRIPE_API_KEY = "stripe-api-key"
        [worker]
        enable_worker = true
        [[cron]]
        name = "clear-sessions"
        schedule = "*/15 9-17 * * MON-FRI"
        command = "clearsessions"
        [[cron]]
        name = "digest"
        schedule = "0 6 1 JAN,JUL *"
        command = "send_digest --days 7"
        [tracing]
        enabled = true
        sample_ratio = 1
        [monitoring]
        alert_email = "ops@example.com"
        [build]
        github_repository = "acme/shop"
        branch_pattern = "^release/.*$"
        """.replace("\n        ", "\n")
    )
    assert config.service_name == "shop-web"
    assert config.cpu == "2"
    assert config.tracing.sample_ratio == 1.0
    assert [job.command for job in config.cron] == ["clearsessions", "send_digest --days 7"]
    assert config.load_balanced and config.edge.waf.sensitivity == 2


@pytest.mark.parametrize(
    ("tenant", "app", "expected"),
    [("demo", "django", "demo-django"), ("shop-stg", "api", "shop-stg-api")],
)
def test_service_name_is_tenant_dash_app(tenant: str, app: str, expected: str) -> None:
    config = parse_config(f'tenant_deployment_id = "{tenant}"\napp_name = "{app}"')
    assert config.service_name == expected
    assert redacted_dump(config)["service_name"] == expected


def test_service_name_of_49_characters_is_accepted() -> None:
    config = parse_config('tenant_deployment_id = "t"\napp_name = "' + "a" * 47 + '"')
    assert len(config.service_name) == 49


def test_config_is_immutable() -> None:
    config = parse_config("")
    with pytest.raises(ValidationError):
        config.region = "europe-west1"  # type: ignore[misc]


def test_cpu_may_be_written_as_integer_or_string() -> None:
    assert (
        parse_config('cpu = 4\nmemory = "2Gi"').cpu
        == parse_config('cpu = "4"\nmemory = "2Gi"').cpu
        == "4"
    )


def test_every_field_has_a_one_line_description() -> None:
    models: list[type[BaseModel]] = [CloudRunConfig]
    seen = []
    while models:
        model = models.pop()
        seen.append(model)
        for name, info in model.model_fields.items():
            assert info.description and "\n" not in info.description, f"{model.__name__}.{name}"
            annotation = info.annotation
            inner = getattr(annotation, "__args__", (annotation,))
            models += [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
    assert len(seen) >= 12


ENVIRONMENTS = """
tenant_deployment_id = "shop"
max_instance_count = 5
[database]
tier = "db-g1-small"
extensions = ["pg_trgm", "unaccent"]
[environment_variables]
COLOR = "blue"
SIZE = "l"
[environments.staging]
tenant_deployment_id = "shop-stg"
[environments.staging.database]
deletion_protection = false
extensions = ["citext"]
[environments.staging.environment_variables]
COLOR = "green"
[environments.prod]
min_instance_count = 1
"""


def test_environment_overrides_base_values() -> None:
    staging = parse_config(ENVIRONMENTS, "staging")
    assert staging.service_name == "shop-stg-django"
    assert staging.max_instance_count == 5  # inherited


def test_environment_tables_merge_key_by_key() -> None:
    staging = parse_config(ENVIRONMENTS, "staging")
    assert staging.database.tier == "db-g1-small"
    assert staging.database.deletion_protection is False
    assert staging.environment_variables == {"COLOR": "green", "SIZE": "l"}


def test_environment_arrays_replace_the_base() -> None:
    assert parse_config(ENVIRONMENTS, "staging").database.extensions == ["citext"]


def test_without_env_the_base_is_returned() -> None:
    base = parse_config(ENVIRONMENTS)
    assert base.service_name == "shop-django"
    assert base.database.deletion_protection is True


def test_unknown_environment_lists_the_available_ones() -> None:
    assert problems(ENVIRONMENTS, "stagng") == [
        "environments.stagng: not defined; did you mean staging? available: prod, staging"
    ]


def test_unknown_environment_without_any_defined() -> None:
    assert problems("", "prod") == [
        "environments.prod: not defined; this file has no [environments.NAME] tables"
    ]


def test_environment_is_validated_against_the_merged_result() -> None:
    text = "min_instance_count = 2\n[environments.small]\nmax_instance_count = 1"
    assert problems(text) == [
        "environments.small.max_instance_count: must be >= min_instance_count (2), got 1"
    ]


def test_every_environment_is_validated_whichever_is_chosen() -> None:
    text = '[environments.a]\nregion = "x"\n[environments.b]\nregion = "us-east1"'
    assert problems(text, "b") == [
        "environments.a.region: must be a Cloud Run region such as us-central1, got 'x'"
    ]


def test_base_problem_is_not_repeated_under_each_environment() -> None:
    text = 'region = "x"\n[environments.a]\npublic = false\n[environments.b]\npublic = true'
    assert problems(text) == ["region: must be a Cloud Run region such as us-central1, got 'x'"]


def test_environment_can_fix_nothing_broken_in_the_base() -> None:
    # The base is an environment of its own, so it must be valid by itself.
    text = 'region = "x"\n[environments.a]\nregion = "us-east1"'
    assert problems(text, "a") == [
        "region: must be a Cloud Run region such as us-central1, got 'x'"
    ]


def test_deep_merge_leaves_its_inputs_alone() -> None:
    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    overlay = {"a": {"b": 2}, "e": {"f": 1}}
    merged = deep_merge(base, overlay)
    assert merged == {"a": {"b": 2, "c": [1]}, "d": 1, "e": {"f": 1}}
    merged["a"]["c"].append(2)
    assert base == {"a": {"b": 1, "c": [1]}, "d": 1}


def test_load_config_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cloudrun.toml"
    path.write_text('tenant_deployment_id = "acme"\n[environments.x]\napp_name = "api"\n')
    assert load_config(path).service_name == "acme-django"
    assert load_config(str(path), env="x").service_name == "acme-api"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [
        f"{path}: no such file; create it with `django-cloudrun init` or pass --config"
    ]


def test_directory_instead_of_file_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a TOML file"):
        load_config(tmp_path)


def test_non_utf8_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "cloudrun.toml"
    path.write_bytes(b'region = "\xff"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 10\)"):
        load_config(path)


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cloudrun.toml"
    path.write_text('region = "us-central1"\nmax_instance_count = = 3\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.messages == [f"{path}: line 2, column 22: invalid TOML: Invalid value"]


def test_config_error_str_is_one_line_per_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config('region = "x"\npublic = 1')
    assert str(caught.value).splitlines() == caught.value.messages
    assert len(caught.value.messages) == 2


SECRETS = """
[environment_variables]
STRIPE_API_KEY = "sk_live_123"
DB_ADMIN_PASSWORD_HINT = "hunter2"
GITHUB_TOKEN = "ghp_abc"
OAUTH_CLIENT_SECRET = "s3cr3t"
GCP_CREDENTIALS = "{}"
PRIVATE_NOTE = "psst"
COLOR = "blue"
[secret_environment_variables]
PAYMENTS_PASSWORD = "payments-password"
"""


def test_redacted_dump_masks_secret_looking_values() -> None:
    data = redacted_dump(parse_config(SECRETS))
    assert data["environment_variables"] == {
        "STRIPE_API_KEY": REDACTED,
        "DB_ADMIN_PASSWORD_HINT": REDACTED,
        "GITHUB_TOKEN": REDACTED,
        "OAUTH_CLIENT_SECRET": REDACTED,
        "GCP_CREDENTIALS": REDACTED,
        "PRIVATE_NOTE": REDACTED,
        "COLOR": "blue",
    }
    for secret in ("sk_live_123", "hunter2", "ghp_abc", "s3cr3t", "psst"):
        assert secret not in json.dumps(data)


def test_redacted_dump_keeps_secret_ids_which_are_not_secret() -> None:
    data = redacted_dump(parse_config(SECRETS))
    assert data["secret_environment_variables"] == {"PAYMENTS_PASSWORD": "payments-password"}


def test_redacted_dump_is_json_with_toml_key_names() -> None:
    data = json.loads(json.dumps(redacted_dump(parse_config(""))))
    assert data["logging"] == {"json": True}
    assert data["service_name"] == "demo-django"


def test_redaction_does_not_change_the_config() -> None:
    config = parse_config(SECRETS)
    redacted_dump(config)
    assert config.environment_variables["STRIPE_API_KEY"] == "sk_live_123"


def test_secret_looking_plain_variables_get_a_warning_each() -> None:
    warnings = secret_warnings(parse_config(SECRETS))
    assert len(warnings) == 6
    assert warnings[0] == (
        "environment_variables.STRIPE_API_KEY: looks like a secret; move it to "
        "secret_environment_variables so it is kept in Secret Manager, not in plain text"
    )
    assert secret_warnings(parse_config('[environment_variables]\nCOLOR = "x"')) == []


def test_reference_lists_every_key_with_its_default() -> None:
    doc = render_markdown()
    for key in CloudRunConfig.model_fields:
        assert f"`{key}`" in doc or f"`[{key}]`" in doc or f"`[[{key}]]`" in doc, key
    assert '| `backup_schedule` | string | `"0 2 * * *"` |' in doc
    assert "| `max_concurrency` | integer (1..1000) | `80` |" in doc
    assert "| `json` | boolean | `true` |" in doc


def test_config_package_does_not_import_the_cli_libraries() -> None:
    code = (
        "import sys, django_cloudrun.config, django_cloudrun.config.reference;"
        "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
