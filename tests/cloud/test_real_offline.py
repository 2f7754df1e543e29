"""The real implementations' offline parts, against the libraries' own types (no network).

Pulumi's engine events are built with the Automation API's from_json, as it parses the
CLI's event log; Cloud Run and Cloud Logging objects are the client libraries' messages
and entries; Google's errors are google.api_core's exceptions.
"""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import httplib2
import pytest
from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.cloud import run_v2
from google.cloud.logging_v2.entries import StructEntry, TextEntry
from googleapiclient.errors import HttpError
from pulumi.automation.events import EngineEvent

from django_cloudrun.cloud.errors import CloudError, PrerequisiteError
from django_cloudrun.cloud.events import ResourceChange
from django_cloudrun.cloud.interfaces import CertificateState, IamResource, OrgPolicy, Traffic
from django_cloudrun.cloud.real.build import build_failure, build_request
from django_cloudrun.cloud.real.certificates import certificate_state
from django_cloudrun.cloud.real.engine import EventTranslator, resource_type
from django_cloudrun.cloud.real.google_errors import discovery_errors, google_errors
from django_cloudrun.cloud.real.iam import GoogleIam, roles_in
from django_cloudrun.cloud.real.logs import line_of
from django_cloudrun.cloud.real.preflight import fold_policy
from django_cloudrun.cloud.real.run import execution_state, service_state
from django_cloudrun.cloud.source import included_files, write_archive

JOB_URN = (
    "urn:pulumi:default::shop-django::django-cloudrun:index:DjangoApp$"
    "django-cloudrun:index:CloudRunApp$gcp:cloudrunv2/job:Job::shop-django-migrate"
)
STACK_URN = "urn:pulumi:default::shop-django::pulumi:pulumi:Stack::shop-django-default"
REVISIONS = "projects/p/locations/europe-west1/services/shop-django/revisions"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def step(kind: str, op: str, urn: str, type_: str, **extra: object) -> EngineEvent:
    metadata = {"op": op, "urn": urn, "type": type_, "provider": ""}
    return EngineEvent.from_json(
        {"sequence": 1, "timestamp": 2, kind: {"metadata": metadata, **extra}}
    )


def diagnostic(urn: str, message: str, severity: str = "error") -> EngineEvent:
    payload = {"urn": urn, "message": message, "color": "never", "severity": severity}
    return EngineEvent.from_json({"sequence": 1, "timestamp": 2, "diagnosticEvent": payload})


def test_engine_events_become_resource_changes():
    seen: list[ResourceChange] = []
    translate = EventTranslator(seen.append)
    translate(step("resourcePreEvent", "create", JOB_URN, "gcp:cloudrunv2/job:Job"))
    translate(step("resOutputsEvent", "create", JOB_URN, "gcp:cloudrunv2/job:Job"))
    translate(step("resourcePreEvent", "same", STACK_URN, "pulumi:pulumi:Stack"))
    translate(step("resourcePreEvent", "update", JOB_URN, "gcp:cloudrunv2/job:Job", planning=True))
    assert seen == [
        ResourceChange(JOB_URN, "gcp:cloudrunv2/job:Job", "create", "started"),
        ResourceChange(JOB_URN, "gcp:cloudrunv2/job:Job", "create", "done"),
    ]
    assert seen[0].name == "shop-django-migrate" and seen[0].is_job


def test_error_diagnostics_become_failures_of_their_resource():
    translate = EventTranslator(lambda event: None)
    translate(
        step("resOpFailedEvent", "create", JOB_URN, "gcp:cloudrunv2/job:Job", status=1, steps=1)
    )
    translate(diagnostic(JOB_URN, "1 error occurred:\n* execution failed"))
    translate(diagnostic(JOB_URN, "just a warning", severity="warning"))
    translate(diagnostic(STACK_URN, "update failed"))
    (failure,) = translate.failures
    assert (failure.urn, failure.type) == (JOB_URN, "gcp:cloudrunv2/job:Job")
    assert failure.message == "1 error occurred:\n* execution failed"


def test_resource_type_of_a_nested_urn():
    assert resource_type(JOB_URN) == "gcp:cloudrunv2/job:Job"
    assert resource_type(STACK_URN) == "pulumi:pulumi:Stack"


