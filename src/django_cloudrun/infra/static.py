"""The static bucket (static.mode = "gcs-cdn"): public objects behind Cloud CDN.

Uniform bucket-level access, so no object ever has an ACL; the one public grant is
roles/storage.objectViewer to allUsers on this bucket only (never the media bucket, never
the project): https://cloud.google.com/storage/docs/access-control/making-data-public.
migrate's account writes it (CloudRunApp grants it with the job's buckets); the load
balancer serves it at STATIC_PATH through a backend bucket with Cloud CDN (edge.py).
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import storage

from ..config import CloudRunConfig
from ..config.names import bucket_name
from .identity import OBJECT_VIEWER

__all__ = ["PUBLIC", "StaticBucket", "static_bucket"]

PUBLIC = "allUsers"


class StaticBucket:
    def __init__(self, bucket: storage.Bucket, public: storage.BucketIAMMember) -> None:
        self.bucket = bucket
        self.public = public


def static_bucket(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
) -> StaticBucket | None:
    """The public static bucket in gcs-cdn mode; None otherwise."""
    if config.static.mode != "gcs-cdn":
        return None
    opts = pulumi.ResourceOptions(parent=parent)
    bucket = storage.Bucket(
        f"{name}-static",
        storage.BucketArgs(
            project=project,
            name=bucket_name(project, config.service_name, config.static.bucket_suffix),
            location=config.region.upper(),
            uniform_bucket_level_access=True,
            # "inherited": the public grant below is allowed (unless an organization policy
            # enforces prevention, https://cloud.google.com/storage/docs/public-access-prevention).
            public_access_prevention="inherited",
            # Only collectstatic's output: migrate writes it again on every deployment.
            force_destroy=True,
            labels=labels,
        ),
        opts=opts,
    )
    public = storage.BucketIAMMember(
        f"{name}-static-public",
        storage.BucketIAMMemberArgs(bucket=bucket.name, role=OBJECT_VIEWER, member=PUBLIC),
        opts=opts,
    )
    return StaticBucket(bucket, public)
