"""IAM, least privilege: every member exactly as listed, and the build pipeline."""

from __future__ import annotations

import yaml

from django_cloudrun.config import parse_config
from django_cloudrun.infra.build import before_build, build_account
from django_cloudrun.scaffold.ci import cloudbuild
from infra_support import (
    ACCOUNT,
    BUCKET,
    PROJECT_MEMBER,
    REPOSITORY,
    SERVICE,
    TRIGGER,
    deploy,
)

PROJECT = "my-project"
MEDIA = "my-project-demo-django-django-media"
SOURCES = "my-project-demo-django-build-sources"


def account(name: str) -> str:
    return f"serviceAccount:{name}@{PROJECT}.iam.gserviceaccount.com"


RUNTIME = account("demo-django-run")
DB_INIT = account("demo-django-db-init")
MIGRATE = account("demo-django-migrate")
BUILD = account("demo-django-build")
ACCESSOR = "roles/secretmanager.secretAccessor"

BASE = {
    (RUNTIME, "roles/cloudsql.client", PROJECT),
    (RUNTIME, ACCESSOR, "demo-django-db-password"),
    (RUNTIME, ACCESSOR, "demo-django-secret-key"),
    (RUNTIME, ACCESSOR, "demo-django-database-url"),
    (RUNTIME, "roles/storage.objectAdmin", MEDIA),
    (RUNTIME, "roles/storage.legacyBucketReader", MEDIA),
    (DB_INIT, "roles/cloudsql.client", PROJECT),
    (DB_INIT, ACCESSOR, "demo-django-db-password"),
    (DB_INIT, ACCESSOR, "demo-django-secret-key"),
    (DB_INIT, ACCESSOR, "demo-django-database-url"),
    (DB_INIT, ACCESSOR, "demo-django-db-admin-password"),
    (MIGRATE, "roles/cloudsql.client", PROJECT),
    (MIGRATE, ACCESSOR, "demo-django-db-password"),
    (MIGRATE, ACCESSOR, "demo-django-secret-key"),
    (MIGRATE, ACCESSOR, "demo-django-database-url"),
    (MIGRATE, ACCESSOR, "demo-django-superuser-password"),
    # Builds run as their own account: it reads the uploaded sources, pushes this app's
    # images and writes its logs, and can neither deploy nor act as another account.
    (BUILD, "roles/storage.objectViewer", SOURCES),
    (BUILD, "roles/artifactregistry.writer", "demo-django"),
    (BUILD, "roles/logging.logWriter", PROJECT),
}


def test_iam_members_are_exactly_these_for_a_public_service():
    # Public means the invoker check is off (test_infra_service): no allUsers member.
    assert deploy("public = true").iam() == BASE


def test_iam_members_are_exactly_these_for_a_private_service():
    assert deploy("public = false").iam() == BASE


def test_a_build_trigger_adds_no_iam_member():
    declared = deploy('public = false\n[build]\ngithub_repository = "acme/shop"')
    assert declared.iam() == BASE


def test_the_build_account_can_neither_deploy_nor_act_as_another_account():
    rows = deploy('[build]\ngithub_repository = "acme/shop"').iam()
    build_roles = {role for member, role, _ in rows if member == BUILD}
    assert build_roles == {
        "roles/storage.objectViewer",
        "roles/artifactregistry.writer",
        "roles/logging.logWriter",
    }
    assert not {"roles/run.developer", "roles/iam.serviceAccountUser"} & {
        role for _, role, _ in rows
    }


def test_runtime_account_never_reads_the_admin_or_superuser_password():
    rows = deploy().iam()
    runtime_secrets = {
        resource for member, role, resource in rows if member == RUNTIME and role == ACCESSOR
    }
    assert runtime_secrets == {
        "demo-django-db-password",
        "demo-django-secret-key",
        "demo-django-database-url",
    }


def test_only_cloudsql_client_is_granted_project_wide_to_the_app():
    declared = deploy('[build]\ngithub_repository = "acme/shop"')
    project_roles = {(m["member"], m["role"]) for m in declared.of_type(PROJECT_MEMBER).values()}
    assert project_roles == {
        (RUNTIME, "roles/cloudsql.client"),
        (DB_INIT, "roles/cloudsql.client"),
        (MIGRATE, "roles/cloudsql.client"),
        # A build account that runs as itself must be allowed to write its build logs.
        (BUILD, "roles/logging.logWriter"),
    }


def test_api_media_lets_the_runtime_account_sign_urls_as_itself_only():
    rows = deploy('public = false\n[media]\nmode = "api"').iam()
    runtime_name = (
        f"projects/{PROJECT}/serviceAccounts/demo-django-run@{PROJECT}.iam.gserviceaccount.com"
    )
    assert rows - BASE == {(RUNTIME, "roles/iam.serviceAccountTokenCreator", runtime_name)}


def test_tracing_lets_the_runtime_account_alone_write_traces():
    rows = deploy("public = false\n[tracing]\nenabled = true").iam()
    # The jobs get the same environment but serve no requests, so they export no traces.
    assert rows - BASE == {(RUNTIME, "roles/cloudtrace.agent", PROJECT)}


