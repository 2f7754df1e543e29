"""The tables of cloudrun.toml below the top level: [vpc], [database], [[cron]], ..."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .. import contract
from .errors import fail, fail_at
from .platform import MEMORY_RULE, memory_problem
from .rules import (
    AbsolutePath,
    BackupSchedule,
    BranchPattern,
    BucketSuffix,
    CeleryApp,
    ConnectorRef,
    CronJobName,
    CronSchedule,
    DbTier,
    DjangoUsername,
    Email,
    GithubRepository,
    ManageCommand,
    NetworkRef,
    PgIdentifier,
    PgUser,
    RelativePath,
    SecretsProvider,
    StateBackend,
    SubnetRef,
    UrlPath,
    duplicates,
)

__all__ = [
    "BuildConfig",
    "CronJob",
    "DatabaseConfig",
    "EdgeConfig",
    "HttpConfig",
    "LoggingConfig",
    "MediaConfig",
    "MonitoringConfig",
    "RotationConfig",
    "StateConfig",
    "StaticConfig",
    "SuperuserConfig",
    "Table",
    "TracingConfig",
    "VpcConfig",
    "WafConfig",
    "WorkerConfig",
]

DEFAULT_EXTENSIONS = ("pg_trgm", "unaccent", "hstore", "citext")


class Table(BaseModel):
    # strict: TOML values are already typed, so "3" for an integer is a mistake, not a 3.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, serialize_by_alias=True)


class VpcConfig(Table):
    """How the service reaches a VPC network."""

    mode: Literal["none", "connector", "direct"] = Field(
        default="none",
        description="none, a Serverless VPC Access connector, or Direct VPC egress.",
    )
    network: NetworkRef | None = Field(
        default=None,
        description="VPC network; needed by direct mode and by database.private_ip. A name "
        "is a network of project_id; a path names one elsewhere (a Shared VPC's host project).",
    )
    subnet: SubnetRef | None = Field(
        default=None,
        description="Subnetwork that Direct VPC egress uses (mode direct), in the service's "
        "region.",
    )
    connector: ConnectorRef | None = Field(
        default=None,
        description="Serverless VPC Access connector (mode connector), in the service's region.",
    )
    vpc_egress_setting: Literal["PRIVATE_RANGES_ONLY", "ALL_TRAFFIC"] = Field(
        default="PRIVATE_RANGES_ONLY", description="Which outbound traffic goes through the VPC."
    )

    @model_validator(mode="after")
    def _fits_mode(self) -> Self:
        problems = []
        if self.mode == "connector" and self.connector is None:
            problems.append(("connector", "required when vpc.mode is 'connector'"))
        if self.mode == "direct":
            problems += [
                (key, "required when vpc.mode is 'direct'")
                for key in ("network", "subnet")
                if getattr(self, key) is None
            ]
        if self.connector is not None and self.mode != "connector":
            problems.append(
                ("connector", f"only used when vpc.mode is 'connector', and it is {self.mode!r}")
            )
        if self.subnet is not None and self.mode != "direct":
            problems.append(
                ("subnet", f"only used when vpc.mode is 'direct', and it is {self.mode!r}")
            )
        if self.mode == "none" and self.vpc_egress_setting == "ALL_TRAFFIC":
            problems.append(
                ("vpc_egress_setting", "ALL_TRAFFIC needs vpc.mode 'connector' or 'direct'")
            )
        fail_at(problems)
        return self


class DatabaseConfig(Table):
    """Cloud SQL for PostgreSQL."""

    version: Literal["POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17"] = Field(
        default="POSTGRES_15", description="Cloud SQL database version."
    )
    tier: DbTier = Field(default="db-f1-micro", description="Cloud SQL machine tier.")
    database: PgIdentifier = Field(
        default="django", description="Name of the application database."
    )
    user: PgUser = Field(default="django", description="Role the application connects as.")
    extensions: list[PgIdentifier] = Field(
        default_factory=lambda: list(DEFAULT_EXTENSIONS),
        description="PostgreSQL extensions db-init creates.",
    )
    backup_schedule: BackupSchedule = Field(
        default="0 2 * * *", description="When automated backups start (UTC)."
    )
    backup_retention_days: int = Field(
        default=7, ge=1, le=365, description="Days automated backups are kept."
    )
    point_in_time_recovery: bool = Field(
        default=True, description="Keep write-ahead logs for PITR."
    )
    deletion_protection: bool = Field(default=True, description="Refuse to delete the instance.")
    private_ip: bool = Field(
        default=False, description="Give the instance a private IP on vpc.network (requires it)."
    )
    # https://cloud.google.com/sql/docs/postgres/configure-private-ip: a private IP needs
    # Private Services Access, one connection per network shared by every Google service
    # on it; creating it where one exists fails, so a network that has it says so here.
    private_services_access: Literal["create", "existing"] = Field(
        default="create",
        description="With private_ip: create reserves an IP range on vpc.network and connects "
        "it to Google's services (Private Services Access); existing: the network already has "
        "that connection (another app or service made it), so deploy uses it as it is.",
    )

    @field_validator("extensions")
    @classmethod
    def _unique(cls, extensions: list[str]) -> list[str]:
        fail_at([(i, f"{extensions[i]!r} is listed twice") for i in duplicates(extensions)])
        return extensions


class MediaConfig(Table):
    """Uploaded files, kept in a Cloud Storage bucket."""

    bucket_suffix: BucketSuffix = Field(
        default="django-media", description="Last part of the media bucket's name."
    )
    mode: Literal["fuse", "api"] = Field(
        default="fuse", description="fuse: the bucket is mounted as files; api: django-storages."
    )
    mount_path: AbsolutePath = Field(
        default="/app/media",
        description="Where the bucket is mounted in the container (fuse mode).",
    )


class StaticConfig(Table):
    """Static files."""

    mode: Literal["whitenoise", "gcs-cdn"] = Field(
        default="whitenoise",
        description="whitenoise: served by the app; gcs-cdn: migrate collects them into a "
        "public bucket that the load balancer (edge) serves at /static/ through Cloud CDN.",
    )
    bucket_suffix: BucketSuffix = Field(
        default="django-static",
        description="Last part of the static bucket's name (gcs-cdn); not media.bucket_suffix.",
    )


class WafConfig(Table):
    """Cloud Armor on the load balancer: Google's OWASP rules and per-client rate limits."""

    enabled: bool = Field(
        default=False,
        description="Attach a Cloud Armor security policy to the load balancer's backend "
        "(implies edge.load_balancer).",
    )
    mode: Literal["block", "preview"] = Field(
        default="block",
        description="block: matching requests are refused (403, or 429 over a rate limit); "
        "preview: they are only logged, to tune the rules on real traffic first.",
    )
    # https://cloud.google.com/armor/docs/rule-tuning#choose_a_sensitivity_level: "a
    # sensitivity between 0 and 4, though sensitivity level 0 means that no rules are
    # enabled"; each level is an OWASP paranoia level and includes the levels below it.
    sensitivity: int = Field(
        default=1,
        ge=1,
        le=4,
        description="OWASP Core Rule Set paranoia level of the WAF rules: 1 has the fewest "
        "false positives, 4 catches the most.",
    )
    # https://cloud.google.com/armor/docs/rate-limiting-overview: a throttle's threshold
    # count is 1 to 1,000,000 per interval; we use a 60-second interval.
    rate_limit_per_minute: int = Field(
        default=600,
        ge=1,
        le=1_000_000,
        description="Requests one client IP may send per minute over the whole site; more "
        "are answered 429.",
    )
    login_rate_limit_per_minute: int = Field(
        default=10,
        ge=1,
        le=1_000_000,
        description="Requests one client IP may send per minute to login_path; at most "
        "rate_limit_per_minute.",
    )
    login_path: UrlPath = Field(
        default="/admin/login/",
        description="Path prefix of the login form that the stricter limit throttles.",
    )

    @model_validator(mode="after")
    def _login_stricter(self) -> Self:
        site, login = self.rate_limit_per_minute, self.login_rate_limit_per_minute
        if login > site:
            problem = f"must be at most rate_limit_per_minute ({site}), got {login}"
            fail_at([("login_rate_limit_per_minute", problem)])
        return self


