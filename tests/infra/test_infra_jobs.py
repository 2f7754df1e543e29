"""db-init and migrate: what they run, as whom, in which order, and when they run again."""

from __future__ import annotations

import pulumi

from django_cloudrun.config.topology import JOBS
from django_cloudrun.infra.args import (
    CloudRunAppArgs,
    CloudSqlVolume,
    GcsVolume,
    JobSpec,
    SecretEnv,
)
from django_cloudrun.infra.cloud_run_app import CloudRunApp
from django_cloudrun.infra.jobs import EXECUTION_NAME_MAX, failure_hint, job_name
from django_cloudrun.infra.timeouts import execution_seconds, waiting_for
from infra_support import (
    ACCOUNT,
    JOB,
    SERVICE,
    deploy,
    env_of,
    job_container,
    run_program,
    service_container,
)

IMAGE = "us-central1-docker.pkg.dev/my-project/demo-django/django@sha256:" + "a" * 64
OTHER_IMAGE = "us-central1-docker.pkg.dev/my-project/demo-django/django@sha256:" + "b" * 64


def jobs_by_name(declared):
    return {inputs["name"]: inputs for inputs in declared.of_type(JOB).values()}


def tokens(declared):
    return {name: job["runExecutionToken"] for name, job in jobs_by_name(declared).items()}


def test_two_jobs_db_init_and_migrate_run_their_commands():
    declared = deploy(image=IMAGE)
    assert [job.name for job in JOBS] == ["db-init", "migrate"]
    assert set(jobs_by_name(declared)) == {"demo-django-db-init", "demo-django-migrate"}
    for name, command in (("db-init", "cloudrun_db_init"), ("migrate", "cloudrun_migrate")):
        container = job_container(declared, name)
        assert container["commands"] == ["python", "manage.py"]
        assert container["args"] == [command]
        assert container["image"] == IMAGE == service_container(declared)["image"]


def test_migrate_waits_for_db_init_and_the_service_waits_for_migrate():
    declared = deploy()
    depends = declared.depends_on
    assert (JOB, "demo-django-db-init") in depends[(JOB, "demo-django-migrate")]
    assert (JOB, "demo-django-migrate") in depends[(SERVICE, "demo-django-service")]
    order = declared.order
    assert order.index((JOB, "demo-django-db-init")) < order.index((JOB, "demo-django-migrate"))


def test_db_init_waits_for_the_database_its_users_and_its_grants():
    depends = dict.fromkeys(deploy().depends_on[(JOB, "demo-django-db-init")])
    assert ("gcp:sql/database:Database", "demo-django-database") in depends
    assert ("gcp:sql/user:User", "demo-django-admin") in depends
    assert (
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "demo-django-db-init-sa-reads-db-admin-password",
    ) in depends
    assert ("gcp:projects/iAMMember:IAMMember", "demo-django-db-init-sa-cloudsql-client") in depends


def test_service_waits_for_its_own_grants():
    depends = deploy().depends_on[(SERVICE, "demo-django-service")]
    assert (
        "gcp:secretmanager/secretIamMember:SecretIamMember",
        "demo-django-sa-reads-db-password",
    ) in depends
    assert (
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "demo-django-sa-media-object-admin",
    ) in depends


def test_jobs_run_again_when_the_image_changes():
    assert tokens(deploy(image=IMAGE)).keys() == tokens(deploy(image=OTHER_IMAGE)).keys()
    first, second = tokens(deploy(image=IMAGE)), tokens(deploy(image=OTHER_IMAGE))
    assert all(first[name] != second[name] for name in first)


def test_jobs_do_not_run_again_when_nothing_changed():
    assert tokens(deploy(image=IMAGE)) == tokens(deploy(image=IMAGE))


def test_jobs_run_again_when_their_configuration_changes():
    before = tokens(deploy(image=IMAGE))
    after = tokens(deploy('[database]\nextensions = ["pg_trgm"]', image=IMAGE))
    assert before["demo-django-db-init"] != after["demo-django-db-init"]


def test_a_new_release_runs_the_jobs_with_the_same_image():
    assert tokens(deploy(image=IMAGE)) != tokens(deploy(image=IMAGE, release="rollback-1"))


