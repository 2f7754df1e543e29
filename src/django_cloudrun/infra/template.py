"""What the service's and the jobs' templates share: environment, volumes, mounts, VPC access.

pulumi-gcp has one set of *Args classes for a Service template and another, alike field for
field, for a Job's: a Flavour names one set, and its builders fill either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import pulumi
from pulumi_gcp import cloudrunv2

from .args import CloudSqlVolume, GcsVolume, SecretEnv, Volume, VpcAccess

__all__ = ["JOB", "SERVICE", "WORKER_POOL", "Flavour"]

# What a builder makes (covariant) and the nested *Args it accepts (contravariant).
_Out = TypeVar("_Out", covariant=True)
_In = TypeVar("_In", contravariant=True)
_In2 = TypeVar("_In2", contravariant=True)

# The keyword arguments used here, as the *Args classes of both templates spell them: mypy
# checks each class against its protocol, and each call below against the protocol.


class _EnvArgs(Protocol[_In, _Out]):
    def __call__(
        self,
        *,
        name: pulumi.Input[str],
        value: pulumi.Input[str] | None = ...,
        value_source: _In | None = ...,
    ) -> _Out: ...


class _EnvSourceArgs(Protocol[_In, _Out]):
    def __call__(self, *, secret_key_ref: _In | None = ...) -> _Out: ...


class _SecretKeyRefArgs(Protocol[_Out]):
    def __call__(self, *, secret: pulumi.Input[str], version: pulumi.Input[str]) -> _Out: ...


class _VolumeArgs(Protocol[_In, _In2, _Out]):
    def __call__(
        self,
        *,
        name: pulumi.Input[str],
        cloud_sql_instance: _In | None = ...,
        gcs: _In2 | None = ...,
    ) -> _Out: ...


class _CloudSqlArgs(Protocol[_Out]):
    def __call__(self, *, instances: Sequence[pulumi.Input[str]] | None = ...) -> _Out: ...


class _GcsArgs(Protocol[_Out]):
    def __call__(
        self,
        *,
        bucket: pulumi.Input[str],
        mount_options: Sequence[pulumi.Input[str]] | None = ...,
        read_only: pulumi.Input[bool] | None = ...,
    ) -> _Out: ...


class _MountArgs(Protocol[_Out]):
    def __call__(self, *, mount_path: pulumi.Input[str], name: pulumi.Input[str]) -> _Out: ...


class _VpcArgs(Protocol[_In, _Out]):
    def __call__(
        self,
        *,
        connector: pulumi.Input[str] | None = ...,
        egress: pulumi.Input[str] | None = ...,
        network_interfaces: Sequence[_In] | None = ...,
    ) -> _Out: ...


class _NetworkInterfaceArgs(Protocol[_Out]):
    def __call__(
        self, *, network: pulumi.Input[str] | None = ..., subnetwork: pulumi.Input[str] | None = ...
    ) -> _Out: ...


EnvT = TypeVar("EnvT")
SourceT = TypeVar("SourceT")
RefT = TypeVar("RefT")
VolumeT = TypeVar("VolumeT")
SqlT = TypeVar("SqlT")
GcsT = TypeVar("GcsT")
MountT = TypeVar("MountT")
VpcT = TypeVar("VpcT")
NicT = TypeVar("NicT")


@dataclass(frozen=True)
class Flavour(Generic[EnvT, SourceT, RefT, VolumeT, SqlT, GcsT, MountT, VpcT, NicT]):
    """The *Args classes of one kind of template; the type parameters are what they build."""

    env: _EnvArgs[SourceT, EnvT]
    env_source: _EnvSourceArgs[RefT, SourceT]
    secret_key_ref: _SecretKeyRefArgs[RefT]
    volume: _VolumeArgs[SqlT, GcsT, VolumeT]
    cloud_sql: _CloudSqlArgs[SqlT]
    gcs: _GcsArgs[GcsT]
    mount: _MountArgs[MountT]
    vpc: _VpcArgs[NicT, VpcT]
    network_interface: _NetworkInterfaceArgs[NicT]

    def envs(
        self, env: Mapping[str, pulumi.Input[str]], secret_env: Mapping[str, SecretEnv]
    ) -> list[EnvT]:
        """Plain variables, then those read from Secret Manager, each sorted by name."""
        plain = [self.env(name=name, value=value) for name, value in sorted(env.items())]
        secret = [
            self.env(
                name=name,
                value_source=self.env_source(
                    secret_key_ref=self.secret_key_ref(secret=ref.secret, version=ref.version)
                ),
            )
            for name, ref in sorted(secret_env.items())
        ]
        return plain + secret

    def volumes(self, volumes: Sequence[Volume]) -> list[VolumeT]:
        out = []
        for volume in volumes:
            if isinstance(volume, CloudSqlVolume):
                out.append(
                    self.volume(
                        name=volume.name,
                        cloud_sql_instance=self.cloud_sql(instances=list(volume.instances)),
                    )
                )
            elif isinstance(volume, GcsVolume):
                out.append(
                    self.volume(
                        name=volume.name,
                        gcs=self.gcs(
                            bucket=volume.bucket,
                            read_only=volume.read_only,
                            mount_options=list(volume.mount_options),
                        ),
                    )
                )
        return out

    def mounts(self, volumes: Sequence[Volume]) -> list[MountT]:
        return [self.mount(name=volume.name, mount_path=volume.mount_path) for volume in volumes]

    def vpc_access(self, access: VpcAccess | None) -> VpcT | None:
        if access is None:
            return None
        if access.connector is not None:
            return self.vpc(connector=access.connector, egress=access.egress)
        return self.vpc(
            egress=access.egress,
            network_interfaces=[
                self.network_interface(network=access.network, subnetwork=access.subnet)
            ],
        )


SERVICE = Flavour(
    env=cloudrunv2.ServiceTemplateContainerEnvArgs,
    env_source=cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs,
    secret_key_ref=cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs,
    volume=cloudrunv2.ServiceTemplateVolumeArgs,
    cloud_sql=cloudrunv2.ServiceTemplateVolumeCloudSqlInstanceArgs,
    gcs=cloudrunv2.ServiceTemplateVolumeGcsArgs,
    mount=cloudrunv2.ServiceTemplateContainerVolumeMountArgs,
    vpc=cloudrunv2.ServiceTemplateVpcAccessArgs,
    network_interface=cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs,
)
JOB = Flavour(
    env=cloudrunv2.JobTemplateTemplateContainerEnvArgs,
    env_source=cloudrunv2.JobTemplateTemplateContainerEnvValueSourceArgs,
    secret_key_ref=cloudrunv2.JobTemplateTemplateContainerEnvValueSourceSecretKeyRefArgs,
    volume=cloudrunv2.JobTemplateTemplateVolumeArgs,
    cloud_sql=cloudrunv2.JobTemplateTemplateVolumeCloudSqlInstanceArgs,
    gcs=cloudrunv2.JobTemplateTemplateVolumeGcsArgs,
    mount=cloudrunv2.JobTemplateTemplateContainerVolumeMountArgs,
    vpc=cloudrunv2.JobTemplateTemplateVpcAccessArgs,
    network_interface=cloudrunv2.JobTemplateTemplateVpcAccessNetworkInterfaceArgs,
)
WORKER_POOL = Flavour(
    env=cloudrunv2.WorkerPoolTemplateContainerEnvArgs,
    env_source=cloudrunv2.WorkerPoolTemplateContainerEnvValueSourceArgs,
    secret_key_ref=cloudrunv2.WorkerPoolTemplateContainerEnvValueSourceSecretKeyRefArgs,
    volume=cloudrunv2.WorkerPoolTemplateVolumeArgs,
    cloud_sql=cloudrunv2.WorkerPoolTemplateVolumeCloudSqlInstanceArgs,
    gcs=cloudrunv2.WorkerPoolTemplateVolumeGcsArgs,
    mount=cloudrunv2.WorkerPoolTemplateContainerVolumeMountArgs,
    vpc=cloudrunv2.WorkerPoolTemplateVpcAccessArgs,
    network_interface=cloudrunv2.WorkerPoolTemplateVpcAccessNetworkInterfaceArgs,
)
