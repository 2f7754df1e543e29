"""Buckets deploy writes to (Pulumi's state, the build context) must belong to the project.

Their names are predictable and bucket names are global: anyone can create
`PROJECT-django-cloudrun-state` or `PROJECT-SERVICE-build-sources` in a project of their own first, and
then read or change what deploy puts there. A bucket found under such a name is used only
when its project is ours; the ones deploy creates refuse public access and ACLs.
"""

from __future__ import annotations

from typing import Any

from ..errors import CloudError

__all__ = ["check_owner", "create_hardened", "project_number"]


def project_number(project: str) -> str:
    from google.cloud import resourcemanager_v3

    found = resourcemanager_v3.ProjectsClient().get_project(name=f"projects/{project}")
    return str(found.name).rsplit("/", 1)[-1]


def check_owner(bucket: Any, expected_number: str) -> Any:
    """`bucket` (a loaded google.cloud.storage Bucket) if the project owns it."""
    if str(bucket.project_number) != expected_number:
        raise CloudError(
            f"gs://{bucket.name} belongs to another project (number {bucket.project_number}); "
            "refusing to use it, since its owner could read or change what deploy writes "
            "there. Choose another bucket (the [state] backend in cloudrun.toml, or --backend)"
        )
    return bucket


def create_hardened(client: Any, name: str, *, project: str, location: str, versioned: bool) -> Any:
    bucket = client.bucket(name)
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.versioning_enabled = versioned
    return client.create_bucket(bucket, project=project, location=location)
