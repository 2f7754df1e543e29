"""StateStore over google-cloud-storage: the bucket that holds Pulumi's state."""

from __future__ import annotations

from typing import Any

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
            return self._client().lookup_bucket(bucket) is not None

    def create_bucket(self, bucket: str, *, location: str) -> None:
        with google_errors(self.project, on=f"gs://{bucket}"):
            client = self._client()
            new = client.bucket(bucket)
            new.iam_configuration.uniform_bucket_level_access_enabled = True
            new.iam_configuration.public_access_prevention = "enforced"
            new.versioning_enabled = True  # earlier states stay readable after a bad update
            client.create_bucket(new, project=self.project, location=location)