def test_job_name_and_token_stay_under_63_characters():
    declared = deploy(
        'tenant_deployment_id = "tenant-0123456789ab"\napp_name = "application-with-a-long-name"'
    )
    for name, job in jobs_by_name(declared).items():
        assert len(name) + len(job["runExecutionToken"]) < 63
        assert len(name) + len(job["runExecutionToken"]) <= EXECUTION_NAME_MAX
    assert len(set(jobs_by_name(declared))) == 2
    assert job_name("a" * 49, "db-init") != job_name("a" * 49, "migrate")


def test_jobs_mount_the_cloudsql_socket_but_not_media():
    declared = deploy()
    for job in jobs_by_name(declared).values():
        template = job["template"]["template"]
        assert [v["name"] for v in template["volumes"]] == ["cloudsql"]
        assert template["containers"][0]["volumeMounts"] == [
            {"name": "cloudsql", "mountPath": "/cloudsql"}
        ]
        assert template["executionEnvironment"] == "EXECUTION_ENVIRONMENT_GEN2"
        assert template["maxRetries"] == 0
        assert job["template"]["taskCount"] == 1


def test_each_job_runs_as_its_own_account():
    declared = deploy()
    accounts = {a["accountId"] for a in declared.of_type(ACCOUNT).values()}
    assert accounts == {
        "demo-django-run",
        "demo-django-db-init",
        "demo-django-migrate",
        "demo-django-build",  # builds the image; it runs nothing of the app
    }
    jobs = jobs_by_name(declared)
    assert (
        jobs["demo-django-db-init"]["template"]["template"]["serviceAccount"]
        == "demo-django-db-init@my-project.iam.gserviceaccount.com"
    )
    assert (
        jobs["demo-django-migrate"]["template"]["template"]["serviceAccount"]
        == "demo-django-migrate@my-project.iam.gserviceaccount.com"
    )
    assert (
        declared.one(SERVICE)["template"]["serviceAccount"]
        == "demo-django-run@my-project.iam.gserviceaccount.com"
    )


def test_jobs_get_the_services_environment_plus_their_own():
    declared = deploy()
    service, service_secrets = env_of(service_container(declared))
    db_init, db_init_secrets = env_of(job_container(declared, "db-init"))
    migrate, migrate_secrets = env_of(job_container(declared, "migrate"))
    assert set(db_init) - set(service) == {"DB_ADMIN_USER", "DB_EXTENSIONS"}
    assert set(migrate) == set(service)
    assert set(db_init_secrets) - set(service_secrets) == {"DB_ADMIN_PASSWORD"}
    assert set(migrate_secrets) - set(service_secrets) == {"DJANGO_SUPERUSER_PASSWORD"}
    assert db_init["DB_EXTENSIONS"] == "pg_trgm,unaccent,hstore,citext"


def test_failure_hint_names_the_job_and_how_to_read_its_logs():
    hint = failure_hint("demo-django-migrate", region="us-central1", project="acme")
    assert "demo-django-migrate failed, so the service was not updated" in hint
    assert 'resource.labels.job_name="demo-django-migrate"' in hint
    assert (
        "gcloud run jobs executions list --job demo-django-migrate "
        "--region us-central1 --project acme" in hint
    )


# --- CloudRunApp on its own: any container ------------------------------------------------


def generic_app(*, public: bool, own_account: bool = False, traces: bool = False, env=None):
    def program(opts: pulumi.ResourceOptions):
        app = CloudRunApp(
            "api",
            CloudRunAppArgs(
                project="acme",
                region="europe-west1",
                service_name="api",
                image="nginx@sha256:" + "c" * 64,
                min_instance_count=0,
                max_instance_count=2,
                cpu="1",
                memory="512Mi",
                timeout_seconds=60,
                max_concurrency=100,
                execution_environment="gen2",
                ingress="all",
                public=public,
                env=env if env is not None else {"MODE": "prod"},
                secret_env={"TOKEN": SecretEnv(key="token", secret="api-token", version="3")},
                volumes=[
                    CloudSqlVolume(instances=["acme:europe-west1:db"]),
                    GcsVolume(bucket="acme-files", mount_path="/files", name="files"),
                ],
                buckets={"files": "acme-files"},
                traces=traces,
                jobs=[
                    JobSpec(
                        name="warm",
                        args=["warm-cache"],
                        env={"MODE": "prod"},
                        secret_env={},
                        own_account=own_account,
                    )
                ],
            ),
            opts=opts,
        )
        return {"url": app.url}

    return run_program(program, project="acme", region="europe-west1")


