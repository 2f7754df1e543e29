"""CloudRunApp: any container as a Cloud Run service, its accounts, grants and deploy jobs.

Least privilege is derived, not listed: each process (the service, each job) runs as an
account that can read exactly the secrets in its own environment, use Cloud SQL only if it
mounts the socket, and reach a bucket only if it mounts it (or, for the service's account,
if it is listed in buckets). The service's account writes traces only if args.traces says
so; jobs serve no requests, so they export no traces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
from pulumi_gcp import cloudrunv2, serviceaccount

from .args import CloudRunAppArgs, CloudSqlVolume, GcsVolume, JobSpec, SecretEnv, Volume
from .identity import (
    BUCKET_READER,
    CLOUDSQL_CLIENT,
    CLOUDTRACE_AGENT,
    OBJECT_ADMIN,
    OBJECT_VIEWER,
    TOKEN_CREATOR,
    Grantee,
    service_account,
)
from .jobs import job
from .service import service

__all__ = ["CloudRunApp"]


class CloudRunApp(pulumi.ComponentResource):
    """A Cloud Run service with a dedicated account, and jobs that run before each revision."""

    args: CloudRunAppArgs  # what it was built from: cron jobs copy the service's settings
    service_account: serviceaccount.Account
    job_accounts: dict[str, serviceaccount.Account]
    jobs: dict[str, cloudrunv2.Job]
    service: cloudrunv2.Service
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: CloudRunAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("django-cloudrun:index:CloudRunApp", name, {}, opts)
        self.args = args
        self.service_account = self.account(
            f"{name}-sa", "run", f"Runs the Cloud Run service {args.service_name}."
        )
        service_grants = self.grants(
            f"{name}-sa",
            self.service_account,
            secret_env=args.secret_env,
            volumes=args.volumes,
            buckets=args.buckets,
            sign_urls=args.sign_urls,
            traces=args.traces,
        )
        self.job_accounts = {}
        self.jobs = {}
        previous: list[pulumi.Resource] = []
        for spec in args.jobs:
            self.jobs[spec.name] = self._job(name, spec, service_grants, previous)
            previous = [self.jobs[spec.name]]
        self.service = service(
            f"{name}-service",
            args,
            account=self.service_account.email,
            depends_on=[*args.depends_on, *service_grants, *previous],
            parent=self,
        )
        self.url = self.service.uri
        self.register_outputs(
            {
                "url": self.url,
                "service_name": self.service.name,
                "service_account": self.service_account.email,
                "jobs": {job_name: j.name for job_name, j in self.jobs.items()},
            }
        )

    def account(
        self, name: str, role: str, purpose: str, parent: pulumi.Resource | None = None
    ) -> serviceaccount.Account:
        """A dedicated account for `role` of this app's service, a child of `parent` or self."""
        return service_account(
            name,
            project=self.args.project,
            service=self.args.service_name,
            role=role,
            purpose=purpose,
            parent=self if parent is None else parent,
        )

    def _job(
        self,
        name: str,
        spec: JobSpec,
        service_grants: list[pulumi.Resource],
        previous: list[pulumi.Resource],
    ) -> cloudrunv2.Job:
        """The job `spec`, as the service's account or its own; it waits for `previous`."""
        args = self.args
        volumes = [v for v in args.volumes if spec.volumes is None or v.name in spec.volumes]
        account, grants = self.service_account, service_grants
        if spec.own_account:
            account = self.account(
                f"{name}-{spec.name}-sa",
                spec.name,
                f"Runs the {spec.name} job of {args.service_name}.",
            )
            grants = self.grants(
                f"{name}-{spec.name}-sa",
                account,
                secret_env=spec.secret_env,
                volumes=volumes,
                buckets=spec.buckets,
            )
            self.job_accounts[spec.name] = account
        return job(
            f"{name}-{spec.name}",
            spec,
            args,
            account=account.email,
            volumes=volumes,
            release=args.release,
            depends_on=[*args.depends_on, *spec.depends_on, *grants, *previous],
            parent=self,
        )

    def grants(
        self,
        prefix: str,
        account: serviceaccount.Account,
        *,
        secret_env: Mapping[str, SecretEnv],
        volumes: Sequence[Volume],
        buckets: Mapping[str, pulumi.Input[str]] | None = None,
        sign_urls: bool = False,
        traces: bool = False,
    ) -> list[pulumi.Resource]:
        """Exactly what the process running as `account` needs, each on its resource."""
        grantee = Grantee(account.member, self.args.project, self.args.region, self)
        grants: list[pulumi.Resource] = []
        if any(isinstance(volume, CloudSqlVolume) for volume in volumes):
            grants.append(grantee.on_project(f"{prefix}-cloudsql-client", role=CLOUDSQL_CLIENT))
        refs = {ref.key: ref for ref in secret_env.values()}  # one grant per secret
        grants += [
            grantee.on_secret(f"{prefix}-reads-{key}", secret=ref.secret)
            for key, ref in sorted(refs.items())
        ]
        grants += _bucket_grants(prefix, grantee, volumes, buckets or {})
        if traces:
            grants.append(grantee.on_project(f"{prefix}-cloudtrace-agent", role=CLOUDTRACE_AGENT))
        if sign_urls:
            grants.append(
                grantee.on_account(
                    f"{prefix}-signs-as-itself", account=account.name, role=TOKEN_CREATOR
                )
            )
        return grants


def _bucket_grants(
    prefix: str,
    grantee: Grantee,
    volumes: Sequence[Volume],
    buckets: Mapping[str, pulumi.Input[str]],
) -> list[pulumi.Resource]:
    """Objects (read-only where mounted so) and the bucket's metadata, of each bucket by name."""
    access = {
        volume.name: (volume.bucket, volume.read_only)
        for volume in volumes
        if isinstance(volume, GcsVolume)
    }
    access.update({key: (bucket, False) for key, bucket in buckets.items()})
    grants: list[pulumi.Resource] = []
    for key, (bucket, read_only) in sorted(access.items(), key=lambda item: item[0]):
        objects = (OBJECT_VIEWER, "object-viewer") if read_only else (OBJECT_ADMIN, "object-admin")
        for role, short in (objects, (BUCKET_READER, "bucket-reader")):
            grants.append(grantee.on_bucket(f"{prefix}-{key}-{short}", bucket=bucket, role=role))
    return grants
