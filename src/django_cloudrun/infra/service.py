"""The Cloud Run service: scaling, resources, probes, environment, volumes, VPC and ingress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import pulumi
from pulumi_gcp import cloudrunv2

from .args import CloudRunAppArgs, Probe
from .template import SERVICE
from .timeouts import waiting_for

__all__ = [
    "EXECUTION_ENVIRONMENTS",
    "INGRESS",
    "service",
    "service_url",
]

INGRESS = {
    "all": "INGRESS_TRAFFIC_ALL",
    "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
    "internal-and-cloud-load-balancing": "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER",
}
EXECUTION_ENVIRONMENTS = {
    "gen1": "EXECUTION_ENVIRONMENT_GEN1",
    "gen2": "EXECUTION_ENVIRONMENT_GEN2",
}

_Out = TypeVar("_Out", covariant=True)
_In = TypeVar("_In", contravariant=True)
ProbeT = TypeVar("ProbeT")
HttpGetT = TypeVar("HttpGetT")


class _ProbeArgs(Protocol[_In, _Out]):
    """The startup and the liveness probe's *Args, with the keyword arguments used here."""

    def __call__(
        self,
        *,
        failure_threshold: pulumi.Input[int] | None = ...,
        http_get: _In | None = ...,
        initial_delay_seconds: pulumi.Input[int] | None = ...,
        period_seconds: pulumi.Input[int] | None = ...,
        timeout_seconds: pulumi.Input[int] | None = ...,
    ) -> _Out: ...


class _HttpGetArgs(Protocol[_Out]):
    def __call__(
        self, *, path: pulumi.Input[str] | None = ..., port: pulumi.Input[int] | None = ...
    ) -> _Out: ...


def service_url(service: str, project_number: str, region: str) -> str:
    """The deterministic URL Cloud Run gives a service, known before it exists."""
    return f"https://{service}-{project_number}.{region}.run.app"


def _probe(
    probe: Probe | None,
    port: int,
    probe_args: _ProbeArgs[HttpGetT, ProbeT],
    http_get_args: _HttpGetArgs[HttpGetT],
) -> ProbeT | None:
    """An HTTP probe of `port`, as startup or liveness *Args (their fields are the same)."""
    if probe is None:
        return None
    return probe_args(
        http_get=http_get_args(path=probe.path, port=port),
        initial_delay_seconds=probe.initial_delay_seconds,
        period_seconds=probe.period_seconds,
        timeout_seconds=probe.timeout_seconds,
        failure_threshold=probe.failure_threshold,
    )


def service(
    name: str,
    args: CloudRunAppArgs,
    *,
    account: pulumi.Input[str],
    depends_on: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> cloudrunv2.Service:
    """The service; its new revision is created only after everything in depends_on."""
    container = cloudrunv2.ServiceTemplateContainerArgs(
        image=args.image,
        commands=list(args.command) or None,
        args=list(args.args) or None,
        ports=cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=args.port, name="http1"),
        resources=cloudrunv2.ServiceTemplateContainerResourcesArgs(
            limits={"cpu": args.cpu, "memory": args.memory},
            cpu_idle=True,  # CPU only while serving requests: billed per request
            startup_cpu_boost=args.startup_cpu_boost,
        ),
        envs=SERVICE.envs(args.env, args.secret_env),
        volume_mounts=SERVICE.mounts(args.volumes),
        startup_probe=_probe(
            args.startup_probe,
            args.port,
            cloudrunv2.ServiceTemplateContainerStartupProbeArgs,
            cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs,
        ),
        liveness_probe=_probe(
            args.liveness_probe,
            args.port,
            cloudrunv2.ServiceTemplateContainerLivenessProbeArgs,
            cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs,
        ),
    )
    return cloudrunv2.Service(
        name,
        cloudrunv2.ServiceArgs(
            project=args.project,
            location=args.region,
            name=args.service_name,
            ingress=INGRESS[args.ingress],
            # A public service turns off the invoker IAM check rather than granting
            # roles/run.invoker to allUsers, which the domain-restricted-sharing organization
            # policy refuses; Google recommends it for public services
            # (https://cloud.google.com/run/docs/authenticating/public#invoker_check;
            # cloudrunv2.ServiceArgs.invoker_iam_disabled). Set both ways, so making a
            # public service private turns the check back on.
            invoker_iam_disabled=args.public,
            labels=dict(args.labels),
            # The service holds no data; destroy must be able to remove it.
            deletion_protection=False,
            template=cloudrunv2.ServiceTemplateArgs(
                service_account=account,
                execution_environment=EXECUTION_ENVIRONMENTS[args.execution_environment],
                timeout=f"{args.timeout_seconds}s",
                max_instance_request_concurrency=args.max_concurrency,
                scaling=cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=args.min_instance_count,
                    max_instance_count=args.max_instance_count,
                ),
                containers=[container],
                volumes=SERVICE.volumes(args.volumes),
                vpc_access=SERVICE.vpc_access(args.vpc),
                labels=dict(args.labels),
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on),
            # A new revision is ready once an instance passed its startup probe.
            custom_timeouts=waiting_for(_startup_seconds(args.startup_probe)),
        ),
    )


def _startup_seconds(probe: Probe) -> int:
    """The longest an instance may take to pass its startup probe."""
    return probe.initial_delay_seconds + probe.window_seconds