def test_a_cloud_run_service_as_status_reads_it():
    found = run_v2.Service(
        name="projects/p/locations/europe-west1/services/shop-django",
        uri="https://shop-django-1.europe-west1.run.app",
        latest_ready_revision=f"{REVISIONS}/shop-django-00002-x",
        latest_created_revision=f"{REVISIONS}/shop-django-00003-y",
        traffic_statuses=[
            run_v2.TrafficTargetStatus(
                type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
                percent=100,
                revision="shop-django-00002-x",
            )
        ],
        template=run_v2.RevisionTemplate(containers=[run_v2.Container(image="img@sha256:ab")]),
    )
    state = service_state(found)
    revisions = (state.latest_ready_revision, state.latest_created_revision)
    assert (state.name, *revisions, state.image) == (
        "shop-django", "shop-django-00002-x", "shop-django-00003-y", "img@sha256:ab",
    )  # fmt: skip
    assert state.traffic == [Traffic(100, "shop-django-00002-x", latest=True)]


def test_executions_are_running_until_they_complete():
    running = run_v2.Execution(
        name="a/b/executions/m-1", job="p/jobs/m", task_count=1, create_time=WHEN
    )
    ok = run_v2.Execution(
        name="m-2", job="m", task_count=1, succeeded_count=1, completion_time=WHEN
    )
    failed = run_v2.Execution(
        name="m-3", job="m", task_count=1, failed_count=1, completion_time=WHEN
    )
    assert [execution_state(e).status for e in (running, ok, failed)] == [
        "running",
        "succeeded",
        "failed",
    ]
    assert (execution_state(running).name, execution_state(running).job) == ("m-1", "m")
    assert execution_state(running).created == WHEN


def test_log_entries_read_as_time_severity_message():
    struct = StructEntry(
        payload={"message": "Applying x... OK", "severity": "INFO"}, timestamp=WHEN, severity="INFO"
    )
    text = TextEntry(payload="plain line", timestamp=WHEN, severity="WARNING")
    http = {"requestMethod": "GET", "requestUrl": "/health/", "status": 200}
    request = StructEntry(payload=None, timestamp=WHEN, severity="INFO", http_request=http)
    lines = [line_of(entry) for entry in (struct, text, request)]
    assert [(each.severity, each.message) for each in lines] == [
        ("INFO", "Applying x... OK"), ("WARNING", "plain line"), ("INFO", "GET /health/ 200"),
    ]  # fmt: skip
    assert lines[0].timestamp == WHEN


@pytest.mark.parametrize(
    ("raised", "kind", "message"),
    [
        (api.PermissionDenied("Permission 'run.jobs.run' denied on resource"), PrerequisiteError,
         "permission run.jobs.run denied on Cloud Run in project p: your account needs "
         "roles/run.admin; grant it with `gcloud projects add-iam-policy-binding p "
         '--member="user:$(gcloud config get-value account)" --role=roles/run.admin`'),
        (auth.DefaultCredentialsError("Your default credentials were not found."),
         PrerequisiteError,
         "no Google Cloud credentials (Application Default Credentials): Your default "
         "credentials were not found; run `gcloud auth application-default login`"),
        (api.ServiceUnavailable("try again"), CloudError, "Cloud Run: 503 try again"),
    ],
)  # fmt: skip
def test_google_errors_become_one_line_with_the_fix(raised, kind, message):
    with pytest.raises(CloudError) as caught, google_errors("p", on="Cloud Run"):
        raise raised
    assert type(caught.value) is kind
    assert caught.value.message == message


def test_the_build_context_leaves_out_caches_state_and_dockerignored_files(tmp_path: Path):
    for name in ("manage.py", "Dockerfile", ".dockerignore", "app/models.py",
                 "app/__pycache__/m.pyc",
                 ".git/HEAD", ".venv/bin/python", ".cloudrun/local/secrets", "media/upload.jpg",
                 "notes.log", "app/debug.log"):  # fmt: skip
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    (tmp_path / ".dockerignore").write_text("# local files\nmedia/\n**/*.log\n")
    assert [p.as_posix() for p in included_files(tmp_path)] == [
        ".dockerignore",
        "Dockerfile",
        "manage.py",
        "app/models.py",
    ]
    buffer = io.BytesIO()
    assert write_archive(tmp_path, buffer) == 4
    buffer.seek(0)
    with tarfile.open(fileobj=buffer, mode="r:gz") as archive:
        assert sorted(archive.getnames()) == [
            ".dockerignore",
            "Dockerfile",
            "app/models.py",
            "manage.py",
        ]


