"""What goes wrong on the way to Google Cloud, as one line that says how to fix it.

Exit codes follow the package's rule (errors.py): 2 when the input or a prerequisite is
missing (no Pulumi CLI, no credentials, a budget error, a missing permission, no terminal to
confirm on), 1 when the cloud refused or failed something that was correctly asked for.
"""

from __future__ import annotations

import re

from ..errors import USAGE_EXIT, CloudRunError

__all__ = [
    "ADC_LOGIN",
    "NO_CREDENTIALS",
    "CloudError",
    "PrerequisiteError",
    "grant_command",
    "is_permission_error",
    "missing_permission",
    "one_line",
    "role_for",
]

ADC_LOGIN = "gcloud auth application-default login"
NO_CREDENTIALS = "no Google Cloud credentials (Application Default Credentials)"
MAX_LINE = 300  # long enough for a resource path and a reason, short enough to read


class CloudError(CloudRunError):
    """The cloud (or the engine) failed: `message` is the one line to show."""


class PrerequisiteError(CloudError):
    """Something the user must provide or fix first; the message names the fix."""

    exit_code = USAGE_EXIT


# The role that grants a permission, by the permission's longest matching prefix.
ROLES = {
    "run.": "roles/run.admin",
    "cloudsql.": "roles/cloudsql.admin",
    "secretmanager.": "roles/secretmanager.admin",
    "storage.": "roles/storage.admin",
    "artifactregistry.": "roles/artifactregistry.admin",
    "cloudbuild.": "roles/cloudbuild.builds.editor",
    "monitoring.": "roles/monitoring.editor",
    "logging.": "roles/logging.viewer",
    "iam.serviceAccounts.actAs": "roles/iam.serviceAccountUser",
    "iam.serviceAccounts.": "roles/iam.serviceAccountAdmin",
    "resourcemanager.projects.setIamPolicy": "roles/resourcemanager.projectIamAdmin",
    "resourcemanager.projects.": "roles/browser",
    "serviceusage.": "roles/serviceusage.serviceUsageAdmin",
    "billing.": "roles/billing.viewer",
    "compute.": "roles/compute.networkAdmin",
    "vpcaccess.": "roles/vpcaccess.admin",
}
FALLBACK_ROLE = "roles/editor"
_PERMISSION = re.compile(
    r"[Pp]ermission ['\"]?(?P<a>[a-z]+(?:\.[A-Za-z]+)+)['\"]? (?:is )?denied"
    r"|does not have (?P<b>[a-z]+(?:\.[A-Za-z]+)+) access"
    r"|(?:lacks|missing|requires?) (?:the )?(?:permission )?['\"]?"
    r"(?P<c>[a-z]+\.[A-Za-z]+\.[A-Za-z]+)"
)
_DENIED = re.compile(
    r"Error 403|\b403\b.*(?:Forbidden|denied)|PERMISSION_DENIED|[Pp]ermission .* denied"
    r"|does not have (?:permission|\S+ access)|caller does not have permission"
)
_NOISE = re.compile(r"^(?:error:\s*)?(?:\d+ errors? occurred:?|update failed|preview failed)$")


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """The informative part of a multi-line error, on one line of at most `limit` chars.

    Engine errors come as "error: 1 error occurred:\\n\\t* creating Job: googleapi: ...":
    the counting line and the bullets are dropped, the rest is joined.
    """
    parts = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("*").strip()
        while line.lower().startswith("error:"):
            line = line[len("error:") :].strip()
        if line and not _NOISE.match(line):
            parts.append(line)
    joined = re.sub(r"\s+", " ", " ".join(parts)).strip() or "unknown error"
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def is_permission_error(text: str) -> bool:
    return _DENIED.search(text) is not None


def role_for(permission: str) -> str:
    """The predefined role that holds `permission` (the narrowest we know of)."""
    matches = [prefix for prefix in ROLES if permission.startswith(prefix)]
    return ROLES[max(matches, key=len)] if matches else FALLBACK_ROLE


def grant_command(project: str, role: str) -> str:
    return (
        f"gcloud projects add-iam-policy-binding {project} "
        f'--member="user:$(gcloud config get-value account)" --role={role}'
    )


def missing_permission(text: str, project: str, *, on: str = "") -> PrerequisiteError:
    """A 403 from Google as: which permission, which role holds it, the command to grant it."""
    match = _PERMISSION.search(text)
    where = f" on {on}" if on else ""
    if match is None:
        return PrerequisiteError(
            f"permission denied{where} in project {project} ({one_line(text, 160)}); "
            f"ask a project owner for the role that allows it, e.g. "
            f"`{grant_command(project, FALLBACK_ROLE)}`"
        )
    permission = next(group for group in match.groups() if group)
    role = role_for(permission)
    return PrerequisiteError(
        f"permission {permission} denied{where} in project {project}: your account needs "
        f"{role}; grant it with `{grant_command(project, role)}`"
    )