def test_generic_jobs_copy_the_services_image_account_and_volumes():
    declared = generic_app(public=False)
    job = declared.one(JOB)["template"]["template"]
    service = declared.one(SERVICE)["template"]
    assert (
        job["serviceAccount"] == service["serviceAccount"] == "api-run@acme.iam.gserviceaccount.com"
    )
    assert job["volumes"] == service["volumes"]
    assert job["containers"][0]["image"] == service["containers"][0]["image"]
    assert declared.one(JOB)["name"] == "api-warm"


def test_generic_app_grants_exactly_what_its_environment_and_volumes_need():
    member = "serviceAccount:api-run@acme.iam.gserviceaccount.com"
    assert generic_app(public=False).iam() == {
        (member, "roles/cloudsql.client", "acme"),
        (member, "roles/secretmanager.secretAccessor", "api-token"),
        (member, "roles/storage.objectAdmin", "acme-files"),
        (member, "roles/storage.legacyBucketReader", "acme-files"),
    }


def test_generic_app_writes_traces_when_its_args_say_so_not_when_its_env_does():
    member = "serviceAccount:api-run@acme.iam.gserviceaccount.com"
    trace = (member, "roles/cloudtrace.agent", "acme")
    assert trace in generic_app(public=False, traces=True).iam()
    assert trace not in generic_app(public=False, env={"CLOUDRUN_TRACING_ENABLED": "1"}).iam()


def test_generic_app_turns_the_invoker_check_off_only_when_public():
    for public in (True, False):
        declared = generic_app(public=public)
        assert declared.one(SERVICE)["invokerIamDisabled"] is public
        assert not [row for row in declared.iam() if row[0] == "allUsers"]


def test_a_job_with_its_own_account_gets_only_what_its_env_and_mounts_need():
    declared = generic_app(public=False, own_account=True)
    job_member = "serviceAccount:api-warm@acme.iam.gserviceaccount.com"
    assert {row for row in declared.iam() if row[0] == job_member} == {
        (job_member, "roles/cloudsql.client", "acme"),
        (job_member, "roles/storage.objectAdmin", "acme-files"),
        (job_member, "roles/storage.legacyBucketReader", "acme-files"),
    }


def test_a_job_with_its_own_account_may_use_the_buckets_it_mounts():
    def program(opts: pulumi.ResourceOptions):
        app = CloudRunApp(
            "api",
            CloudRunAppArgs(
                project="acme",
                region="europe-west1",
                service_name="api",
                image="nginx",
                min_instance_count=0,
                max_instance_count=1,
                cpu="1",
                memory="512Mi",
                timeout_seconds=60,
                max_concurrency=10,
                execution_environment="gen2",
                ingress="internal",
                public=False,
                volumes=[
                    GcsVolume(
                        bucket="acme-models", mount_path="/models", name="models", read_only=True
                    )
                ],
                jobs=[JobSpec(name="index", args=[], env={}, secret_env={}, own_account=True)],
            ),
            opts=opts,
        )
        return {"url": app.url}

    declared = run_program(program, project="acme", region="europe-west1")
    job_member = "serviceAccount:api-index@acme.iam.gserviceaccount.com"
    assert {row for row in declared.iam() if row[0] == job_member} == {
        (job_member, "roles/storage.objectViewer", "acme-models"),
        (job_member, "roles/storage.legacyBucketReader", "acme-models"),
    }


def test_jobs_that_run_at_deploy_are_waited_for_beyond_their_longest_execution():
    declared = deploy('[[cron]]\nname = "prune"\nschedule = "0 3 * * *"\ncommand = "prune"')
    waits = {
        name: (timeouts.create, timeouts.update)
        for (typ, name), timeouts in declared.timeouts.items()
        if typ == JOB
    }
    # 20 minutes for the API, plus the task timeout of the one attempt (no retries).
    assert waits == {
        "demo-django-db-init": ("1800s", "1800s"),
        "demo-django-migrate": ("3000s", "3000s"),  # a 30-minute migration no longer times out
    }
    # The cron job only gets defined at deploy: it keeps the provider's wait.
    assert "demo-django-cron-prune" in {inputs["name"] for inputs in declared.of_type(JOB).values()}


def test_retries_lengthen_the_wait_by_a_task_timeout_each():
    assert execution_seconds(600, 0) == 600
    assert execution_seconds(600, 2) == 1800
    assert waiting_for(execution_seconds(1800, 1)).update == f"{20 * 60 + 3600}s"
