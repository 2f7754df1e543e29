"""What the service's and the jobs' templates share: environment, volumes, mounts, VPC access.

pulumi-gcp has one set of *Args classes for a Service template and another, alike field for
field, for a Job's: a Flavour names one set, and its builders fill either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pulumi
from pulumi_gcp import cloudrunv2

from .args import CloudSqlVolume, GcsVolume, SecretEnv, Volume, VpcAccess

__all__ = ["JOB", "SERVICE", "Flavour"]

EnvT = TypeVar("EnvT")
VolumeT = TypeVar("VolumeT")
MountT = TypeVar("MountT")
VpcT = TypeVar("VpcT")


@dataclass(frozen=True)
class Flavour(Generic[EnvT, VolumeT, MountT, VpcT]):
    """The *Args classes of one kind of template; the type parameters are what it builds."""

    env: Callable[..., EnvT]
    env_source: Callable[..., object]
    secret_key_ref: Callable[..., object]
    volume: Callable[..., VolumeT]
    cloud_sql: Callable[..., object]
    gcs: Callable[..., object]
    mount: Callable[..., MountT]
    vpc: Callable[..., VpcT]
    network_interface: Callable[..., object]

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
