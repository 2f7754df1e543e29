"""Google's exceptions as ours: one line, the fix, the CLI's exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import (
    ADC_LOGIN,
    NO_CREDENTIALS,
    CloudError,
    PrerequisiteError,
    missing_permission,
    one_line,
)

__all__ = ["discovery_errors", "google_errors", "service_disabled"]


def service_disabled(service: str, project: str) -> PrerequisiteError:
    """Google's SERVICE_DISABLED answer (an ErrorInfo reason,
    https://cloud.google.com/apis/design/errors#error_info), which otherwise reads as a 403
    or as a missing project."""
    return PrerequisiteError(
        f"{service} is not enabled on project {project}; run "
        f"`gcloud services enable {service} --project {project}`"
    )


@contextmanager
def google_errors(project: str, *, on: str = "") -> Iterator[None]:
    """Missing credentials and 403s become PrerequisiteErrors, other API errors CloudErrors."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    try:
        yield
    except auth.DefaultCredentialsError as error:
        raise PrerequisiteError(
            f"{NO_CREDENTIALS}: {one_line(str(error), 160).rstrip('.')}; run `{ADC_LOGIN}`"
        ) from None
    except auth.RefreshError as error:
        raise PrerequisiteError(
            f"Google Cloud refused the credentials ({one_line(str(error), 160)}); run `{ADC_LOGIN}`"
        ) from None
    except auth.TransportError as error:
        raise CloudError(
            f"cannot reach Google Cloud ({one_line(str(error), 160)}); check the network"
        ) from None
    except api.Forbidden as error:  # PermissionDenied is a Forbidden
        if error.reason == "SERVICE_DISABLED":
            service = (error.metadata or {}).get("service", "an API")
            raise service_disabled(service, project) from None
        raise missing_permission(str(error), project, on=on) from None
    except api.GoogleAPIError as error:  # call errors, and retries that ran out of time
        where = f"{on}: " if on else ""
        raise CloudError(f"{where}{one_line(str(error))}") from None


def _disabled_service(details: Any) -> str | None:
    """The service an HttpError's details say is disabled, if they say so."""
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("reason") == "SERVICE_DISABLED":
            return str((detail.get("metadata") or {}).get("service", "an API"))
    return None


@contextmanager
def discovery_errors(project: str, *, on: str = "") -> Iterator[None]:
    """google_errors for the clients built from discovery documents (googleapiclient)."""
    from googleapiclient.errors import HttpError

    with google_errors(project, on=on):
        try:
            yield
        except HttpError as error:
            disabled = _disabled_service(error.error_details)
            if disabled is not None:
                raise service_disabled(disabled, project) from None
            text = f"{error.status_code} {error.reason}"
            if error.status_code == 403:
                raise missing_permission(text, project, on=on) from None
            where = f"{on}: " if on else ""
            raise CloudError(f"{where}{one_line(text)}") from None