def test_project_secrets_are_readable_by_every_process_that_gets_them():
    rows = deploy('public = false\n[secret_environment_variables]\nSTRIPE_KEY = "stripe"').iam()
    assert rows - BASE == {
        (RUNTIME, ACCESSOR, "stripe"),
        (DB_INIT, ACCESSOR, "stripe"),
        (MIGRATE, ACCESSOR, "stripe"),
    }


def test_accounts_are_dedicated_and_described():
    accounts = deploy('[build]\ngithub_repository = "acme/shop"').of_type(ACCOUNT)
    assert {a["accountId"] for a in accounts.values()} == {
        "demo-django-run",
        "demo-django-db-init",
        "demo-django-migrate",
        "demo-django-build",
    }
    assert all(a["description"] and a["project"] == PROJECT for a in accounts.values())


def test_long_service_names_give_valid_account_ids():
    accounts = deploy('tenant_deployment_id = "tenant-0123456789ab"\napp_name = "app"').of_type(
        ACCOUNT
    )
    ids = {a["accountId"] for a in accounts.values()}
    assert len(ids) == 4
    assert all(6 <= len(i) <= 30 and i[0].isalpha() and i[-1].isalnum() for i in ids), ids


def test_artifact_registry_holds_the_images():
    repository = deploy().one(REPOSITORY)
    assert repository["repositoryId"] == "demo-django"
    assert repository["format"] == "DOCKER"
    assert repository["location"] == "us-central1"


def test_no_trigger_without_a_github_repository():
    declared = deploy()
    assert not declared.of_type(TRIGGER)
    # deploy's own builds still run as the build account.
    assert [a["accountId"] for a in declared.of_type(ACCOUNT).values()].count(
        "demo-django-build"
    ) == 1


def test_trigger_builds_pushes_to_the_branch_pattern_as_the_build_account():
    declared = deploy('[build]\ngithub_repository = "acme/shop"\nbranch_pattern = "^release/.*$"')
    trigger = declared.one(TRIGGER)
    assert trigger["github"] == {
        "owner": "acme",
        "name": "shop",
        "push": {"branch": "^release/.*$"},
    }
    assert trigger["filename"] == "cloudbuild.yaml"
    assert (
        trigger["serviceAccount"]
        == f"projects/{PROJECT}/serviceAccounts/demo-django-build@{PROJECT}.iam.gserviceaccount.com"
    )
    assert trigger["substitutions"] == {
        "_REGION": "us-central1",
        "_IMAGE": f"us-central1-docker.pkg.dev/{PROJECT}/demo-django/django",
        "_SERVICE": "demo-django",
    }


def test_the_trigger_runs_a_file_that_logs_to_cloud_logging_only():
    # A build run as a user-specified account must log to Cloud Logging or a user bucket.
    config = parse_config('[build]\ngithub_repository = "acme/shop"')
    trigger = deploy(config).one(TRIGGER)
    assert trigger["filename"] == "cloudbuild.yaml" and "build" not in trigger
    assert yaml.safe_load(cloudbuild(config))["options"]["logging"] == "CLOUD_LOGGING_ONLY"


def test_the_service_waits_for_the_trigger_so_a_refused_trigger_moves_no_traffic():
    declared = deploy('[build]\ngithub_repository = "acme/shop"')
    trigger = (TRIGGER, "demo-django-trigger")
    service = (SERVICE, "demo-django-service")
    assert trigger in declared.depends_on[service]
    assert declared.order.index(trigger) < declared.order.index(service)
    # The trigger no longer waits for the service: nothing of the service is granted to it.
    assert service not in declared.depends_on[trigger]


def test_build_account_spec_is_what_the_program_creates():
    config = parse_config('project_id = "acme-prod"')
    spec = build_account(config, "acme-prod")
    declared = deploy(config)
    account = declared.named(ACCOUNT, "demo-django-build-sa")
    assert account["accountId"] == spec.account_id == "demo-django-build"
    assert spec.email == "demo-django-build@acme-prod.iam.gserviceaccount.com"
    assert spec.resource_name == f"projects/acme-prod/serviceAccounts/{spec.email}"
    assert spec.logging == "CLOUD_LOGGING_ONLY"
    granted = {
        (role, str(resource))
        for member, role, resource in declared.iam()
        if member == f"serviceAccount:{spec.email}"
    }
    assert granted == {
        ("roles/storage.objectViewer", spec.source_bucket),
        ("roles/artifactregistry.writer", "demo-django"),
        ("roles/logging.logWriter", "acme-prod"),
    }
    assert {role for role, _ in spec.roles} == {role for role, _ in granted}


def test_sources_bucket_is_private_in_the_region_and_forgets_old_archives():
    bucket = deploy().named(BUCKET, "demo-django-build-sources")
    assert bucket["name"] == SOURCES
    assert bucket["location"] == "US-CENTRAL1"
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["forceDestroy"] is True  # copies of the sources only
    assert bucket["lifecycleRules"] == [{"action": {"type": "Delete"}, "condition": {"age": 7}}]


def test_before_build_names_the_repository_the_account_and_all_its_grants():
    declared = deploy()
    listed = before_build("demo-django")
    assert all(key in declared.inputs for key in listed), listed
    account_grants = {
        key for key, inputs in declared.inputs.items() if inputs.get("member") == BUILD
    }
    assert account_grants <= set(listed)
    assert (REPOSITORY, "demo-django-images") in listed
