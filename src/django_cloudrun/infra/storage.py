"""The media bucket: private, uniform access, no ACLs; mounted with GCS FUSE in fuse mode.

Access is IAM only (the service's account gets objectAdmin and legacyBucketReader on this
bucket, nothing project-wide). Public access prevention is enforced, so no grant or ACL can
make an upload public by mistake: the seed's publicRead ACL cannot come back.
"""

from __future__ import annotations

import pulumi
from pulumi_gcp import storage

from ..config import CloudRunConfig
from ..config.names import bucket_name
from ..contract import CONTAINER_GID, CONTAINER_UID
from .args import GcsVolume

__all__ = ["FUSE_MOUNT_OPTIONS", "media_bucket", "media_volume"]

# The mount belongs to the image's user (the contract's UID and GID), or uploads fail with
# permission denied.
FUSE_MOUNT_OPTIONS = (
    "implicit-dirs",  # objects a/b.jpg make a/ a directory, as django's storage expects
    f"uid={CONTAINER_UID}",
    f"gid={CONTAINER_GID}",
    "file-mode=640",  # the app reads and writes; its group reads; nobody else
    "dir-mode=750",
)


def media_bucket(
    name: str,
    config: CloudRunConfig,
    *,
    project: str,
    labels: dict[str, str],
    parent: pulumi.Resource,
    force_destroy: bool = False,
) -> storage.Bucket:
    return storage.Bucket(
        f"{name}-media",
        storage.BucketArgs(
            project=project,
            name=bucket_name(project, config.service_name, config.media.bucket_suffix),
            location=config.region.upper(),
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            # Uploaded files are data: destroy must not delete them with the bucket, unless
            # `destroy --delete-data` asked for exactly that.
            force_destroy=force_destroy,
            labels=labels,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def media_volume(config: CloudRunConfig, bucket: storage.Bucket) -> GcsVolume | None:
    """The bucket mounted at media.mount_path in fuse mode; None in api mode."""
    if config.media.mode != "fuse":
        return None
    return GcsVolume(
        bucket=bucket.name,
        mount_path=config.media.mount_path,
        name="media",
        mount_options=FUSE_MOUNT_OPTIONS,
    )