def test_a_dockerignore_with_exceptions_is_left_to_docker(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text("*.log\n!keep.log\n")
    (tmp_path / "keep.log").write_text("")
    (tmp_path / "other.log").write_text("")
    assert {p.as_posix() for p in included_files(tmp_path)} == {
        ".dockerignore",
        "keep.log",
        "other.log",
    }


def test_a_bucket_of_another_project_is_refused():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from django_cloudrun.cloud.errors import CloudError
    from django_cloudrun.cloud.real.buckets import check_owner

    client = storage.Client(project="shop-prod-1", credentials=AnonymousCredentials())
    squatted = storage.Bucket(client, name="shop-prod-1-django-cloudrun-state")
    squatted._set_properties({"name": squatted.name, "projectNumber": "999"})
    with pytest.raises(CloudError, match="belongs to another project \\(number 999\\); refusing"):
        check_owner(squatted, "123456789012")
    ours = storage.Bucket(client, name="shop-prod-1-django-cloudrun-state")
    ours._set_properties({"name": ours.name, "projectNumber": "123456789012"})
    assert check_owner(ours, "123456789012") is ours


def test_the_build_request_runs_as_the_build_account_and_logs_to_cloud_logging_only():
    from google.cloud.devtools import cloudbuild_v1

    account = "projects/p/serviceAccounts/shop-django-build@p.iam.gserviceaccount.com"
    request = build_request(
        bucket="p-shop-django-build-sources",
        blob="source/a.tgz",
        image="europe-west1-docker.pkg.dev/p/shop-django/django:1",
        dockerfile="Dockerfile",
        service_account=account,
    )
    as_json = cloudbuild_v1.Build.to_dict(request)
    assert as_json["service_account"] == account
    assert (
        as_json["options"]["logging"] == cloudbuild_v1.BuildOptions.LoggingMode.CLOUD_LOGGING_ONLY
    )
    storage = as_json["source"]["storage_source"]
    assert (storage["bucket"], storage["object_"]) == (
        "p-shop-django-build-sources",
        "source/a.tgz",
    )


def test_a_disabled_api_is_named_with_the_command_that_enables_it():
    disabled = api.PermissionDenied(
        "Cloud Resource Manager API has not been used in project p before or it is disabled",
        error_info={
            "reason": "SERVICE_DISABLED",
            "metadata": {"service": "cloudresourcemanager.googleapis.com"},
        },
    )
    with pytest.raises(PrerequisiteError) as caught, google_errors("p"):
        raise disabled
    assert caught.value.message == (
        "cloudresourcemanager.googleapis.com is not enabled on project p; run "
        "`gcloud services enable cloudresourcemanager.googleapis.com --project p`"
    )


def http_error(status: int, body: dict) -> HttpError:
    return HttpError(httplib2.Response({"status": status}), json.dumps(body).encode())


def test_a_discovery_client_error_naming_a_disabled_api_says_how_to_enable_it():
    body = {
        "error": {
            "code": 403,
            "message": "Organization Policy API has not been used in project p before",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "SERVICE_DISABLED",
                    "metadata": {"service": "orgpolicy.googleapis.com"},
                }
            ],
        }
    }
    with pytest.raises(PrerequisiteError) as caught, discovery_errors("p", on="Org Policy"):
        raise http_error(403, body)
    assert caught.value.message.startswith("orgpolicy.googleapis.com is not enabled on project p")


def test_a_discovery_client_403_names_the_permission():
    body = {"error": {"code": 403, "message": "Permission 'iam.serviceAccounts.get' denied"}}
    with pytest.raises(PrerequisiteError) as caught, discovery_errors("p", on="IAM"):
        raise http_error(403, body)
    assert caught.value.message.startswith(
        "permission iam.serviceAccounts.get denied on IAM in project p: your account needs "
        "roles/iam.serviceAccountAdmin"
    )


def test_a_policy_counts_only_the_members_unconditional_roles():
    member = "serviceAccount:b@p.iam.gserviceaccount.com"
    policy = {
        "bindings": [
            {"role": "roles/logging.logWriter", "members": ["user:x@example.com", member]},
            {"role": "roles/storage.admin", "members": [member], "condition": {"title": "t"}},
            {"role": "roles/viewer", "members": ["user:x@example.com"]},
        ]
    }
    assert roles_in(policy, member) == {"roles/logging.logWriter"}
    assert roles_in({}, member) == set()


