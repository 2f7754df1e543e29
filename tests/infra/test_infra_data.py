"""Cloud SQL, Secret Manager and the media bucket: hardening, pinning, volumes."""

from __future__ import annotations

import pytest

from django_cloudrun.config import ConfigError, parse_config
from django_cloudrun.config.platform import backup_start_time
from django_cloudrun.config.topology import DATABASE_URL_SECRET, SECRETS
from django_cloudrun.infra.args import SecretEnv
from infra_support import (
    BUCKET,
    DATABASE,
    INSTANCE,
    PASSWORD,
    SECRET,
    SECRET_VERSION,
    SERVICE,
    USER,
    deploy,
    env_of,
    job_container,
    secret_value,
    service_container,
)

# --- Cloud SQL ---------------------------------------------------------------------------


def test_instance_is_postgres_15_on_the_configured_tier():
    instance = deploy().one(INSTANCE)
    assert instance["databaseVersion"] == "POSTGRES_15"
    assert instance["name"] == "demo-django-db"
    assert instance["region"] == "us-central1"
    assert instance["settings"]["tier"] == "db-f1-micro"
    assert instance["settings"]["edition"] == "ENTERPRISE"


def test_backups_run_daily_on_schedule_with_retention_and_pitr():
    backups = deploy('[database]\nbackup_schedule = "0 4 * * *"\nbackup_retention_days = 14').one(
        INSTANCE
    )["settings"]["backupConfiguration"]
    assert backups == {
        "enabled": True,
        "startTime": "04:00",
        "pointInTimeRecoveryEnabled": True,
        "transactionLogRetentionDays": 7,
        "backupRetentionSettings": {"retainedBackups": 14, "retentionUnit": "COUNT"},
    }


def test_pitr_can_be_turned_off():
    backups = deploy("[database]\npoint_in_time_recovery = false").one(INSTANCE)["settings"][
        "backupConfiguration"
    ]
    assert backups["pointInTimeRecoveryEnabled"] is False
    assert "transactionLogRetentionDays" not in backups


def test_instance_is_protected_from_deletion_in_pulumi_and_in_the_api():
    instance = deploy().one(INSTANCE)
    assert instance["deletionProtection"] is True
    assert instance["settings"]["deletionProtectionEnabled"] is True


def test_deletion_protection_off_turns_off_both():
    instance = deploy("[database]\ndeletion_protection = false").one(INSTANCE)
    assert instance["deletionProtection"] is False
    assert instance["settings"]["deletionProtectionEnabled"] is False


def test_connections_must_be_encrypted_and_no_network_is_authorised():
    ip = deploy().one(INSTANCE)["settings"]["ipConfiguration"]
    assert ip == {"ipv4Enabled": True, "sslMode": "ENCRYPTED_ONLY", "authorizedNetworks": []}


def test_private_ip_uses_the_named_network_and_drops_the_public_ip():
    ip = deploy(
        '[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "prod-run"\n'
        "[database]\nprivate_ip = true"
    ).one(INSTANCE)["settings"]["ipConfiguration"]
    assert ip["ipv4Enabled"] is False
    assert ip["privateNetwork"] == "projects/my-project/global/networks/prod"
    assert ip["authorizedNetworks"] == []


PRIVATE = (
    '[vpc]\nmode = "direct"\nnetwork = "prod"\nsubnet = "prod-run"\n[database]\nprivate_ip = true'
)
RANGE = "gcp:compute/globalAddress:GlobalAddress"
PEERING = "gcp:servicenetworking/connection:Connection"