class EdgeConfig(Table):
    """A global external Application Load Balancer in front of the service."""

    load_balancer: bool | None = Field(
        default=None,
        description="A load balancer with Google-managed certificates for custom_domains, "
        "an HTTP-to-HTTPS redirect, and the service's ingress restricted to it; unset means "
        "on when custom_domains, edge.waf.enabled or static.mode gcs-cdn need it.",
    )
    waf: WafConfig = Field(default_factory=WafConfig, description="Cloud Armor.")


MIB = 1024 * 1024


class HttpConfig(Table):
    """Requests the service accepts."""

    # Cloud Run refuses HTTP/1 requests over 32 MiB, https://cloud.google.com/run/quotas
    # ("Maximum HTTP/1 request size"), so a larger limit would never be reached.
    max_request_body_mib: int = Field(
        default=contract.MAX_REQUEST_BODY_BYTES // MIB,
        ge=1,
        le=contract.MAX_REQUEST_BODY_BYTES // MIB,
        description="Largest request body in MiB; a larger one is answered 413 before it is "
        "read. Uploads are spooled to /tmp, which is the instance's memory: keep "
        "max_concurrency x this limit within memory.",
    )


class RotationConfig(Table):
    """Rotation of the generated secrets (`django-cloudrun rotate`)."""

    grace_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="Days a retired SECRET_KEY stays in SECRET_KEY_FALLBACKS, so sessions and "
        "password-reset links signed with it stay valid; a later rotation or `up` drops it.",
    )