@pytest.mark.parametrize(
    ("policy", "folded"),
    [
        ({}, OrgPolicy()),
        ({"spec": {"rules": [{"enforce": True}]}}, OrgPolicy(enforced=True)),
        (
            {"spec": {"rules": [{"enforce": True, "condition": {"expression": "x"}}]}},
            OrgPolicy(),
        ),
        (
            {"spec": {"rules": [{"values": {"allowedValues": ["C0abc"]}}]}},
            OrgPolicy(allow_all=False, allowed_values=("C0abc",)),
        ),
        ({"spec": {"rules": [{"denyAll": True}]}}, OrgPolicy(allow_all=False)),
        ({"spec": {"rules": [{"allowAll": True}]}}, OrgPolicy()),
    ],
)
def test_an_effective_org_policy_folds_into_what_doctor_asks(policy, folded):
    assert fold_policy(policy) == folded


@pytest.mark.parametrize(
    ("name", "version"),
    [("iam", "v1"), ("orgpolicy", "v2"), ("servicenetworking", "v1"), ("cloudbuild", "v1"),
     ("cloudresourcemanager", "v1"), ("storage", "v1"), ("artifactregistry", "v1")],
)  # fmt: skip
def test_each_discovery_document_the_real_clients_use_ships_with_the_library(name, version):
    from googleapiclient.discovery_cache import get_static_doc

    document = get_static_doc(name, version)
    assert document is not None and json.loads(document)["version"] == version


@pytest.fixture
def anonymous(monkeypatch):
    """Clients built without Application Default Credentials (requests are never sent)."""
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr("google.auth.default", lambda *a, **k: (AnonymousCredentials(), "p"))


@pytest.mark.parametrize(
    ("resource", "method", "uri"),
    [
        (IamResource("project", "p"), "POST",
         "https://cloudresourcemanager.googleapis.com/v1/projects/p:getIamPolicy?alt=json"),
        (IamResource("bucket", "p-shop-build-sources"), "GET",
         "https://storage.googleapis.com/storage/v1/b/p-shop-build-sources/iam"
         "?optionsRequestedPolicyVersion=3&alt=json"),
        (IamResource("repository", "projects/p/locations/eu/repositories/shop"), "GET",
         "https://artifactregistry.googleapis.com/v1/projects/p/locations/eu/repositories/"
         "shop:getIamPolicy?options.requestedPolicyVersion=3&alt=json"),
    ],
)  # fmt: skip
def test_each_kind_of_policy_is_read_through_its_own_api(anonymous, resource, method, uri):
    request = GoogleIam("p")._policy(resource)
    assert (request.method, request.uri) == (method, uri)


def test_a_failed_build_names_its_failure_type():
    from google.cloud.devtools import cloudbuild_v1

    failed = cloudbuild_v1.Build(
        status=cloudbuild_v1.Build.Status.FAILURE,
        status_detail="Build failed",
        failure_info=cloudbuild_v1.Build.FailureInfo(
            type_=cloudbuild_v1.Build.FailureInfo.FailureType.FETCH_SOURCE_FAILED,
            detail="storage.objects.get access denied",
        ),
    )
    assert build_failure(failed) == (
        "Cloud Build ended FAILURE: Build failed (FETCH_SOURCE_FAILED: storage.objects.get "
        "access denied)"
    )
    timed_out = cloudbuild_v1.Build(status=cloudbuild_v1.Build.Status.TIMEOUT)
    assert build_failure(timed_out) == "Cloud Build ended TIMEOUT"


def test_a_managed_certificate_of_the_compute_api_becomes_its_state():
    item = {
        "name": "shop-django-cert-1a2b3c4",
        "type": "MANAGED",
        "managed": {
            "domains": ["shop.example.com"],
            "status": "PROVISIONING",
            "domainStatus": {"shop.example.com": "FAILED_NOT_VISIBLE"},
        },
    }
    assert certificate_state(item) == CertificateState(
        "shop-django-cert-1a2b3c4", "PROVISIONING", {"shop.example.com": "FAILED_NOT_VISIBLE"}
    )