def test_private_ip_reserves_a_range_and_connects_the_network_to_google_services():
    declared = deploy(PRIVATE)
    assert declared.one(RANGE) == {
        "project": "my-project",
        "name": "demo-django-sql-range",
        "description": "Private IPs of Google services on the network, for demo-django's "
        "Cloud SQL instance",
        "purpose": "VPC_PEERING",
        "addressType": "INTERNAL",
        "prefixLength": 16,  # Cloud SQL's recommended size; /24 is its minimum
        "network": "projects/my-project/global/networks/prod",
    }
    assert declared.one(PEERING) == {
        "network": "projects/my-project/global/networks/prod",
        "service": "servicenetworking.googleapis.com",
        "reservedPeeringRanges": ["demo-django-sql-range"],
        "deletionPolicy": "ABANDON",  # other services of the network may use it
    }
    assert (PEERING, "demo-django-private-services") in declared.depends_on[
        (INSTANCE, "demo-django-sql")
    ]


def test_a_shared_vpc_network_is_used_as_written_and_its_range_is_the_host_projects():
    shared = "projects/host-project/global/networks/shared"
    declared = deploy(
        f'[vpc]\nmode = "direct"\nnetwork = "{shared}"\nsubnet = "run"\n'
        "[database]\nprivate_ip = true"
    )
    assert declared.one(INSTANCE)["settings"]["ipConfiguration"]["privateNetwork"] == shared
    assert (declared.one(RANGE)["project"], declared.one(RANGE)["network"]) == (
        "host-project",
        shared,
    )
    assert declared.one(PEERING)["network"] == shared


def test_a_network_that_has_private_services_access_keeps_it_as_it_is():
    declared = deploy(f'{PRIVATE}\nprivate_services_access = "existing"')
    assert not declared.of_type(RANGE) and not declared.of_type(PEERING)
    assert declared.one(INSTANCE)["settings"]["ipConfiguration"]["ipv4Enabled"] is False


def test_a_public_ip_needs_no_private_services_access():
    declared = deploy()
    assert not declared.of_type(RANGE) and not declared.of_type(PEERING)


@pytest.mark.parametrize(
    ("schedule", "start"), [("0 2 * * *", "02:00"), ("0 23 * * *", "23:00"), ("0 0 * * *", "00:00")]
)
def test_backup_start_time_comes_from_a_daily_schedule(schedule, start):
    assert backup_start_time(schedule) == start


@pytest.mark.parametrize("schedule", ["30 2 * * *", "0 2 * * 1", "0 */6 * * *", "0 2 1 * *"])
def test_backup_schedule_that_is_not_daily_on_the_hour_is_a_config_error(schedule):
    with pytest.raises(ConfigError) as caught:
        parse_config(f'[database]\nbackup_schedule = "{schedule}"')
    assert caught.value.messages == [
        "database.backup_schedule: Cloud SQL backs up once a day at the start of an hour "
        f"(UTC); use '0 H * * *' with H from 0 to 23, got {schedule!r}"
    ]


def test_database_comes_from_the_config_and_the_app_role_is_left_to_db_init():
    declared = deploy('[database]\ndatabase = "shop"\nuser = "shop_app"')
    assert declared.one(DATABASE)["name"] == "shop"
    assert declared.one(DATABASE)["instance"] == "demo-django-db"
    # A user made through the Cloud SQL API joins cloudsqlsuperuser; only the admin is.
    users = {u["name"]: u for u in declared.of_type(USER).values()}
    assert set(users) == {"postgres"}
    plain, _secret = env_of(job_container(declared, "db-init"))
    assert plain["DB_USER"] == "shop_app"


def test_the_admin_gets_the_random_password_of_its_own_secret():
    declared = deploy()
    admin = declared.one(USER)
    versions = declared.of_type(SECRET_VERSION)
    assert secret_value(admin["password"]) == secret_value(
        versions["demo-django-db-admin-password"]["secretData"]
    )
    assert secret_value(admin["password"]) != secret_value(
        versions["demo-django-db-password"]["secretData"]
    )


def test_db_init_connects_as_the_admin_user_cloud_sql_gets_a_password_for():
    declared = deploy()
    admin = next(u for u in declared.of_type(USER).values() if u["name"] != "django")
    plain, secret = env_of(job_container(declared, "db-init"))
    assert plain["DB_ADMIN_USER"] == admin["name"] == "postgres"
    assert secret["DB_ADMIN_PASSWORD"]["secret"] == "demo-django-db-admin-password"


