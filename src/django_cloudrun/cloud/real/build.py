"""Builder over Cloud Build: upload the build context, `docker build`, push, wait.

The context goes to the bucket deploy names (the app's build-sources bucket, which only the
build account reads); the image is pushed to the app's Artifact Registry repository and returned by
digest, so each build gives the jobs a new image to run. The build runs as the account it
is given, and so logs to Cloud Logging only: "If you specify your own service account for
builds, you must store your build logs either in Cloud Logging or in a user-created Cloud
Storage bucket" (https://cloud.google.com/build/docs/securing-builds/configure-user-specified-service-accounts;
cloudbuild v1 Build.serviceAccount, BuildOptions.logging = CLOUD_LOGGING_ONLY).
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import CloudError, one_line
from ..events import OnEvent, Step
from ..source import write_archive
from .buckets import check_owner, project_number
from .google_errors import google_errors

__all__ = ["BUILD_TIMEOUT", "CloudBuilder", "build_failure", "build_request"]

BUILD_TIMEOUT = timedelta(minutes=30)
DOCKER = "gcr.io/cloud-builders/docker"


def build_request(
    *, bucket: str, blob: str, image: str, dockerfile: str, service_account: str
) -> Any:
    """The cloudbuild_v1.Build that builds and pushes `image` as `service_account`."""
    from google.cloud.devtools import cloudbuild_v1

    return cloudbuild_v1.Build(
        source=cloudbuild_v1.Source(
            storage_source=cloudbuild_v1.StorageSource(bucket=bucket, object_=blob)
        ),
        steps=[
            cloudbuild_v1.BuildStep(
                name=DOCKER, args=["build", "--file", dockerfile, "--tag", image, "."]
            )
        ],
        images=[image],
        timeout=BUILD_TIMEOUT,
        service_account=service_account,
        options=cloudbuild_v1.BuildOptions(
            logging=cloudbuild_v1.BuildOptions.LoggingMode.CLOUD_LOGGING_ONLY
        ),
    )


def build_failure(result: Any) -> str:
    """A finished cloudbuild_v1.Build that failed, with its FailureInfo type and detail when it
    has one (such as FETCH_SOURCE_FAILED or PUSH_NOT_AUTHORIZED: cloudbuild v1 FailureInfo)."""
    text = f"Cloud Build ended {result.status.name}"
    if result.status_detail:
        text += f": {result.status_detail}"
    info = result.failure_info
    if info and info.type_:
        text += f" ({info.type_.name}: {info.detail})" if info.detail else f" ({info.type_.name})"
    return text


class CloudBuilder:
    def __init__(self, project: str) -> None:
        self.project = project

    def _upload(self, source: Path, name: str, on_event: OnEvent) -> str:
        from google.cloud import storage  # type: ignore[attr-defined]  # untyped

        found = storage.Client(project=self.project).lookup_bucket(name)
        if found is None:
            raise CloudError(
                f"gs://{name} does not exist: deploy creates it before the build; run "
                "`django-cloudrun deploy` again"
            )
        bucket = check_owner(found, project_number(self.project))
        blob = f"source/django-cloudrun-{time.time_ns()}.tgz"
        with tempfile.TemporaryFile() as archive:
            count = write_archive(source, archive)
            size = archive.tell()
            archive.seek(0)
            on_event(Step(f"uploading {count} files ({size // 1024} KiB) to gs://{name}"))
            bucket.blob(blob).upload_from_file(archive, content_type="application/gzip")
        return blob

    def build(
        self,
        source: Path,
        image: str,
        on_event: OnEvent,
        *,
        bucket: str,
        service_account: str,
        dockerfile: str = "Dockerfile",
    ) -> str:
        from google.api_core.exceptions import GoogleAPICallError
        from google.cloud.devtools import cloudbuild_v1

        with google_errors(self.project, on="Cloud Build"):
            blob = self._upload(source, bucket, on_event)
            request = build_request(
                bucket=bucket,
                blob=blob,
                image=image,
                dockerfile=dockerfile,
                service_account=service_account,
            )
            operation = cloudbuild_v1.CloudBuildClient().create_build(
                project_id=self.project, build=request
            )
            metadata = operation.metadata
            log_url = metadata.build.log_url if metadata is not None else ""
            if log_url:
                on_event(Step(f"Cloud Build logs: {log_url}"))
            try:
                wait = BUILD_TIMEOUT.total_seconds() + 300
                result = operation.result(timeout=wait)  # type: ignore[no-untyped-call]
            except GoogleAPICallError as error:
                raise CloudError(
                    f"Cloud Build failed ({one_line(str(error), 160)}); read its logs at "
                    f"{log_url or 'https://console.cloud.google.com/cloud-build/builds'}"
                ) from None
        if result.status != cloudbuild_v1.Build.Status.SUCCESS or not result.results.images:
            raise CloudError(f"{build_failure(result)}; read its logs at {result.log_url}")
        digest = result.results.images[0].digest
        return f"{image.rsplit(':', 1)[0]}@{digest}"
