"""Waiting for IAM grants to take effect: a bounded retry on the denials they explain.

"Changes to allow or deny policies typically propagate in 2 minutes, but could potentially
take 7 minutes or longer" (https://cloud.google.com/iam/docs/access-change-propagation), and
a new service account may not be usable for a minute or more
(https://cloud.google.com/iam/docs/service-accounts-create). A deployment grants the
runtime account its secrets and Cloud SQL, and the build account its roles, seconds before
they are used: a denial of exactly those, right after the grants, is retried for about two
minutes. Any other failure, or a denial when nothing was just granted, fails at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from .errors import CloudError, one_line
from .events import OnEvent, Step

__all__ = ["DENIALS", "IAM_DELAYS", "Denial", "propagation_denial", "retry_while_propagating"]

T = TypeVar("T")

# Seconds between attempts: 2 minutes in all, Google's typical propagation time.
IAM_DELAYS = (10, 20, 30, 30, 30)

# What each denial looks like, by what was denied.
DENIALS = {
    # Cloud Run resolving a secret of the revision or execution: "Permission denied on secret:
    # projects/P/secrets/S/versions/1 for Revision service account E" (the Secret Manager
    # Secret Accessor role, https://cloud.google.com/run/docs/configuring/services/secrets).
    "secret access": re.compile(
        r"Permission denied on secret|secretmanager\.versions\.access", re.IGNORECASE
    ),
    # The Cloud SQL connection of the service or a job (the Cloud SQL Client role, which holds
    # cloudsql.instances.connect and .get: https://cloud.google.com/sql/docs/postgres/connect-run).
    # Its connector logs "ensure that the account has access to PROJECT:REGION:INSTANCE ...
    # Error 403: ... notAuthorized" in the job's or revision's log.
    "Cloud SQL access": re.compile(
        r"cloudsql\.instances\.(?:connect|get)|ensure that the account has access to"
        r"|Cloud SQL connection failed.*(?:not[ _]?authorized|403|permission)",
        re.IGNORECASE,
    ),
    # A build as a new account: its source, its push, its logs (cloudbuild v1 FailureInfo
    # types FETCH_SOURCE_FAILED, PUSH_NOT_AUTHORIZED, LOGGING_FAILURE, or the permissions
    # behind them), or the account itself, not yet visible.
    "the build account's access": re.compile(
        r"FETCH_SOURCE_FAILED|PUSH_NOT_AUTHORIZED|LOGGING_FAILURE|storage\.objects\.get"
        r"|artifactregistry\.repositories\.uploadArtifacts|logging\.logEntries\.create"
        r"|service account .* does not exist",
        re.IGNORECASE,
    ),
}


def propagation_denial(text: str) -> str | None:
    """What was denied, when `text` is a denial that a grant not yet in effect explains."""
    return next((what for what, pattern in DENIALS.items() if pattern.search(text)), None)


# What was denied, and the message that says so; None when the failure is another one.
Denial = Callable[[CloudError], tuple[str, str] | None]


def retry_while_propagating(
    attempt: Callable[[], T],
    denial: Denial,
    *,
    granted: Callable[[], bool],
    sleep: Callable[[float], None],
    on_event: OnEvent,
) -> T:
    """`attempt()`, again after each of IAM_DELAYS while it fails with a `denial` and
    `granted()` says grants were just made; after the last, a CloudError that says so."""
    delays = iter(IAM_DELAYS)
    waited = 0
    while True:
        try:
            return attempt()
        except CloudError as error:
            denied = denial(error) if granted() else None
            if denied is None:
                raise
            what, message = denied
            delay = next(delays, None)
            if delay is None:
                raise CloudError(
                    f"{what} still denied after waiting {waited} s for new IAM grants to take "
                    f"effect: {one_line(message, 200)}; check the grants, or run "
                    "`django-cloudrun deploy` again in a few minutes (Google: propagation "
                    "can take 7 minutes or longer)"
                ) from None
            on_event(
                Step(
                    f"{what} denied: waiting {delay} s for new IAM grants to take effect "
                    "(typically 2 minutes), then retrying"
                )
            )
            sleep(delay)
            waited += delay
