"""Names of cloud resources, derived from the service name and shortened to each API's limit.

Both targets use them: the cloud creates resources with these names, and the local target
names its stand-ins the same way (the socket directory, the bucket, the job processes).

A name that is too long keeps its beginning and ends in a short hash of the whole, so two
long names that share a beginning still differ.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "ACCOUNT_ID_MAX",
    "BUCKET_NAME_MAX",
    "EXECUTION_NAME_MAX",
    "TOKEN_LENGTH",
    "account_id",
    "broker_name",
    "bucket_name",
    "connection_name",
    "digest",
    "fit",
    "image_repository",
    "instance_name",
    "job_name",
    "repository_id",
    "secret_id",
    "worker_pool_name",
]

ACCOUNT_ID_MAX = 30  # service account ids: 6-30 characters
BUCKET_NAME_MAX = 63
# A job's execution is named after the job and its run_execution_token.
EXECUTION_NAME_MAX = 62
TOKEN_LENGTH = 12
_HASH = 6
# Memorystore for Redis instance ids: "1-40 characters" (pulumi-gcp redis.InstanceArgs.name).
BROKER_NAME_MAX = 40


def digest(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fit(name: str, limit: int) -> str:
    """`name` if it has at most `limit` characters, else its start, '-' and a hash of it."""
    if len(name) <= limit:
        return name
    head = name[: limit - _HASH - 1].rstrip("-")
    return f"{head}-{digest(name, _HASH)}"


def account_id(service: str, role: str) -> str:
    """Service account id such as demo-django-run (letters, digits, hyphens; 6-30 long)."""
    return fit(f"{service}-{role}", ACCOUNT_ID_MAX)


def bucket_name(project: str, service: str, suffix: str) -> str:
    """Bucket names are global: the project id makes ours unique across projects."""
    return fit(f"{project}-{service}-{suffix}", BUCKET_NAME_MAX)


def instance_name(service: str) -> str:
    """The Cloud SQL instance."""
    return f"{service}-db"


def broker_name(service: str) -> str:
    """The Memorystore for Redis instance that is the Celery broker."""
    return fit(f"{service}-broker", BROKER_NAME_MAX)


def worker_pool_name(service: str) -> str:
    """The Cloud Run worker pool that runs the Celery worker."""
    return f"{service}-worker"


def connection_name(project: str, region: str, service: str) -> str:
    """PROJECT:REGION:INSTANCE, which names the socket directory under /cloudsql."""
    return f"{project}:{region}:{instance_name(service)}"


def job_name(service: str, job: str) -> str:
    """The job's name in Cloud Run, short enough to leave room for the execution token."""
    return fit(f"{service}-{job}", EXECUTION_NAME_MAX - TOKEN_LENGTH)


def secret_id(service: str, key: str) -> str:
    """A secret of the service in Secret Manager, such as demo-db-password."""
    return f"{service}-{key}"


def repository_id(service: str) -> str:
    """The Artifact Registry repository that holds the service's images."""
    return service


def image_repository(region: str, project: str, service: str, app: str) -> str:
    """Where images are pushed: REGION-docker.pkg.dev/PROJECT/SERVICE/APP."""
    return f"{region}-docker.pkg.dev/{project}/{repository_id(service)}/{app}"


def certificate_name(service: str) -> str:
    """The load balancer's managed certificate, as Pulumi names it before its random suffix
    (a new one is made beside the old when the domains change)."""
    return f"{service}-cert"
