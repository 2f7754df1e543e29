"""Google's exceptions as ours: one line, the fix, the CLI's exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import (
    ADC_LOGIN,
    NO_CREDENTIALS,
    CloudError,
    PrerequisiteError,
    missing_permission,
    one_line,
)

__all__ = ["google_errors"]


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
        raise missing_permission(str(error), project, on=on) from None
    except api.GoogleAPIError as error:  # call errors, and retries that ran out of time
        where = f"{on}: " if on else ""
        raise CloudError(f"{where}{one_line(str(error))}") from None
