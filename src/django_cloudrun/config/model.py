"""The cloudrun.toml model: every setting, its default and its rules, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import Field, ValidationInfo, computed_field, field_validator, model_validator

from .budget import Budget, BudgetError, connection_budget
from .errors import Key, fail, fail_at
from .platform import (
    JOB_EXECUTION_ENVIRONMENT,
    MEMORY_RULE,
    connector_path,
    memory_mib,
    memory_problem,
    network_path,
    path_problem,
    subnet_path,
)
from .rules import (
    SERVICE_NAME_RULE,
    DottedModule,
    EnvName,
    Hostname,
    ProjectId,
    Region,
    SecretId,
    TenantId,
    duplicates,
    service_name_ok,
)
from .sections import (
    BuildConfig,
    CronJob,
    DatabaseConfig,
    EdgeConfig,
    HttpConfig,
    LoggingConfig,
    MediaConfig,
    MonitoringConfig,
    RotationConfig,
    StateConfig,
    StaticConfig,
    SuperuserConfig,
    Table,
    TracingConfig,
    VpcConfig,
    WorkerConfig,
)

__all__ = [
    "LB_INGRESS",
    "MANAGED_CERTIFICATE_DOMAINS",
    "MEMORY_RULE",
    "CloudRunConfig",
    "Ingress",
    "VpcPaths",
    "memory_mib",
]

Ingress = Literal["all", "internal", "internal-and-cloud-load-balancing"]
LB_INGRESS = "internal-and-cloud-load-balancing"  # the service's ingress behind a load balancer
MANAGED_CERTIFICATE_DOMAINS = 100  # domains one Google-managed certificate holds


class CloudRunConfig(Table):
    """cloudrun.toml, resolved for one environment."""

    # Field order matters: validators below read fields defined before theirs.
    project_id: ProjectId | None = Field(
        default=None, description="Google Cloud project id; required by deploy, not by plan or up."
    )
    region: Region = Field(default="us-central1", description="Region of the service and database.")
    tenant_deployment_id: TenantId = Field(
        default="demo", description="Deployment id; prefixes every resource name."
    )
    app_name: str = Field(
        default="django",
        description="Application name; the service name's suffix (see service_name).",
    )
    min_instance_count: int = Field(
        default=0, ge=0, le=1000, description="Instances kept warm (0 scales to zero)."
    )
    max_instance_count: int = Field(
        default=3,
        le=1000,
        description="Most instances; at least 1 and at least min_instance_count.",
    )
    cpu: Literal["1", "2", "4", "8"] = Field(default="1", description="CPUs per instance.")
    memory: str = Field(
        default="1Gi", description=f"Memory per instance, such as 512Mi or 2Gi; {MEMORY_RULE}."
    )
    timeout_seconds: int = Field(
        default=300, ge=1, le=3600, description="Request timeout in seconds."
    )
    max_concurrency: int = Field(
        default=80, ge=1, le=1000, description="Requests one instance serves at once."
    )
    execution_environment: Literal["gen1", "gen2"] = Field(
        default="gen2",
        description="Execution environment of the service (gen1 cannot mount media with GCS "
        f"FUSE); jobs always run on {JOB_EXECUTION_ENVIRONMENT}, the only one Cloud Run "
        "jobs have.",
    )
    public: bool = Field(
        default=True,
        description="Whether anyone may invoke the service: true turns its invoker IAM check off.",
    )
    settings_module: DottedModule | None = Field(
        default=None,
        description="Django settings module of the service, its jobs, the image and `up`, "
        "such as config.settings.production (init detects it); unset means the project's own "
        "DJANGO_SETTINGS_MODULE, the one manage.py sets.",
    )
    vpc: VpcConfig = Field(default_factory=VpcConfig, description="VPC access.")
    database: DatabaseConfig = Field(default_factory=DatabaseConfig, description="Cloud SQL.")
    media: MediaConfig = Field(default_factory=MediaConfig, description="Media files.")
    static: StaticConfig = Field(default_factory=StaticConfig, description="Static files.")
    http: HttpConfig = Field(default_factory=HttpConfig, description="Requests.")
    environment_variables: dict[EnvName, str] = Field(
        default_factory=dict, description="Plain environment variables of the service and jobs."
    )
    secret_environment_variables: dict[EnvName, SecretId] = Field(
        default_factory=dict,
        description="Environment variables read from Secret Manager: name = secret id.",
    )
    superuser: SuperuserConfig = Field(
        default_factory=SuperuserConfig, description="Django superuser."
    )
    worker: WorkerConfig = Field(default_factory=WorkerConfig, description="Celery worker.")
    cron: list[CronJob] = Field(default_factory=list, description="Scheduled management commands.")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, description="Logging.")
    tracing: TracingConfig = Field(default_factory=TracingConfig, description="Tracing.")
    monitoring: MonitoringConfig = Field(
        default_factory=MonitoringConfig, description="Monitoring."
    )
    build: BuildConfig = Field(default_factory=BuildConfig, description="Cloud Build.")
    rotation: RotationConfig = Field(default_factory=RotationConfig, description="Secret rotation.")
    state: StateConfig = Field(
        default_factory=StateConfig, description="Deployment state (Pulumi)."
    )
    custom_domains: list[Hostname] = Field(
        default_factory=list,
        description="Host names of the service, served by the load balancer (edge) with one "
        f"Google-managed certificate; at most {MANAGED_CERTIFICATE_DOMAINS}.",
    )
    edge: EdgeConfig = Field(default_factory=EdgeConfig, description="Load balancer and WAF.")
    # After edge, static and custom_domains: its default depends on them.
    ingress_settings: Ingress = Field(
        default=None,
        validate_default=True,
        description="Where requests may come from; unset means internal-and-cloud-load-"
        "balancing behind a load balancer (edge), all otherwise, the only values that "
        "leave the service reachable.",
    )

    @computed_field(  # type: ignore[prop-decorator]
        description=f"Cloud Run service name, tenant_deployment_id-app_name; {SERVICE_NAME_RULE}."
    )
    @property
    def service_name(self) -> str:
        return f"{self.tenant_deployment_id}-{self.app_name}"

    @field_validator("cpu", mode="before")
    @classmethod
    def _cpu_as_text(cls, value: Any) -> Any:
        # Cloud Run spells CPUs as strings; accept cpu = 2 as well as cpu = "2".
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return str(value) if is_int and value in (1, 2, 4, 8) else value

    @field_validator("max_instance_count")
    @classmethod
    def _max_fits_min(cls, value: int, info: ValidationInfo) -> int:
        lowest = info.data.get("min_instance_count")
        if lowest is not None and value < lowest:
            raise fail(f"must be >= min_instance_count ({lowest}), got {value}")
        if value < 1:
            raise fail(f"must be >= 1, got {value}")
        return value

    @field_validator("memory")
    @classmethod
    def _memory_fits_cpu(cls, value: str, info: ValidationInfo) -> str:
        problem = memory_problem(value, info.data.get("cpu"))  # cpu absent when invalid
        if problem:
            raise fail(problem)
        return value

    @field_validator("secret_environment_variables")
    @classmethod
    def _not_also_plain(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        plain = info.data.get("environment_variables", {})
        fail_at([(name, "also set in environment_variables") for name in value if name in plain])
        return value

    @field_validator("database")
    @classmethod
    def _private_ip_needs_network(
        cls, value: DatabaseConfig, info: ValidationInfo
    ) -> DatabaseConfig:
        vpc = info.data.get("vpc")
        if value.private_ip and vpc is not None and vpc.network is None:
            fail_at([("private_ip", "requires vpc.network (the network the IP is on)")])
        if value.private_ip and vpc is not None and vpc.mode == "none":
            # Cloud Run reaches a private IP only through the VPC.
            fail_at([("private_ip", "requires vpc.mode connector or direct, got none")])
        return value

    @field_validator("cron")
    @classmethod
    def _unique_names(cls, jobs: list[CronJob]) -> list[CronJob]:
        names = [job.name for job in jobs]
        fail_at([((i, "name"), f"{names[i]!r} is used twice") for i in duplicates(names)])
        return jobs

    @field_validator("custom_domains")
    @classmethod
    def _one_certificate(cls, domains: list[str]) -> list[str]:
        fail_at([(i, f"{domains[i]!r} is listed twice") for i in duplicates(domains)])
        # "Google-managed certificates support up to 100 non-wildcard domains"
        # (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs);
        # the load balancer issues one certificate for all of them.
        if len(domains) > MANAGED_CERTIFICATE_DOMAINS:
            raise fail(
                f"lists {len(domains)} domains, more than the {MANAGED_CERTIFICATE_DOMAINS} "
                "one Google-managed certificate holds"
            )
        return domains

    @field_validator("ingress_settings", mode="before")
    @classmethod
    def _ingress_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        return LB_INGRESS if _load_balanced(info.data) else "all"

    @field_validator("ingress_settings")
    @classmethod
    def _reachable(cls, value: str, info: ValidationInfo) -> str:
        # https://cloud.google.com/run/docs/securing/ingress: "internal" admits requests from
        # VPC networks and some Google Cloud services only, not from an external Application
        # Load Balancer; "internal-and-cloud-load-balancing" adds the load balancer; "all"
        # lets requests reach run.app around it (and around its Cloud Armor policy).
        if _load_balanced(info.data):
            if value != LB_INGRESS:
                raise fail(
                    f"must be {LB_INGRESS} behind a load balancer (edge), got {value!r}: "
                    f"{'all lets requests bypass it' if value == 'all' else 'it admits no load balancer'}"
                )
        elif value != "all":
            raise fail(
                f"{value!r} admits only requests from VPC networks and Google Cloud services"
                f"{' or a load balancer' if value != 'internal' else ''}, so without a load "
                "balancer the service's run.app URL would refuse browsers; use all, or a "
                "load balancer (custom_domains, [edge])"
            )
        return value

    @model_validator(mode="after")
    def _edge_fits(self) -> Self:
        edge, asked = self.edge, _load_balancer_needs(self.__dict__)
        problems: list[tuple[Key, str]] = []
        if edge.load_balancer is False:
            problems += [
                (key, f"needs a load balancer, and edge.load_balancer is false ({why})")
                for key, why in asked
            ]
        elif self.load_balanced:
            if not self.custom_domains:
                # A Google-managed certificate is issued for domains only, never an IP
                # (https://cloud.google.com/load-balancing/docs/ssl-certificates/google-managed-certs).
                problems.append(
                    (
                        "custom_domains",
                        "a load balancer (edge) serves HTTPS with a Google-managed "
                        "certificate, which needs at least one domain of yours",
                    )
                )
            if not self.public:
                # The load balancer forwards browsers' requests without an identity token,
                # so Cloud Run's invoker check would refuse them
                # (https://cloud.google.com/run/docs/securing/managing-access).
                problems.append(
                    (
                        "public",
                        "must be true behind a load balancer (edge): it sends no "
                        "identity token, so the invoker check would refuse every request",
                    )
                )
        fail_at(problems)
        return self

    @property
    def load_balanced(self) -> bool:
        """Whether deploy puts a load balancer (edge) in front of the service."""
        return _load_balanced(self.__dict__)

    @model_validator(mode="after")
    def _own_static_bucket(self) -> Self:
        # Bucket names are the project, the service and the suffix: the same suffix would
        # name the media bucket, which must never be public.
        if self.static.mode == "gcs-cdn" and self.static.bucket_suffix == self.media.bucket_suffix:
            fail_at(
                [
                    (
                        ("static", "bucket_suffix"),
                        f"{self.static.bucket_suffix!r} is media.bucket_suffix too; the public "
                        "static bucket needs a name of its own",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _fuse_needs_gen2(self) -> Self:
        # Cloud Storage volume mounts need the second generation execution environment
        # (https://cloud.google.com/run/docs/configuring/services/cloud-storage-volume-mounts).
        if self.media.mode == "fuse" and self.execution_environment != "gen2":
            fail_at(
                [
                    (
                        "execution_environment",
                        "gen1 cannot mount the media bucket with GCS FUSE (media.mode = fuse); "
                        "use gen2, or media.mode = api",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _vpc_in_region(self) -> Self:
        # A connector's region "must match the region of your serverless service"
        # (https://cloud.google.com/run/docs/configuring/vpc-connectors), and Direct VPC
        # egress sends from a subnet of the service's region
        # (https://cloud.google.com/run/docs/configuring/vpc-direct-vpc).
        vpc = self.vpc
        given = [("connector", vpc.connector), ("subnet", vpc.subnet)]
        problems = [
            (("vpc", key), problem)
            for key, value in given
            if value is not None and (problem := path_problem(key, value, self.region)) is not None
        ]
        fail_at(problems)
        return self

    @model_validator(mode="after")
    def _worker_reaches_its_broker(self) -> Self:
        if not self.worker.enable_worker:
            return self
        # The broker (Memorystore for Redis) has only a private IP on a VPC network; the
        # worker pool reaches it through Direct VPC egress on a subnet of its region
        # (https://cloud.google.com/run/docs/configuring/workerpools/vpc-direct-vpc).
        if self.vpc.mode != "direct":
            fail_at(
                [
                    (
                        ("worker", "enable_worker"),
                        'needs the VPC its broker is on: set vpc.mode = "direct" with '
                        "vpc.network and vpc.subnet",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _connections_fit(self) -> Self:
        try:
            self.budget  # noqa: B018 - computing it is the check
        except BudgetError as error:
            fail_at([(error.key, error.text)])
        return self

    @property
    def budget(self) -> Budget:
        """Database connections: the pool each instance may hold, and what else uses some."""
        worker = self.worker
        return connection_budget(
            self.database.tier,
            self.max_instance_count,
            cron_jobs=len(self.cron),
            worker_processes=(
                worker.instance_count * worker.concurrency if worker.enable_worker else 0
            ),
        )

    def vpc_paths(self, project: str) -> VpcPaths:
        """[vpc]'s network, subnet and connector as full resource paths; `project` is the
        deployment's, which a bare name belongs to."""
        vpc = self.vpc
        return VpcPaths(
            network=None if vpc.network is None else network_path(vpc.network, project),
            subnet=None if vpc.subnet is None else subnet_path(vpc.subnet, project, self.region),
            connector=(
                None
                if vpc.connector is None
                else connector_path(vpc.connector, project, self.region)
            ),
        )

    @model_validator(mode="after")
    def _service_name_valid(self) -> Self:
        name = self.service_name
        if not service_name_ok(name):
            rule = f"{name!r} (tenant_deployment_id-app_name) must be {SERVICE_NAME_RULE}"
            fail_at([("service_name", rule)])
        return self