def test_cloudsql_socket_is_mounted_at_cloudsql_and_db_host_points_into_it():
    declared = deploy()
    template = declared.one(SERVICE)["template"]
    assert {
        "name": "cloudsql",
        "cloudSqlInstance": {"instances": ["my-project:us-central1:demo-django-db"]},
    } in template["volumes"]
    container = service_container(declared)
    assert {"name": "cloudsql", "mountPath": "/cloudsql"} in container["volumeMounts"]
    plain, _ = env_of(container)
    assert plain["DB_HOST"] == "/cloudsql/my-project:us-central1:demo-django-db"
    assert plain["DB_ENGINE"] == "django.db.backends.postgresql"
    assert "DB_PORT" not in plain  # a socket has no port


# --- Secret Manager ----------------------------------------------------------------------


def test_one_random_secret_per_generated_secret_with_its_length():
    declared = deploy()
    secrets = declared.of_type(SECRET)
    passwords = declared.of_type(PASSWORD)
    assert {s["secretId"] for s in secrets.values()} == {
        f"demo-django-{ref.key}" for ref in SECRETS
    } | {f"demo-django-{DATABASE_URL_SECRET}"}
    for ref in SECRETS:
        assert passwords[f"demo-django-{ref.key}"]["length"] == ref.length
        assert secrets[f"demo-django-{ref.key}"]["replication"] == {"auto": {}}
    assert passwords["demo-django-secret-key"]["length"] == 50


def test_each_secret_version_stores_its_own_random_password():
    declared = deploy()
    versions = declared.of_type(SECRET_VERSION)
    values = [secret_value(versions[f"demo-django-{ref.key}"]["secretData"]) for ref in SECRETS]
    assert len(values) == len(set(values)) == len(SECRETS)
    assert set(values) == declared.secret_values


def test_database_url_is_a_secret_naming_the_socket_and_the_generated_password():
    declared = deploy()
    versions = declared.of_type(SECRET_VERSION)
    url = secret_value(versions[f"demo-django-{DATABASE_URL_SECRET}"]["secretData"])
    password = secret_value(versions["demo-django-db-password"]["secretData"])
    plain, _ = env_of(service_container(declared))
    assert url == (
        f"postgres://{plain['DB_USER']}:{password}@/{plain['DB_NAME']}"
        "?host=/cloudsql/my-project:us-central1:demo-django-db"
    )
    assert "DATABASE_URL" not in plain  # only ever read from Secret Manager


def test_secret_env_is_pinned_to_the_version_created_in_this_deployment():
    declared = deploy()
    _, secret = env_of(service_container(declared))
    assert secret == {
        "DB_PASSWORD": {"secret": "demo-django-db-password", "version": "1"},
        "SECRET_KEY": {"secret": "demo-django-secret-key", "version": "1"},
        "DATABASE_URL": {"secret": "demo-django-database-url", "version": "1"},
        # The same key, under the name production templates read (env("DJANGO_SECRET_KEY")).
        "DJANGO_SECRET_KEY": {"secret": "demo-django-secret-key", "version": "1"},
    }


def test_no_process_reads_latest():
    declared = deploy('[secret_environment_variables]\nSTRIPE_KEY = "stripe"')
    containers = [
        service_container(declared),
        job_container(declared, "db-init"),
        job_container(declared, "migrate"),
    ]
    for container in containers:
        _, secret = env_of(container)
        assert secret
        assert all(ref["version"].isdigit() for ref in secret.values()), secret


def test_project_secrets_are_pinned_to_their_current_version():
    declared = deploy('[secret_environment_variables]\nSTRIPE_KEY = "stripe"')
    _, secret = env_of(service_container(declared))
    assert secret["STRIPE_KEY"] == {"secret": "stripe", "version": "1"}
    plain, _ = env_of(service_container(declared))
    assert plain["CLOUDRUN_SECRET_VARIABLES"] == "STRIPE_KEY"


