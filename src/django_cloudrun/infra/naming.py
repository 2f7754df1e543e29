"""Names of cloud resources: derived from the service name, shortened to each API's limit.

A name that is too long keeps its beginning and ends in a short hash of the whole, so two
long names that share a beginning still differ.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "ACCOUNT_ID_MAX",
    "BUCKET_NAME_MAX",
    "account_id",
    "bucket_name",
    "digest",
    "fit",
]

ACCOUNT_ID_MAX = 30  # service account ids: 6-30 characters
BUCKET_NAME_MAX = 63
_HASH = 6


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
