"""How long Pulumi waits for a resource whose create or update includes work of the app's.

The provider gives a Cloud Run job or service 20 minutes to be created or updated (the
Timeouts of google_cloud_run_v2_job and google_cloud_run_v2_service:
https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/cloud_run_v2_job#timeouts).
A job with a run_execution_token is ready only when its execution completed, so its create
or update lasts as long as the execution: a 30-minute migration would outlive the default
wait and fail the update while it ran on. Each such resource gets that default for the
API's own work, plus the longest its work may take, as Pulumi's customTimeouts
(https://www.pulumi.com/docs/iac/concepts/resources/options/customtimeouts/).
"""

from __future__ import annotations

import pulumi

__all__ = ["PROVIDER_WAIT_SECONDS", "execution_seconds", "waiting_for"]

PROVIDER_WAIT_SECONDS = 20 * 60


def execution_seconds(task_timeout_seconds: int, max_retries: int) -> int:
    """The longest a one-task execution may run: the task timeout applies to each attempt
    (https://cloud.google.com/run/docs/configuring/task-timeout)."""
    return task_timeout_seconds * (max_retries + 1)


def waiting_for(work_seconds: int) -> pulumi.CustomTimeouts:
    """Create and update wait for the API's own work and then `work_seconds` more."""
    wait = f"{PROVIDER_WAIT_SECONDS + work_seconds}s"
    return pulumi.CustomTimeouts(create=wait, update=wait)