def _load_balancer_needs(data: Mapping[str, Any]) -> list[tuple[Key, str]]:
    """The settings among the validated `data` that need a load balancer, with why."""
    edge, static = data.get("edge"), data.get("static")
    needs: list[tuple[Key, str]] = []
    if data.get("custom_domains"):
        needs.append(("custom_domains", "it maps them and issues their certificate"))
    if isinstance(edge, EdgeConfig) and edge.waf.enabled:
        # "Cloud Armor security policies ... are applied to backend services of a load
        # balancer" (https://cloud.google.com/armor/docs/security-policy-overview).
        needs.append((("edge", "waf", "enabled"), "Cloud Armor attaches to its backend"))
    if isinstance(static, StaticConfig) and static.mode == "gcs-cdn":
        needs.append((("static", "mode"), "Cloud CDN serves through it"))
    return needs


def _load_balanced(data: Mapping[str, Any]) -> bool:
    """edge.load_balancer as set, or, unset, whether another setting needs one."""
    edge = data.get("edge")
    chosen = edge.load_balancer if isinstance(edge, EdgeConfig) else None
    return chosen if chosen is not None else bool(_load_balancer_needs(data))


@dataclass(frozen=True)
class VpcPaths:
    network: str | None
    subnet: str | None
    connector: str | None