class SuperuserConfig(Table):
    """The Django superuser created at deploy; its password is its own secret."""

    username: DjangoUsername = Field(default="admin", description="Username of the superuser.")
    email: Email = Field(default="admin@example.com", description="Email of the superuser.")


class WorkerConfig(Table):
    """A Celery worker: a Cloud Run worker pool from the web image, and a broker."""

    enable_worker: bool = Field(
        default=False,
        description="Run a Celery worker on a Cloud Run worker pool from the web image, with "
        "a Memorystore for Redis broker (BASIC tier, AUTH, TLS) that the service and the "
        "pool reach over Direct VPC egress (needs vpc.mode = direct).",
    )
    app: CeleryApp | None = Field(
        default=None,
        description="The Celery app as `celery -A` takes it; unset means the package of the "
        "settings module (DJANGO_SETTINGS_MODULE), where Django projects define it.",
    )
    concurrency: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Celery worker processes per instance; each holds one database connection.",
    )
    # The pool's fixed number of instances: WorkerPoolScalingArgs.manual_instance_count
    # (pulumi-gcp 10, "The total number of instances in manual scaling mode"), bounded as the
    # service's max_instance_count is.
    instance_count: int = Field(
        default=1, ge=1, le=1000, description="Instances of the worker pool (manual scaling)."
    )
    cpu: Literal["1", "2", "4", "8"] = Field(default="1", description="CPUs per worker instance.")
    memory: str = Field(
        default="1Gi",
        description=f"Memory per worker instance, such as 512Mi or 2Gi; {MEMORY_RULE}.",
    )
    task_time_limit: int = Field(
        default=int(contract.CLOUDRUN_TASK_TIME_LIMIT.default),
        ge=10,
        le=24 * 3600,
        description="Seconds a task may run before the worker kills it; the broker hands an "
        "unacknowledged task to another worker only after twice this.",
    )

    @field_validator("cpu", mode="before")
    @classmethod
    def _cpu_as_text(cls, value: object) -> object:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        return str(value) if is_int and value in (1, 2, 4, 8) else value

    @field_validator("memory")
    @classmethod
    def _memory_fits_cpu(cls, value: str, info: ValidationInfo) -> str:
        problem = memory_problem(value, info.data.get("cpu"))
        if problem:
            raise fail(problem)
        return value


class CronJob(Table):
    """Each `[[cron]]` entry is a management command that Cloud Scheduler runs on a schedule."""

    name: CronJobName = Field(description="Name of the job; unique among cron entries.")
    schedule: CronSchedule = Field(description="When it runs (UTC).")
    command: ManageCommand = Field(description='manage.py command line, e.g. "clearsessions".')


class LoggingConfig(Table):
    """Log format."""

    json_lines: bool = Field(
        default=True,
        alias="json",
        description="Cloud Logging structured JSON lines in production.",
    )


class TracingConfig(Table):
    """OpenTelemetry traces exported to Cloud Trace."""

    enabled: bool = Field(default=False, description="Export traces (needs the otel extra).")
    sample_ratio: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of requests traced among those that arrive without a sampling "
        "decision; a decision in traceparent (Cloud Run's front end sends one) is followed.",
    )


class MonitoringConfig(Table):
    """Cloud Monitoring."""

    uptime_check: bool = Field(default=True, description="Create an uptime check on /health/.")
    alert_email: Email | None = Field(
        default=None, description="Where alerts are emailed; none if unset."
    )


class BuildConfig(Table):
    """How the image is built: the Dockerfile, and the Cloud Build trigger."""

    dockerfile: RelativePath = Field(
        default="Dockerfile",
        description="Dockerfile that deploy, cloudbuild.yaml and the GitHub workflow build, "
        "relative to the project; the build context is the project.",
    )
    github_repository: GithubRepository | None = Field(
        default=None,
        description="GitHub repository (owner/name) that triggers builds; none if unset.",
    )
    branch_pattern: BranchPattern = Field(
        default="^main$", description="Branches that trigger a build (regex)."
    )


class StateConfig(Table):
    """Where deploy keeps Pulumi's state, and how secrets in it are encrypted."""

    backend: StateBackend | None = Field(
        default=None,
        description="State backend URL; unset means gs://PROJECT_ID-django-cloudrun-state.",
    )
    secrets_provider: SecretsProvider = Field(
        default="passphrase",
        description="passphrase (PULUMI_CONFIG_PASSPHRASE) or a gcpkms:// key.",
    )
