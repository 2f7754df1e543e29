"""Typed inputs of the CloudRunApp component: what runs, with which environment and volumes.

Fields that cloudrun.toml configures (scaling, resources, timeout, ingress, ...) have no
default here: the config model is the only place their defaults live, and DjangoApp passes
them on. Fields cloudrun.toml does not expose (probes, port, CPU boost) default to values
chosen for Django behind Cloud Run: the probes and the port are the container contract's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi

from ..contract import DEFAULT_PORT, LIVENESS_PROBE, STARTUP_PROBE, Probe

__all__ = [
    "CloudRunAppArgs",
    "CloudSqlVolume",
    "Egress",
    "ExecutionEnvironment",
    "GcsVolume",
    "Ingress",
    "JobSpec",
    "LIVENESS_PROBE",
    "Probe",
    "STARTUP_PROBE",
    "SecretEnv",
    "VpcAccess",
    "Volume",
]

Ingress = Literal["all", "internal", "internal-and-cloud-load-balancing"]
Egress = Literal["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"]
ExecutionEnvironment = Literal["gen1", "gen2"]


@dataclass(frozen=True)
class SecretEnv:
    """An environment variable filled from Secret Manager, pinned to one version."""

    key: str  # stable short name, used in resource names: "db-password"
    secret: pulumi.Input[str]  # the secret's id in the app's project
    version: pulumi.Input[str]  # a version number created or read in this deployment

    def __post_init__(self) -> None:
        if isinstance(self.version, str) and not self.version.isdigit():
            raise ValueError(
                f"secret {self.key}: version must be a version number, got {self.version!r}; "
                "'latest' would let a revision's values change beneath it"
            )


@dataclass(frozen=True)
class CloudSqlVolume:
    """Cloud SQL instances reachable as unix sockets under mount_path/CONNECTION_NAME."""

    instances: Sequence[pulumi.Input[str]]  # connection names PROJECT:REGION:INSTANCE
    name: str = "cloudsql"
    mount_path: str = "/cloudsql"


@dataclass(frozen=True)
class GcsVolume:
    """A Cloud Storage bucket mounted with GCS FUSE (needs the gen2 environment)."""

    bucket: pulumi.Input[str]
    mount_path: str
    name: str = "media"
    mount_options: Sequence[str] = ()  # gcsfuse flags, such as implicit-dirs or uid=2000
    read_only: bool = False


Volume = CloudSqlVolume | GcsVolume


@dataclass(frozen=True)
class VpcAccess:
    """Outbound traffic through a VPC: a connector, or Direct VPC egress on network/subnet."""

    egress: Egress
    connector: str | None = None  # projects/P/locations/R/connectors/NAME
    network: str | None = None
    subnet: str | None = None

    def __post_init__(self) -> None:
        direct = self.network is not None and self.subnet is not None
        if (self.connector is not None) == direct:
            raise ValueError("VpcAccess needs either a connector or a network and a subnet")


@dataclass(frozen=True)
class JobSpec:
    """A Cloud Run job run on every deployment, before the service's new revision."""

    name: str  # short name, such as db-init; the job is named SERVICE-NAME
    args: Sequence[str]  # arguments after the app's command
    env: Mapping[str, pulumi.Input[str]]
    secret_env: Mapping[str, SecretEnv]
    own_account: bool = False  # True: a dedicated account that reads only this job's secrets
    volumes: Sequence[str] | None = None  # names of the app's volumes to mount; None: all
    # Buckets its own account (own_account) reads and writes through the API, by short name.
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    timeout_seconds: int = 600
    max_retries: int = 0
    depends_on: Sequence[pulumi.Resource] = ()  # besides the previous job


@dataclass(frozen=True)
class CloudRunAppArgs:
    """A container on Cloud Run: one service and the jobs that run before each revision."""

    project: str
    region: str
    service_name: str
    image: pulumi.Input[str]
    min_instance_count: int
    max_instance_count: int
    cpu: str
    memory: str
    timeout_seconds: int
    max_concurrency: int
    execution_environment: ExecutionEnvironment
    ingress: Ingress
    public: bool  # whether anyone may invoke the service (its invoker IAM check is off)
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_env: Mapping[str, SecretEnv] = field(default_factory=dict)
    volumes: Sequence[Volume] = ()
    vpc: VpcAccess | None = None
    # Buckets the service's account reads and writes through the API, by a short name; a
    # bucket mounted as a volume of the same name is granted once. Mounts need no entry.
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    sign_urls: bool = False  # the account may sign blobs as itself (signed URLs, no key file)
    traces: bool = False  # the service's account may write traces to Cloud Trace
    command: Sequence[str] = ()  # overrides the image's entrypoint when set
    args: Sequence[str] = ()  # the service's arguments after the command
    jobs: Sequence[JobSpec] = ()  # run in this order; the service waits for the last
    depends_on: Sequence[pulumi.Resource] = ()  # the first job and the service wait for these
    release: str = ""  # mixed into the jobs' execution tokens: a new value runs them again
    port: int = DEFAULT_PORT
    startup_cpu_boost: bool = True  # more CPU while the instance starts: Django imports fast
    startup_probe: Probe = STARTUP_PROBE
    liveness_probe: Probe | None = LIVENESS_PROBE
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = self.startup_probe.problems("startup")
        if self.liveness_probe is not None:
            problems += self.liveness_probe.problems("liveness")
        names = [job.name for job in self.jobs]
        problems += [
            f"job {name!r} is listed twice" for name in set(names) if names.count(name) > 1
        ]
        gcs = [volume for volume in self.volumes if isinstance(volume, GcsVolume)]
        if gcs and self.execution_environment != "gen2":
            problems.append("GCS FUSE volumes need execution_environment gen2")
        if problems:
            raise ValueError("; ".join(problems))
