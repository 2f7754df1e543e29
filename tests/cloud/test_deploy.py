"""deploy's orchestration over fakes: the sequence of calls, jobs before traffic, every failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud_support import PASSPHRASE, PROJECT, make_target
from django_cloudrun.cloud.deploy import deploy
from django_cloudrun.cloud.errors import CloudError, PrerequisiteError
from django_cloudrun.cloud.events import (
    APP_TYPE,
    JOB_TYPE,
    REPOSITORY_TYPE,
    SERVICE_TYPE,
    Event,
    ResourceChange,
    Step,
)  # fmt: skip
from django_cloudrun.cloud.failures import explain
from django_cloudrun.cloud.interfaces import EngineFailed, ProjectInfo, ResourceFailure
from django_cloudrun.cloud.preflight import required_apis
from django_cloudrun.cloud.stack import CloudTarget
from django_cloudrun.config import ConfigError
from django_cloudrun.infra.build import before_build
from fakes import DIGEST, Fakes, line

SERVICE = "shop-django"
REPOSITORY = f"europe-west1-docker.pkg.dev/{PROJECT}/{SERVICE}/django"


def run_deploy(target: CloudTarget, fakes: Fakes, **options) -> tuple[object, list[Event]]:
    events: list[Event] = []
    options.setdefault("environ", PASSPHRASE)
    result = deploy(target, fakes.clients, on_event=events.append, **options)
    return result, events


def failure(target: CloudTarget, fakes: Fakes, **options) -> CloudError:
    with pytest.raises(CloudError) as caught:
        run_deploy(target, fakes, **options)
    return caught.value


def test_deploy_runs_preflight_then_builds_then_updates(target, fakes):
    run_deploy(target, fakes)
    assert fakes.calls() == [
        "probe.pulumi_cli", "probe.credentials", "probe.apis", "probe.project",
        "engine.up", "builder.build", "engine.up",
    ]  # fmt: skip


def test_the_image_repository_and_build_account_are_created_alone_before_the_build(target, fakes):
    run_deploy(target, fakes)
    _program, declared, targets = fakes.engine.runs[0]
    app = declared.urn_of(APP_TYPE, SERVICE)
    repository = declared.urn_of(REPOSITORY_TYPE, f"{SERVICE}-images")
    needed = [declared.urn_of(type_, name) for type_, name in before_build(SERVICE)]
    assert targets == (app, *needed)
    assert repository in needed
    assert target.stack.urn(REPOSITORY_TYPE, f"{SERVICE}-images") == repository
    # The account, its bucket and grants exist before the build runs as that account.
    first_update = fakes.engine.touched[: len(needed)]
    assert sorted(first_update) == sorted(needed)
    assert fakes.engine.runs[1][2] == ()  # the full update targets nothing: everything


def test_the_build_gets_the_project_directory_and_a_tag_in_the_app_repository(target, fakes):
    run_deploy(target, fakes)
    ((_name, source, image),) = [e for e in fakes.journal if e[0] == "builder.build"]
    assert source == target.project_dir
    assert image.startswith(f"{REPOSITORY}:")


def test_the_update_deploys_the_built_image_by_digest(target, fakes):
    result, _events = run_deploy(target, fakes)
    program = fakes.engine.runs[-1][0]
    assert program.image == result.image == f"{REPOSITORY}@{DIGEST}"
    service = fakes.engine.runs[-1][1].inputs[
        ("gcp:cloudrunv2/service:Service", f"{SERVICE}-service")
    ]
    assert service["template"]["containers"][0]["image"] == f"{REPOSITORY}@{DIGEST}"


def test_image_option_skips_the_build_and_the_repository_update(target, fakes):
    image = f"{REPOSITORY}@{DIGEST}"
    run_deploy(target, fakes, image=image)
    assert "builder.build" not in fakes.calls()
    assert [run[2] for run in fakes.engine.runs] == [()]
    assert fakes.engine.runs[0][0].image == image


def test_the_service_depends_on_migrate_which_depends_on_db_init(target, fakes):
    run_deploy(target, fakes)
    declared = fakes.engine.runs[-1][1]
    db_init = declared.urn_of(JOB_TYPE, f"{SERVICE}-db-init")
    migrate = declared.urn_of(JOB_TYPE, f"{SERVICE}-migrate")
    service = declared.urn_of(SERVICE_TYPE, f"{SERVICE}-service")
    assert migrate in declared.depends_on[service]
    assert db_init in declared.depends_on[migrate]


def test_jobs_run_before_the_service_gets_its_new_revision(target, fakes):
    _result, events = run_deploy(target, fakes, image="img@" + DIGEST)
    seen = [(e.name, e.state) for e in events if isinstance(e, ResourceChange)]
    order = [
        (f"{SERVICE}-db-init", "done"),
        (f"{SERVICE}-migrate", "started"),
        (f"{SERVICE}-migrate", "done"),
        (f"{SERVICE}-service", "started"),
    ]
    assert sorted(order, key=seen.index) == order


def test_deploy_returns_url_admin_and_how_to_read_the_password(target, fakes):
    result, _events = run_deploy(target, fakes)
    url = f"https://{SERVICE}-123456789012.europe-west1.run.app"
    assert (result.url, result.admin_url, result.username) == (url, f"{url}/admin/", "admin")
    assert result.password_command == (
        f"gcloud secrets versions access latest --secret={SERVICE}-superuser-password "
        f"--project {PROJECT}"
    )


def test_without_custom_domains_there_are_no_dns_records_to_create(target, fakes):
    result, _events = run_deploy(target, fakes)
    assert result.dns_records == ()


def test_behind_a_load_balancer_deploy_gives_the_domain_url_and_the_dns_records(project_dir, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('custom_domains = ["shop.example.com", "www.shop.example.com"]\n')
    result, _events = run_deploy(make_target(project_dir), fakes)
    assert (result.url, result.admin_url) == (
        "https://shop.example.com",
        "https://shop.example.com/admin/",
    )
    assert [(r.name, r.type, r.value) for r in result.dns_records] == [
        ("shop.example.com", "A", "203.0.113.10"),
        ("shop.example.com", "AAAA", "2001:db8::1"),
        ("www.shop.example.com", "A", "203.0.113.10"),
        ("www.shop.example.com", "AAAA", "2001:db8::1"),
    ]
    # The load balancer and Cloud Armor are Compute Engine resources.
    assert "compute.googleapis.com" in required_apis(make_target(project_dir).config)


def test_a_failed_migrate_job_names_the_job_and_leaves_the_service_alone(target, fakes):
    fakes.engine.fail = f"{SERVICE}-migrate"
    fakes.engine.message = (
        "error: 1 error occurred:\n\t* Error waiting to create Job: execution failed"
    )
    error = failure(target, fakes)
    assert error.message == (
        f"the Cloud Run job {SERVICE}-migrate failed, so the service was not updated; read its "
        f'logs with `gcloud logging read \'resource.type="cloud_run_job" AND '
        f'resource.labels.job_name="{SERVICE}-migrate"\' --project {PROJECT} --limit 50` or '
        f"list its executions with `gcloud run jobs executions list --job {SERVICE}-migrate "
        f"--region europe-west1 --project {PROJECT}`"
    )
    assert error.exit_code == 1
    service = fakes.engine.runs[-1][1].urn_of(SERVICE_TYPE, f"{SERVICE}-service")
    assert service not in fakes.engine.touched


def test_a_failed_db_init_job_stops_migrate_too(target, fakes):
    fakes.engine.fail = f"{SERVICE}-db-init"
    error = failure(target, fakes, image="img@" + DIGEST)
    assert error.message.startswith(f"the Cloud Run job {SERVICE}-db-init failed, so the service")
    touched = {urn.rsplit("::", 1)[-1] for urn in fakes.engine.touched}
    assert f"{SERVICE}-migrate" not in touched and f"{SERVICE}-service" not in touched


def test_a_refused_resource_is_summarised_on_one_line(target):
    # The service mounts the bucket, so the engine never reaches the service (the fake
    # engine follows explicit dependencies only, hence the failure built by hand).
    bucket = f"urn:pulumi:default::{SERVICE}::django-cloudrun:index:DjangoApp$gcp:storage/bucket:Bucket::{SERVICE}-media"
    message = (
        "error: 1 error occurred:\n\t* googleapi: Error 409: The requested bucket name is not "
        "available.\n\tDetails: conflict"
    )
    failed = EngineFailed(
        "update failed", [ResourceFailure(bucket, "gcp:storage/bucket:Bucket", message)]
    )
    error = explain(failed, target.config, PROJECT, service_updated=False)
    assert error.message == (
        f"storage.Bucket {SERVICE}-media was refused: googleapi: Error 409: The requested "
        "bucket name is not available. Details: conflict; the service was not updated"
    )


def test_a_refused_revision_keeps_traffic_on_the_previous_one(target, fakes):
    fakes.engine.fail = f"{SERVICE}-service"
    fakes.engine.message = "error: Revision 'shop-django-00002-abc' is not ready: probe failed"
    error = failure(target, fakes, image="img@" + DIGEST)
    assert error.message == (
        f"the new revision of {SERVICE} was refused (Revision 'shop-django-00002-abc' is not "
        "ready: probe failed); traffic stays on the previous revision; read its logs with "
        "`django-cloudrun logs --cloud`"
    )


def test_missing_permission_names_it_the_role_and_the_grant_command(target, fakes):
    fakes.engine.fail = f"{SERVICE}-service"
    fakes.engine.message = (
        "error: googleapi: Error 403: Permission 'run.services.create' denied on resource "
        f"'namespaces/{PROJECT}/services/{SERVICE}' (or resource may not exist)., forbidden"
    )
    error = failure(target, fakes, image="img@" + DIGEST)
    assert isinstance(error, PrerequisiteError) and error.exit_code == 2
    assert error.message == (
        f"permission run.services.create denied on cloudrunv2.Service {SERVICE}-service in "
        f"project {PROJECT}: your account needs roles/run.admin; grant it with `gcloud "
        f'projects add-iam-policy-binding {PROJECT} --member="user:$(gcloud config get-value '
        'account)" --role=roles/run.admin`'
    )


def test_a_budget_error_stops_deploy_when_the_configuration_loads(project_dir, fakes):
    (project_dir / "cloudrun.toml").write_text(
        f'project_id = "{PROJECT}"\nmax_instance_count = 20\n[database]\ntier = "db-f1-micro"\n'
    )
    with pytest.raises(ConfigError) as caught:
        make_target(project_dir)
    assert caught.value.messages == [
        "max_instance_count: 20 instances x pool 2 + 5 (deploy jobs, reserved) > 25 "
        "connections of tier db-f1-micro: lower max_instance_count to 10 or choose tier "
        "db-g1-small"
    ]
    assert caught.value.exit_code == 2
    assert fakes.calls() == []


PREFLIGHT = [
    (
        {"cli": None},
        "Pulumi CLI not found on PATH; run `curl -fsSL https://get.pulumi.com | sh`",
    ),
    (
        {"credentials": "File /nowhere.json was not found."},
        "no Google Cloud credentials (Application Default Credentials): File /nowhere.json "
        "was not found; run `gcloud auth application-default login`",
    ),
    (
        {"info": ProjectInfo(False)},
        f"project {PROJECT} not found, or not visible to your credentials (check project_id "
        "in cloudrun.toml); run `gcloud projects list`",
    ),
    (
        {"info": ProjectInfo(True, False)},
        f"billing is not enabled on project {PROJECT} (`gcloud billing accounts list` shows "
        f"your accounts); run `gcloud billing projects link {PROJECT} "
        "--billing-account=ACCOUNT_ID`",
    ),
    (
        {"disabled": {"run.googleapis.com", "sqladmin.googleapis.com"}},
        f"APIs not enabled on project {PROJECT}: run.googleapis.com, sqladmin.googleapis.com; "
        f"run `gcloud services enable run.googleapis.com sqladmin.googleapis.com --project "
        f"{PROJECT}`",
    ),
]


@pytest.mark.parametrize(("probe", "message"), PREFLIGHT)
def test_each_preflight_failure_is_one_line_with_its_fix(target, fakes, probe, message):
    for name, value in probe.items():
        setattr(fakes.probe, name, value)
    error = failure(target, fakes)
    assert isinstance(error, PrerequisiteError) and error.exit_code == 2
    assert error.message == message
    assert not {"engine.up", "builder.build"} & set(fakes.calls())


def test_without_a_passphrase_the_passphrase_provider_is_refused(target, fakes):
    error = failure(target, fakes, environ={})
    assert error.message == (
        "PULUMI_CONFIG_PASSPHRASE is not set: the passphrase secrets provider encrypts the "
        "stack's secrets with it (or pass --secrets-provider gcpkms://...); run `export "
        "PULUMI_CONFIG_PASSPHRASE='a long passphrase you keep safe'`"
    )


def test_a_kms_secrets_provider_needs_no_passphrase(project_dir, fakes):
    kms = "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"
    run_deploy(make_target(project_dir, secrets_provider=kms), fakes, environ={})
    assert "engine.up" in fakes.calls()


def test_vpc_connector_adds_its_api_to_the_check(project_dir, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[vpc]\nmode = "connector"\nconnector = "shop-connector"\n')
    fakes.probe.disabled = {"vpcaccess.googleapis.com"}
    error = failure(make_target(project_dir), fakes)
    assert error.message.startswith(
        f"APIs not enabled on project {PROJECT}: vpcaccess.googleapis.com;"
    )


def test_tracing_adds_the_cloud_trace_api_to_the_check(project_dir, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write("[tracing]\nenabled = true\n")
    fakes.probe.disabled = {"cloudtrace.googleapis.com"}
    error = failure(make_target(project_dir), fakes)
    assert error.message.startswith(
        f"APIs not enabled on project {PROJECT}: cloudtrace.googleapis.com;"
    )


def test_a_missing_state_bucket_without_a_terminal_is_an_error_with_the_ways_out(target, fakes):
    fakes.state.buckets.clear()
    error = failure(target, fakes, confirm=lambda question: None)
    bucket = f"{PROJECT}-django-cloudrun-state"
    assert error.message == (
        f"state bucket gs://{bucket} does not exist; pass --yes to let deploy create it, "
        f"create it with `gcloud storage buckets create gs://{bucket} --project {PROJECT} "
        "--location europe-west1 --uniform-bucket-level-access`, or keep state on this "
        "machine with --backend file://~/.pulumi-state"
    )
    assert "engine.up" not in fakes.calls()


def test_a_missing_state_bucket_is_created_once_confirmed(target, fakes):
    fakes.state.buckets.clear()
    questions: list[str] = []
    run_deploy(target, fakes, confirm=lambda q: questions.append(q) or True)
    bucket = f"{PROJECT}-django-cloudrun-state"
    assert questions == [f"Create gs://{bucket} in {PROJECT} to hold the Pulumi state?"]
    assert ("state.create_bucket", bucket, "europe-west1") in fakes.journal
    assert fakes.calls().index("state.create_bucket") < fakes.calls().index("engine.up")


def test_a_declined_state_bucket_stops_the_deploy(target, fakes):
    fakes.state.buckets.clear()
    error = failure(target, fakes, confirm=lambda q: False)
    assert error.message.startswith(
        f"state bucket gs://{PROJECT}-django-cloudrun-state does not exist; create it"
    )


def test_a_file_backend_needs_no_bucket(project_dir, fakes):
    fakes.state.buckets.clear()
    run_deploy(make_target(project_dir, backend="file://~/.pulumi-state"), fakes)
    assert "state.create_bucket" not in fakes.calls()


def test_without_a_dockerfile_deploy_asks_for_init_or_an_image(target, fakes):
    (target.project_dir / "Dockerfile").unlink()
    error = failure(target, fakes)
    assert error.message == (
        f"no Dockerfile in {target.project_dir}: write one with `django-cloudrun init`, or "
        "pass --image with an image you built"
    )
    assert error.exit_code == 2


def test_deploy_builds_the_dockerfile_cloudrun_toml_names(project_dir, fakes):
    config = project_dir / "cloudrun.toml"
    config.write_text(config.read_text() + '\n[build]\ndockerfile = "Dockerfile.cloudrun"\n')
    error = failure(make_target(project_dir), fakes)
    assert error.message.startswith("no Dockerfile.cloudrun (build.dockerfile in cloudrun.toml)")
    (project_dir / "Dockerfile.cloudrun").write_text("FROM python:3.12-slim\n")
    run_deploy(make_target(project_dir), fakes)
    assert fakes.builder.dockerfile == "Dockerfile.cloudrun"


def test_a_failed_build_stops_before_the_update(target, fakes):
    fakes.builder.error = CloudError("Cloud Build failed (step 0 exited 1); read its logs at URL")
    assert (
        failure(target, fakes).message
        == "Cloud Build failed (step 0 exited 1); read its logs at URL"
    )
    assert fakes.calls()[-1] == "builder.build"


def test_progress_steps_name_the_image_being_deployed(target, fakes):
    _result, events = run_deploy(target, fakes)
    steps = [e.text for e in events if isinstance(e, Step)]
    assert steps[0] == "creating the image repository and the build account"
    assert steps[-1] == f"deploying {REPOSITORY}@{DIGEST}: db-init, migrate, then the new revision"


def test_each_environment_is_its_own_stack(project_dir: Path, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[environments.staging]\ntenant_deployment_id = "shop-stg"\n')
    staging = make_target(project_dir, "staging")
    assert (staging.stack.project_name, staging.stack.stack_name) == ("shop-stg-django", "staging")
    assert make_target(project_dir).stack.stack_name == "default"
    assert staging.stack.backend_url == f"gs://{PROJECT}-django-cloudrun-state"
    assert staging.stack.work_dir == project_dir / ".cloudrun" / "pulumi" / "shop-stg-django"


def test_cloudrun_toml_chooses_the_state_backend_and_secrets_provider(project_dir: Path, fakes):
    kms = "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write(f'[state]\nbackend = "file://~/.pulumi-state"\nsecrets_provider = "{kms}"\n')
    target = make_target(project_dir)
    assert (target.stack.backend_url, target.stack.secrets_provider) == (
        "file://~/.pulumi-state",
        kms,
    )
    run_deploy(target, fakes, environ={})  # no passphrase needed, no bucket created
    assert "state.create_bucket" not in fakes.calls()


def test_command_line_options_override_the_state_table(project_dir: Path):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[state]\nbackend = "file://~/.pulumi-state"\n')
    target = make_target(project_dir, backend="gs://elsewhere", secrets_provider="passphrase")
    assert (target.stack.backend_url, target.stack.secrets_provider) == (
        "gs://elsewhere",
        "passphrase",
    )


def test_every_deployment_runs_the_jobs_again_even_with_the_same_image(target, fakes):
    run_deploy(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    run_deploy(target, fakes, image=f"{REPOSITORY}@{DIGEST}")

    def tokens(run_index: int) -> dict[str, str]:
        _program, declared, _targets = fakes.engine.runs[run_index]
        return {
            name: inputs["runExecutionToken"]
            for (type_, name), inputs in declared.inputs.items()
            if type_ == "gcp:cloudrunv2/job:Job" and "runExecutionToken" in inputs
        }

    first, second = tokens(-2), tokens(-1)
    assert set(first) == {"shop-django-db-init", "shop-django-migrate"}
    assert all(first[job] != second[job] for job in first)


def test_a_resource_refused_after_the_new_revision_says_the_service_was_updated(target, fakes):
    fakes.engine.fail = f"{SERVICE}-alert-errors"
    fakes.engine.message = "googleapi: Error 400: invalid filter"
    error = failure(target, fakes, image="img@" + DIGEST)
    assert error.message == (
        f"monitoring.AlertPolicy {SERVICE}-alert-errors was refused: googleapi: Error 400: "
        "invalid filter; the service was updated and serves the new revision"
    )


BUILD_EMAIL = f"{SERVICE}-build@{PROJECT}.iam.gserviceaccount.com"


def test_the_build_runs_as_the_dedicated_build_account(target, fakes):
    run_deploy(target, fakes)
    assert fakes.builder.service_account == f"projects/{PROJECT}/serviceAccounts/{BUILD_EMAIL}"


def test_the_build_context_goes_to_the_apps_build_sources_bucket(target, fakes):
    run_deploy(target, fakes)
    assert fakes.builder.bucket == f"{PROJECT}-{SERVICE}-build-sources"


def test_the_build_waits_for_grants_made_just_before_it(target, fakes):
    """The update before the first build grants the build account its roles: a denial of
    them is retried while they take effect."""
    fakes.builder.error = CloudError(
        "Cloud Build ended FAILURE: storage.objects.get access to the source denied"
    )
    fakes.builder.errors_left = 2
    _result, events = run_deploy(target, fakes)
    assert [entry[1] for entry in fakes.journal if entry[0] == "sleep"] == [10, 20]
    assert [entry[0] for entry in fakes.journal].count("builder.build") == 3
    waits = [e.text for e in events if isinstance(e, Step) and "IAM grants" in e.text]
    assert waits[0] == (
        "the build account's access denied: waiting 10 s for new IAM grants to take effect "
        "(typically 2 minutes), then retrying"
    )


def test_a_build_denied_without_new_grants_fails_at_once(target, fakes):
    run_deploy(target, fakes)  # every grant made, and in effect
    fakes.builder.error = CloudError(
        "Cloud Build ended FAILURE: storage.objects.get access to the source denied"
    )
    fakes.journal.clear()
    error = failure(target, fakes)
    assert error is fakes.builder.error
    assert "sleep" not in fakes.calls()


SECRET_DENIED = (
    "Error waiting to create Job: Permission denied on secret: projects/123/secrets/"
    f"{SERVICE}-db-password/versions/1 for Revision service account "
    f"{SERVICE}-run@{PROJECT}.iam.gserviceaccount.com."
)


def test_a_job_denied_its_secret_right_after_the_grants_waits_then_succeeds(target, fakes):
    fakes.engine.fail = f"{SERVICE}-db-init"
    fakes.engine.message = SECRET_DENIED
    fakes.engine.fail_times = 3
    result, events = run_deploy(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert result.url
    assert [entry[1] for entry in fakes.journal if entry[0] == "sleep"] == [10, 20, 30]
    assert [entry[0] for entry in fakes.journal].count("engine.up") == 4
    waits = [e.text for e in events if isinstance(e, Step) and "IAM grants" in e.text]
    assert len(waits) == 3 and waits[0].startswith("the runtime account's secret access denied")


CLOUD_SQL_DENIED = (
    f'couldn\'t connect to "{PROJECT}:europe-west1:{SERVICE}-db": ensure that the account has '
    f'access to "{PROJECT}:europe-west1:{SERVICE}-db" (and make sure there\'s no typo in that '
    "name). Error during createEphemeral: googleapi: Error 403: The client is not authorized "
    "to make this request., notAuthorized"
)


def test_a_job_denied_cloud_sql_right_after_the_grants_waits_then_succeeds(target, fakes):
    """Cloud Run reports only the exit code: the job's log says why."""
    fakes.engine.fail = f"{SERVICE}-migrate"
    fakes.engine.message = "Task shop-django-migrate-x failed: the container exited with 1"
    fakes.engine.fail_times = 1
    fakes.logs.lines[f'resource.labels.job_name="{SERVICE}-migrate"'] = [
        line(0, CLOUD_SQL_DENIED, "ERROR")
    ]
    _result, events = run_deploy(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert [entry[1] for entry in fakes.journal if entry[0] == "sleep"] == [10]
    read = next(entry[1] for entry in fakes.journal if entry[0] == "logs.read")
    assert read.startswith(
        f'resource.type="cloud_run_job" AND resource.labels.job_name="{SERVICE}-migrate" AND '
        'severity>=ERROR AND timestamp>="'
    )
    assert any(
        isinstance(e, Step) and e.text.startswith("the runtime account's Cloud SQL access denied")
        for e in events
    )


def test_a_job_that_failed_for_another_reason_is_not_retried(target, fakes):
    fakes.engine.fail = f"{SERVICE}-migrate"
    fakes.engine.message = "Task shop-django-migrate-x failed: the container exited with 1"
    fakes.logs.lines[f'resource.labels.job_name="{SERVICE}-migrate"'] = [
        line(0, "django.db.utils.ProgrammingError: relation does not exist", "ERROR")
    ]
    error = failure(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert "sleep" not in fakes.calls()
    assert error.message.startswith(f"the Cloud Run job {SERVICE}-migrate failed")


def test_a_permanent_denial_gives_up_after_two_minutes_with_a_clear_message(target, fakes):
    fakes.engine.fail = f"{SERVICE}-db-init"
    fakes.engine.message = SECRET_DENIED
    error = failure(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert sum(entry[1] for entry in fakes.journal if entry[0] == "sleep") == 120
    assert error.message.startswith(
        "the runtime account's secret access still denied after waiting 120 s for new IAM "
        "grants to take effect: Error waiting to create Job: Permission denied on secret"
    )
    assert error.message.endswith(
        "check the grants, or run `django-cloudrun deploy` again in a few minutes (Google: "
        "propagation can take 7 minutes or longer)"
    )
    assert error.exit_code == 1


def test_a_denial_when_no_grant_was_just_made_fails_at_once(target, fakes):
    image = f"{REPOSITORY}@{DIGEST}"
    run_deploy(target, fakes, image=image)  # every grant made, and in effect
    fakes.engine.fail = f"{SERVICE}-db-init"
    fakes.engine.message = SECRET_DENIED
    fakes.journal.clear()
    error = failure(target, fakes, image=image)
    assert "sleep" not in fakes.calls()
    assert error.message.startswith(f"the Cloud Run job {SERVICE}-db-init failed")


def test_any_other_failure_after_new_grants_fails_at_once(target, fakes):
    fakes.engine.fail = f"{SERVICE}-db-init"
    fakes.engine.message = "Task failed with exit code 1"
    failure(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert "sleep" not in fakes.calls()


def test_service_usage_is_asked_before_the_project_is_read(target, fakes):
    run_deploy(target, fakes)
    calls = fakes.calls()
    assert calls.index("probe.apis") < calls.index("probe.project")


def test_a_disabled_resource_manager_api_is_named_not_read_as_a_missing_project(target, fakes):
    fakes.probe.disabled = {"cloudresourcemanager.googleapis.com"}
    error = failure(target, fakes)
    assert error.message == (
        f"cloudresourcemanager.googleapis.com not enabled on project {PROJECT}, so the "
        "project cannot be read; run `gcloud services enable "
        f"cloudresourcemanager.googleapis.com --project {PROJECT}`"
    )
    assert "probe.project" not in fakes.calls()


def test_when_service_usage_cannot_answer_the_project_check_says_why(target, fakes):
    fakes.probe.apis_error = CloudError("permission serviceusage.services.get denied")
    fakes.probe.info = ProjectInfo(False)
    error = failure(target, fakes)
    assert error.message.startswith(f"project {PROJECT} not found")


@pytest.mark.parametrize(
    ("table", "api"),
    [
        ('[media]\nmode = "api"\n', "iamcredentials.googleapis.com"),
        ('[vpc]\nmode = "connector"\nconnector = "c"\n', "vpcaccess.googleapis.com"),
        ("[tracing]\nenabled = true\n", "cloudtrace.googleapis.com"),
        (
            '[[cron]]\nname = "sessions"\nschedule = "0 3 * * *"\ncommand = "clearsessions"\n',
            "cloudscheduler.googleapis.com",
        ),
    ],
)
def test_each_feature_adds_the_api_it_needs(project_dir, table, api):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write(table)
    config = make_target(project_dir).config
    assert api in required_apis(config)
    assert api not in required_apis(make_target(project_dir).config.model_copy(
        update={"media": config.media.model_copy(update={"mode": "fuse"}),
                "vpc": config.vpc.model_copy(update={"mode": "none"}),
                "tracing": config.tracing.model_copy(update={"enabled": False}),
                "cron": []}))  # fmt: skip


def test_signed_media_urls_need_the_iam_credentials_api_enabled(project_dir, fakes):
    with (project_dir / "cloudrun.toml").open("a") as file:
        file.write('[media]\nmode = "api"\n')
    fakes.probe.disabled = {"iamcredentials.googleapis.com"}
    error = failure(make_target(project_dir), fakes)
    assert error.message.startswith(
        f"APIs not enabled on project {PROJECT}: iamcredentials.googleapis.com;"
    )


def test_a_denial_of_another_resource_than_a_job_or_the_service_is_not_waited_for(target, fakes):
    """Only jobs and the revision run as the runtime account; another 403 is the deployer's."""
    fakes.engine.fail = f"{SERVICE}-sql"
    fakes.engine.message = "googleapi: Error 403: cloudsql.instances.get denied, forbidden"
    error = failure(target, fakes, image=f"{REPOSITORY}@{DIGEST}")
    assert "sleep" not in fakes.calls()
    assert error.message.startswith(f"permission denied on sql.DatabaseInstance {SERVICE}-sql")
