"""Run the Pulumi program under mocks and keep what it declared, for assertions.

DESIGN.md's rules for Pulumi tests, all applied here: the program runs inside a function
decorated with @pulumi.runtime.test (an undecorated failing apply would pass silently),
mocks are set with preview=False, resources are recorded keyed by (type, name), and the
records are read only after the decorated function returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from django_cloudrun.config import CloudRunConfig, parse_config
from django_cloudrun.infra.mocks import Key, OfflineMocks, Recorder
from django_cloudrun.infra.program import build, project_of

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example"
PROJECT_NUMBER = "123456789012"

SERVICE = "gcp:cloudrunv2/service:Service"
JOB = "gcp:cloudrunv2/job:Job"
INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
DATABASE = "gcp:sql/database:Database"
USER = "gcp:sql/user:User"
BUCKET = "gcp:storage/bucket:Bucket"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"
ACCOUNT = "gcp:serviceaccount/account:Account"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SERVICE_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
JOB_MEMBER = "gcp:cloudrunv2/jobIamMember:JobIamMember"
SCHEDULER_JOB = "gcp:cloudscheduler/job:Job"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
REPOSITORY_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
TRIGGER = "gcp:cloudbuild/trigger:Trigger"
UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
ALERT = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
SLO = "gcp:monitoring/slo:Slo"
SLO_SERVICE = "gcp:monitoring/genericService:GenericService"
IAM_TYPES = (
    PROJECT_MEMBER,
    SECRET_MEMBER,
    BUCKET_MEMBER,
    ACCOUNT_MEMBER,
    SERVICE_MEMBER,
    JOB_MEMBER,
    REPOSITORY_MEMBER,
)


@dataclass
class Declared:
    """Everything one run of a program declared."""

    inputs: dict[Key, dict[str, Any]]
    order: list[Key]
    depends_on: dict[Key, list[Key]]
    timeouts: dict[Key, pulumi.CustomTimeouts]
    secret_values: set[str]
    outputs: dict[str, Any]
    calls: list[tuple[str, dict[str, Any]]]

    def of_type(self, typ: str) -> dict[str, dict[str, Any]]:
        return {name: inputs for (t, name), inputs in self.inputs.items() if t == typ}

    def one(self, typ: str) -> dict[str, Any]:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {sorted(found)}"
        return next(iter(found.values()))

    def named(self, typ: str, name: str) -> dict[str, Any]:
        return self.inputs[(typ, name)]

    def iam(self) -> set[tuple[str, str, str]]:
        """(member, role, resource) of every IAM member resource."""
        rows = set()
        for (typ, _), inputs in self.inputs.items():
            if typ in IAM_TYPES:
                target = (
                    inputs.get("project")
                    if typ == PROJECT_MEMBER
                    else inputs.get("secretId")
                    or inputs.get("bucket")
                    or inputs.get("serviceAccountId")
                    or inputs.get("repository")
                    or inputs.get("name")
                )
                rows.add((inputs["member"], inputs["role"], str(target)))
        return rows


def config_of(text: str = "", env: str | None = None) -> CloudRunConfig:
    return parse_config(text, env)


def run_program(
    program: Callable[[pulumi.ResourceOptions], dict[str, Any]],
    *,
    project: str = "my-project",
    region: str = "us-central1",
) -> Declared:
    """Run `program` (which declares resources with the given options) under mocks."""
    mocks = OfflineMocks(project=project, region=region, project_number=PROJECT_NUMBER)
    recorder = Recorder()
    pulumi.runtime.set_mocks(mocks, project="django-cloudrun", stack="test", preview=False)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def declare() -> pulumi.Output[Any]:
        exported = program(recorder.options())

        def keep(resolved: dict[str, Any]) -> None:
            outputs.update(resolved)

        return pulumi.Output.from_input(exported).apply(keep)

    declare()
    return Declared(
        inputs={key: _ints(value) for key, value in mocks.inputs.items()},
        order=list(dict.fromkeys(recorder.order)),
        depends_on=recorder.depends_on,
        timeouts=recorder.timeouts,
        secret_values=set(mocks.secret_values),
        outputs=outputs,
        calls=list(mocks.calls),
    )


def _ints(value: Any) -> Any:
    """Whole numbers as ints: the engine sends every number as a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value


def deploy(
    config: CloudRunConfig | str = "", *, image: str | None = None, release: str = ""
) -> Declared:
    """Declare the DjangoApp of `config` (a model or TOML text) under mocks."""
    resolved = parse_config(config) if isinstance(config, str) else config

    def program(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        app = build(resolved, image=image, release=release, opts=opts)
        return {
            "url": app.url,
            "bucket": app.bucket.name,
            "connection_name": app.connection_name,
            "service_account": app.app.service_account.email,
            "job_accounts": {job: a.email for job, a in app.app.job_accounts.items()},
        }

    return run_program(program, project=project_of(resolved), region=resolved.region)


def env_of(container: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(plain variables, secret variables -> secretKeyRef) of a container's inputs."""
    plain, secret = {}, {}
    for entry in container.get("envs", []):
        if "valueSource" in entry:
            secret[entry["name"]] = entry["valueSource"]["secretKeyRef"]
        else:
            plain[entry["name"]] = entry["value"]
    return plain, secret


def service_container(declared: Declared) -> dict[str, Any]:
    containers = declared.one(SERVICE)["template"]["containers"]
    assert len(containers) == 1
    return containers[0]


def job_container(declared: Declared, job: str) -> dict[str, Any]:
    jobs = {inputs["name"]: inputs for inputs in declared.of_type(JOB).values()}
    matches = [inputs for name, inputs in jobs.items() if name.endswith(f"-{job}")]
    assert len(matches) == 1, sorted(jobs)
    containers = matches[0]["template"]["template"]["containers"]
    assert len(containers) == 1
    return containers[0]


SECRET_SIG = "4dabf18193072939515e22adb298388d"


def secret_value(wrapped: Any) -> Any:
    """The value inside the engine's secret wrapper, which marks the input as secret."""
    assert isinstance(wrapped, dict) and SECRET_SIG in wrapped, wrapped
    return wrapped["value"]
