"""StateStore over google-cloud-storage: the bucket that holds Pulumi's state."""

from __future__ import annotations

from typing import Any

from .buckets import check_owner, create_hardened, project_number
from .google_errors import google_errors

__all__ = ["GcsStateStore"]


class GcsStateStore:
    def __init__(self, project: str) -> None:
        self.project = project

    def _client(self) -> Any:
        from google.cloud import storage  # type: ignore[attr-defined]  # untyped

        return storage.Client(project=self.project)

    def bucket_exists(self, bucket: str) -> bool:
        with google_errors(self.project, on=f"gs://{bucket}"):
            found = self._client().lookup_bucket(bucket)
            if found is None:
                return False
            check_owner(found, project_number(self.project))
            return True

    def create_bucket(self, bucket: str, *, location: str) -> None:
        with google_errors(self.project, on=f"gs://{bucket}"):
            # Versioned: earlier states stay readable after a bad update.
            create_hardened(
                self._client(), bucket, project=self.project, location=location, versioned=True
            )
