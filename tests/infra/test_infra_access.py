"""IAM, least privilege: every member exactly as listed, and the build pipeline."""

from __future__ import annotations

from infra_support import (
    ACCOUNT,
    PROJECT_MEMBER,
    REPOSITORY,
    TRIGGER,
    deploy,
)

PROJECT = "my-project"
BUCKET = "my-project-demo-django-django-media"


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
    (RUNTIME, "roles/storage.objectAdmin", BUCKET),
    (RUNTIME, "roles/storage.legacyBucketReader", BUCKET),
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
}
PUBLIC = {("allUsers", "roles/run.invoker", "demo-django")}
BUILD_GRANTS = {
    (
        BUILD,
        "roles/iam.serviceAccountUser",
        f"projects/{PROJECT}/serviceAccounts/demo-django-run@{PROJECT}.iam.gserviceaccount.com",
    ),
    (BUILD, "roles/run.developer", "demo-django"),
    (BUILD, "roles/artifactregistry.writer", "demo-django"),
    (BUILD, "roles/logging.logWriter", PROJECT),
}


def test_iam_members_are_exactly_these_for_a_public_service():
    assert deploy("public = true").iam() == BASE | PUBLIC


def test_iam_members_are_exactly_these_for_a_private_service():
    assert deploy("public = false").iam() == BASE


def test_iam_members_with_a_build_trigger_add_only_the_build_accounts():
    declared = deploy('public = false\n[build]\ngithub_repository = "acme/shop"')
    assert declared.iam() == BASE | BUILD_GRANTS


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
    assert len(ids) == 3
    assert all(6 <= len(i) <= 30 and i[0].isalpha() and i[-1].isalnum() for i in ids), ids


def test_artifact_registry_holds_the_images():
    repository = deploy().one(REPOSITORY)
    assert repository["repositoryId"] == "demo-django"
    assert repository["format"] == "DOCKER"
    assert repository["location"] == "us-central1"


def test_no_trigger_without_a_github_repository():
    declared = deploy()
    assert not declared.of_type(TRIGGER)
    assert not [a for a in declared.of_type(ACCOUNT).values() if a["accountId"].endswith("-build")]


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
