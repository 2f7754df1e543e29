"""DjangoApp: the seed's Django module: CloudRunApp plus database, secrets, media, build, alerts.

Environment variables come from config.topology, the same functions the local target uses;
only the Placement differs: here DB_HOST is the Cloud SQL socket, CLOUDRUN_SERVICE_URLS the
run.app URL (known before the service exists, from the project number) plus custom domains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_gcp import cloudrunv2, organizations, storage

from .. import contract
from ..config import CloudRunConfig
from ..config.budget import Budget
from ..config.topology import (
    BROKER_URL_SECRET,
    CRON_SCOPES,
    DATABASE_URL_SECRET,
    JOBS,
    SERVICE_SCOPES,
    WORKER_SCOPES,
    Placement,
    plain_environment,
    secret_environment,
    worker_environment,
)
from ..contract import Scope
from .args import CloudRunAppArgs, CloudSqlVolume, JobSpec, SecretEnv, Volume
from .build import Builds, builds, repository
from .cloud_run_app import CloudRunApp
from .database import Database, database
from .edge import Edge, edge_resources
from .monitoring import Monitoring, monitoring_resources
from .network import vpc_access
from .private_services import private_services_access
from .schedule import Schedule, cron_schedule
from .secrets import (
    ComposedSecret,
    GeneratedSecret,
    composed_secret,
    existing_secret,
    generated_secrets,
)
from .service import service_url
from .static import StaticBucket, static_bucket
from .storage import media_bucket, media_volume
from .worker import Broker, broker, worker_pool

__all__ = ["JOB_TIMEOUTS", "MANAGE", "SERVE", "DjangoApp", "DjangoAppArgs"]

MANAGE = ("python", "manage.py")  # the image's working directory holds manage.py
SERVE = ("cloudrun_serve",)
JOB_TIMEOUTS = {"db-init": 600, "migrate": 1800}  # seconds; migrate may rewrite big tables

# Stand-ins for values only known once resources exist; NUL never occurs in a real value.
_CONNECTION = "\0connection-name\0"
_PROJECT_NUMBER = "\0project-number\0"
_BUCKET = "\0bucket\0"
_BROKER_CA = "\0broker-ca\0"
_STATIC_BUCKET = "\0static-bucket\0"
_STAND_IN = re.compile("\0[a-z-]+\0")


@dataclass(frozen=True)
class DjangoAppArgs:
    """The resolved cloudrun.toml, where it goes, and which image runs."""

    config: CloudRunConfig
    project: str  # config.project_id, or the placeholder of an offline plan
    image: pulumi.Input[str]  # by digest when deploying, so the jobs rerun on every build
    release: str = ""  # a new value reruns db-init and migrate with the same image
    media_force_destroy: bool = False  # destroy --delete-data: the bucket goes with its files


def _checked_host(config: CloudRunConfig, number: pulumi.Output[str]) -> pulumi.Input[str]:
    """Where the uptime check sends its requests: behind a load balancer the run.app URL
    admits only the load balancer, so the first custom domain."""
    if config.load_balanced:
        return config.custom_domains[0]
    return number.apply(
        lambda n: service_url(config.service_name, n, config.region).removeprefix("https://")
    )


def _fill(
    env: Mapping[str, str], values: Mapping[str, pulumi.Input[str]]
) -> dict[str, pulumi.Input[str]]:
    """`env` with each stand-in replaced by its value once that value is known."""

    def filled(text: str) -> pulumi.Input[str]:
        names = _STAND_IN.findall(text)
        if not names:
            return text

        def put(resolved: list[str]) -> str:
            out = text
            for stand_in, value in zip(names, resolved, strict=True):
                out = out.replace(stand_in, value)
            return out

        return pulumi.Output.all(*(values[name] for name in names)).apply(put)

    return {name: filled(value) for name, value in env.items()}


@dataclass(frozen=True)
class _Environments:
    """The plain and the secret environment of a process, by the scopes it sees."""

    config: CloudRunConfig
    placement: Placement
    known: Mapping[str, pulumi.Input[str]]  # each stand-in's value
    project_secrets: Mapping[str, SecretEnv]  # secret_environment_variables, pinned
    generated: Mapping[str, GeneratedSecret | ComposedSecret]  # by topology key

    def plain(self, scopes: frozenset[Scope]) -> dict[str, pulumi.Input[str]]:
        return _fill(plain_environment(self.config, self.placement, scopes), self.known)

    def worker(self) -> dict[str, pulumi.Input[str]]:
        return _fill(worker_environment(self.config, self.placement), self.known)

    def secret(self, scopes: frozenset[Scope]) -> dict[str, SecretEnv]:
        return {
            var: self.project_secrets.get(var) or self.generated[key].env
            for var, key in secret_environment(self.config, scopes).items()
        }


class DjangoApp(pulumi.ComponentResource):
    """Django on Cloud Run with Cloud SQL, Secret Manager, a media bucket and monitoring."""

    budget: Budget
    secrets: dict[str, GeneratedSecret]
    database_url: ComposedSecret
    database: Database
    bucket: storage.Bucket
    static: StaticBucket | None
    app: CloudRunApp
    builds: Builds
    monitoring: Monitoring
    schedule: Schedule
    broker: Broker | None
    worker_pool: cloudrunv2.WorkerPool | None
    edge: Edge | None
    url: pulumi.Output[str]
    connection_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: DjangoAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("django-cloudrun:index:DjangoApp", name, {}, opts)
        config, project = args.config, args.project
        labels = {"app": config.service_name, "managed-by": "django-cloudrun"}
        self.budget = config.budget
        self._data(name, args, labels)
        images = repository(name, config, project=project, labels=labels, parent=self)
        self.builds = builds(
            name, config, project=project, images=images, labels=labels, parent=self
        )
        number = organizations.get_project_output(project_id=project).number
        env = self._environments(name, config, project, number, labels)
        self.app = CloudRunApp(
            name, self._app_args(args, env, labels), opts=pulumi.ResourceOptions(parent=self)
        )
        self.worker_pool = self._worker_pool(name, args, env, labels)
        self.edge = edge_resources(
            name,
            config,
            project=project,
            service=self.app.service.name,
            static_bucket=self.static.bucket.name if self.static else None,
            parent=self,
        )
        self.schedule = cron_schedule(
            name,
            config,
            app=self.app,
            env=env.plain(CRON_SCOPES),
            secret_env=env.secret(CRON_SCOPES),
            parent=self,
        )
        self.monitoring = monitoring_resources(
            name,
            config,
            project=project,
            host=_checked_host(config, number),
            instance_name=self.database.instance.name,
            budget=self.budget,
            parent=self,
        )
        self.url = self.app.url
        self.register_outputs(
            {
                "url": self.url,
                "bucket": self.bucket.name,
                "connection_name": self.connection_name,
                "service_account": self.app.service_account.email,
                "job_accounts": {
                    job: account.email for job, account in self.app.job_accounts.items()
                },
                "build_account": self.builds.account.email,
                "worker_pool": self.worker_pool.name if self.worker_pool is not None else None,
                "build_sources": self.builds.sources.name,
                "images": images.registry_uri,
                "addresses": {
                    version: address.address
                    for version, address in (self.edge.addresses if self.edge else {}).items()
                },
            }
        )

    def _data(self, name: str, args: DjangoAppArgs, labels: dict[str, str]) -> None:
        """The generated secrets, the database and its users, the media bucket."""
        config, project = args.config, args.project
        self.secrets = generated_secrets(
            name, project=project, service=config.service_name, labels=labels, parent=self
        )
        peering = private_services_access(name, config, project=project, parent=self)
        self.database = database(
            name,
            config,
            project=project,
            admin_password=self.secrets["db-admin-password"].password.result,
            labels=labels,
            parent=self,
            depends_on=[peering] if peering is not None else [],
        )
        self.connection_name = self.database.connection_name
        network = config.vpc_paths(project).network
        self.broker = (
            broker(name, config, project=project, network=network, labels=labels, parent=self)
            if config.worker.enable_worker and network is not None
            else None
        )
        self.bucket = media_bucket(
            name,
            config,
            project=project,
            labels=labels,
            parent=self,
            force_destroy=args.media_force_destroy,
        )
        self.static = static_bucket(name, config, project=project, labels=labels, parent=self)

    def _environments(
        self,
        name: str,
        config: CloudRunConfig,
        project: str,
        number: pulumi.Output[str],
        labels: dict[str, str],
    ) -> _Environments:
        """Where things are once deployed: the Cloud SQL socket, run.app URL, bucket."""
        placement = Placement(
            db_host=f"/cloudsql/{_CONNECTION}",
            service_urls=(
                service_url(config.service_name, _PROJECT_NUMBER, config.region),
                *(f"https://{domain}" for domain in config.custom_domains),
            ),
            bucket=_BUCKET,
            project_id=project,
            broker_ca=_BROKER_CA if self.broker is not None else "",
            static_bucket=_STATIC_BUCKET if self.static else "",
        )
        known: dict[str, pulumi.Input[str]] = {
            _CONNECTION: self.database.connection_name,
            _PROJECT_NUMBER: number,
            _BUCKET: self.bucket.name,
            **({_STATIC_BUCKET: self.static.bucket.name} if self.static else {}),
        }
        if self.broker is not None:
            known[_BROKER_CA] = self.broker.ca
        self.database_url = self._database_url(name, config, placement, known, labels)
        project_secrets = {
            var: existing_secret(secret, project=project)
            for var, secret in config.secret_environment_variables.items()
        }
        generated: dict[str, GeneratedSecret | ComposedSecret] = {
            **self.secrets,
            DATABASE_URL_SECRET: self.database_url,
        }
        if self.broker is not None:
            generated[BROKER_URL_SECRET] = self.broker.url
        return _Environments(config, placement, known, project_secrets, generated)

    def _database_url(
        self,
        name: str,
        config: CloudRunConfig,
        placement: Placement,
        known: Mapping[str, pulumi.Input[str]],
        labels: dict[str, str],
    ) -> ComposedSecret:
        """DATABASE_URL: the Cloud SQL socket as the host query parameter (Cloud Run mounts
        the instance's socket under /cloudsql/CONNECTION_NAME:
        https://cloud.google.com/sql/docs/postgres/connect-run), the password from the
        generated secret; the URL is a secret of its own (see topology.DATABASE_URL_SECRET)."""
        return composed_secret(
            name,
            DATABASE_URL_SECRET,
            pulumi.Output.all(
                self.secrets["db-password"].password.result,
                _fill({"host": placement.db_host}, known)["host"],
            ).apply(
                lambda values: contract.database_url(
                    user=config.database.user,
                    password=values[0],
                    host=values[1],
                    port="",
                    name=config.database.database,
                )
            ),
            project=placement.project_id,
            service=config.service_name,
            labels=labels,
            parent=self,
        )

    def _worker_pool(
        self, name: str, args: DjangoAppArgs, env: _Environments, labels: dict[str, str]
    ) -> cloudrunv2.WorkerPool | None:
        """The Celery worker, with the service's volumes and VPC access, as its own account."""
        vpc = self.app.args.vpc
        if self.broker is None or vpc is None:
            return None
        pool, _account = worker_pool(
            name,
            args.config,
            app=self.app,
            image=args.image,
            manage=MANAGE,
            env=env.worker(),
            secret_env=env.secret(WORKER_SCOPES),
            volumes=self.app.args.volumes,
            vpc=vpc,
            depends_on=[*self.app.args.depends_on, *self.app.jobs.values()],
            labels=labels,
        )
        return pool

    def _app_args(
        self, args: DjangoAppArgs, env: _Environments, labels: dict[str, str]
    ) -> CloudRunAppArgs:
        """The service (python manage.py cloudrun_serve) and its db-init and migrate jobs."""
        config = args.config
        cloudsql = CloudSqlVolume(instances=[self.database.connection_name])
        volumes: list[Volume] = [cloudsql]
        media = media_volume(config, self.bucket)
        if media is not None:
            volumes.append(media)
        return CloudRunAppArgs(
            project=args.project,
            region=config.region,
            service_name=config.service_name,
            image=args.image,
            min_instance_count=config.min_instance_count,
            max_instance_count=config.max_instance_count,
            cpu=config.cpu,
            memory=config.memory,
            timeout_seconds=config.timeout_seconds,
            max_concurrency=config.max_concurrency,
            execution_environment=config.execution_environment,
            ingress=config.ingress_settings,
            public=config.public,
            env=env.plain(SERVICE_SCOPES),
            secret_env=env.secret(SERVICE_SCOPES),
            volumes=volumes,
            vpc=vpc_access(config, args.project),
            buckets={"media": self.bucket.name},
            sign_urls=config.media.mode == "api",
            traces=config.tracing.enabled,
            command=MANAGE,
            args=SERVE,
            jobs=self._jobs(env, cloudsql),
            # Google may refuse the trigger for reasons of its own (a repository not
            # connected to Cloud Build): then nothing runs and the previous revision serves.
            depends_on=[self.builds.trigger] if self.builds.trigger is not None else [],
            release=args.release,
            labels=labels,
        )

    def _jobs(self, env: _Environments, cloudsql: CloudSqlVolume) -> list[JobSpec]:
        """db-init then migrate, each as its own account, reading only its own secrets.

        db-init reads the admin password, migrate the superuser's. Neither needs media.
        """
        return [
            JobSpec(
                name=job.name,
                args=job.command,
                env=env.plain(job.scopes),
                secret_env=env.secret(job.scopes),
                own_account=True,
                volumes=[cloudsql.name],
                buckets=(
                    {"static": self.static.bucket.name}
                    if self.static and job.collects_static
                    else {}
                ),
                timeout_seconds=JOB_TIMEOUTS.get(job.name, 600),
                depends_on=([self.database.database, self.database.admin] if index == 0 else []),
            )
            for index, job in enumerate(JOBS)
        ]
