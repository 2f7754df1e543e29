"""The Celery worker: a Memorystore for Redis broker and a Cloud Run worker pool.

The broker is Memorystore for Redis on the BASIC tier (one node, the cheapest there is) with
AUTH and in-transit encryption: its URL, which holds the AUTH string, is a secret of its own
(CELERY_BROKER_URL); its certificate authority, which is public, goes in CLOUDRUN_BROKER_CA.
The service (which sends tasks) and the pool reach its private IP through Direct VPC egress.

The pool runs the web image as `python manage.py cloudrun_worker`, as an account of its own
that reads exactly the secrets in its environment, with a fixed number of instances: a
worker pool has no requests to scale on (scaling mode MANUAL, WorkerPoolScalingArgs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_gcp import cloudrunv2, redis, serviceaccount

from ..config import CloudRunConfig
from ..config.names import broker_name, worker_pool_name
from ..config.topology import BROKER_URL_SECRET
from .args import SecretEnv, Volume, VpcAccess
from .cloud_run_app import CloudRunApp
from .secrets import ComposedSecret, composed_secret
from .template import WORKER_POOL

__all__ = [
    "BROKER_MEMORY_GB",
    "BROKER_TIER",
    "WORKER",
    "Broker",
    "broker",
    "broker_url",
    "worker_pool",
]

# https://cloud.google.com/memorystore/docs/redis/pricing: BASIC is a single node without
# replication, and 1 GB its smallest size (redis.InstanceArgs.memory_size_gb).
BROKER_TIER = "BASIC"
BROKER_MEMORY_GB = 1
BROKER_VERSION = "REDIS_7_2"
# A full broker refuses new tasks instead of evicting queued ones: "noeviction" among the
# supported maxmemory-policy values of
# https://cloud.google.com/memorystore/docs/redis/supported-redis-configurations.
BROKER_CONFIGS = {"maxmemory-policy": "noeviction"}
# manage.py's command, as the service runs cloudrun_serve: manage.py names the settings module.
WORKER = ("cloudrun_worker",)


@dataclass(frozen=True)
class Broker:
    instance: redis.Instance
    url: ComposedSecret
    ca: pulumi.Output[str]  # PEM certificates of the instance's own authority


def broker_url(auth: str, host: str, port: int) -> str:
    """The rediss:// URL of a Memorystore instance with AUTH and TLS, database 0."""
    return f"rediss://:{auth}@{host}:{port}/0"


def broker(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    network: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> Broker:
    """The Memorystore instance on `network`, and its URL as a secret."""
    instance = redis.Instance(
        f"{name}-broker",
        redis.InstanceArgs(
            project=project,
            region=config.region,
            name=broker_name(config.service_name),
            tier=BROKER_TIER,
            memory_size_gb=BROKER_MEMORY_GB,
            redis_version=BROKER_VERSION,
            authorized_network=network,
            auth_enabled=True,
            transit_encryption_mode="SERVER_AUTHENTICATION",
            redis_configs=BROKER_CONFIGS,
            labels=labels,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    url = pulumi.Output.all(instance.auth_string, instance.host, instance.port).apply(
        lambda values: broker_url(str(values[0]), str(values[1]), int(values[2]))
    )
    ca = instance.server_ca_certs.apply(lambda certs: "".join(cert.cert or "" for cert in certs))
    return Broker(
        instance,
        composed_secret(
            name,
            BROKER_URL_SECRET,
            url,
            project=project,
            service=config.service_name,
            labels=labels,
            parent=parent,
        ),
        ca,
    )


def worker_pool(
    name: str,
    config: CloudRunConfig,
    *,
    app: CloudRunApp,
    image: pulumi.Input[str],
    manage: Sequence[str],
    env: Mapping[str, pulumi.Input[str]],
    secret_env: Mapping[str, SecretEnv],
    volumes: Sequence[Volume],
    vpc: VpcAccess,
    depends_on: Sequence[pulumi.Resource],
    labels: dict[str, str],
) -> tuple[cloudrunv2.WorkerPool, serviceaccount.Account]:
    """The pool running the worker (`manage` is how the image runs manage.py), and the
    account it runs as."""
    worker = config.worker
    account = app.account(
        f"{name}-worker-sa", "worker", f"Runs the Celery worker of {config.service_name}."
    )
    grants = app.grants(f"{name}-worker-sa", account, secret_env=secret_env, volumes=volumes)
    container = cloudrunv2.WorkerPoolTemplateContainerArgs(
        image=image,
        commands=list(manage),
        args=[*WORKER, "--concurrency", str(worker.concurrency)],
        envs=WORKER_POOL.envs(env, secret_env),
        resources=cloudrunv2.WorkerPoolTemplateContainerResourcesArgs(
            limits={"cpu": worker.cpu, "memory": worker.memory}
        ),
        volume_mounts=WORKER_POOL.mounts(volumes),
    )
    pool = cloudrunv2.WorkerPool(
        f"{name}-worker",
        cloudrunv2.WorkerPoolArgs(
            project=app.args.project,
            location=config.region,
            name=worker_pool_name(config.service_name),
            # Worker pools are "Preview" in https://cloud.google.com/run/docs/container-contract,
            # and WorkerPoolArgs.launch_stage: "Set the launch stage to a preview stage on input
            # to allow use of preview features".
            launch_stage="BETA",
            deletion_protection=False,
            labels=labels,
            scaling=cloudrunv2.WorkerPoolScalingArgs(
                scaling_mode="MANUAL", manual_instance_count=worker.instance_count
            ),
            template=cloudrunv2.WorkerPoolTemplateArgs(
                service_account=account.email,
                containers=[container],
                volumes=WORKER_POOL.volumes(volumes),
                vpc_access=WORKER_POOL.vpc_access(vpc),
                labels=labels,
            ),
        ),
        opts=pulumi.ResourceOptions(parent=app, depends_on=[*depends_on, *grants]),
    )
    return pool, account