def test_the_superuser_password_is_its_own_secret_read_only_by_migrate():
    declared = deploy()
    _, migrate = env_of(job_container(declared, "migrate"))
    _, db_init = env_of(job_container(declared, "db-init"))
    _, service = env_of(service_container(declared))
    assert migrate["DJANGO_SUPERUSER_PASSWORD"]["secret"] == "demo-django-superuser-password"
    assert migrate["DJANGO_SUPERUSER_PASSWORD"] != migrate["DB_PASSWORD"]
    assert "DJANGO_SUPERUSER_PASSWORD" not in db_init
    assert "DJANGO_SUPERUSER_PASSWORD" not in service
    assert "DB_ADMIN_PASSWORD" not in migrate
    assert "DB_ADMIN_PASSWORD" not in service


def test_latest_is_refused_as_a_pinned_version():
    with pytest.raises(ValueError, match="'latest' would let a revision's values change"):
        SecretEnv(key="x", secret="x", version="latest")


# --- Media bucket ------------------------------------------------------------------------


def test_media_bucket_is_private_uniform_and_named_after_the_service():
    bucket = deploy('project_id = "acme-prod"').named(BUCKET, "demo-django-media")
    assert bucket == {
        "project": "acme-prod",
        "name": "acme-prod-demo-django-django-media",
        "location": "US-CENTRAL1",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "forceDestroy": False,
        "labels": {"app": "demo-django", "managed-by": "django-cloudrun"},
    }


def test_no_acl_resources_exist():
    types = {typ for typ, _ in deploy().inputs}
    assert not [t for t in types if "acl" in t.lower() or "accesscontrol" in t.lower()]


def test_long_bucket_names_are_shortened_to_63_characters():
    bucket = deploy(
        'project_id = "a-very-long-project-id-0123"\n'
        'tenant_deployment_id = "tenant-0123456789abc"\n'
        'app_name = "application"\n[media]\nbucket_suffix = "django-media-files"'
    ).named(BUCKET, "tenant-0123456789abc-application-media")
    assert len(bucket["name"]) == 63
    assert bucket["name"].startswith("a-very-long-project-id-0123-tenant")


def test_fuse_mode_mounts_the_bucket_at_the_mount_path_as_uid_2000():
    declared = deploy()
    volumes = {v["name"]: v for v in declared.one(SERVICE)["template"]["volumes"]}
    assert volumes["media"]["gcs"] == {
        "bucket": "my-project-demo-django-django-media",
        "readOnly": False,
        "mountOptions": ["implicit-dirs", "uid=2000", "gid=2000", "file-mode=640", "dir-mode=750"],
    }
    container = service_container(declared)
    assert {"name": "media", "mountPath": "/app/media"} in container["volumeMounts"]
    plain, _ = env_of(container)
    assert plain["MEDIA_ROOT"] == "/app/media"
    assert plain["CLOUDRUN_MEDIA_MODE"] == "fuse"
    assert plain["GS_BUCKET_NAME"] == "my-project-demo-django-django-media"


def test_api_mode_mounts_nothing_and_passes_the_bucket_name():
    declared = deploy('[media]\nmode = "api"')
    assert [v["name"] for v in declared.one(SERVICE)["template"]["volumes"]] == ["cloudsql"]
    plain, _ = env_of(service_container(declared))
    assert plain["CLOUDRUN_MEDIA_MODE"] == "api"
    assert "MEDIA_ROOT" not in plain
    assert plain["GS_BUCKET_NAME"] == "my-project-demo-django-django-media"


def test_project_secret_values_are_never_fetched():
    declared = deploy('[secret_environment_variables]\nSTRIPE_KEY = "stripe"')
    lookups = [args for token, args in declared.calls if token.endswith("getSecretVersion")]
    assert lookups == [{"project": "my-project", "secret": "stripe", "fetchSecretData": False}]
