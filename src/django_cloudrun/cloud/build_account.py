"""The build account's grants as IAM resources, for doctor to read them back.

The account and its grants are the Pulumi program's (infra.build.build_account names them:
read the uploaded sources, push the app's images, write build logs); deploy builds as it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .interfaces import Iam, IamKind, IamResource
from .stack import CloudTarget

__all__ = ["Grant", "grant_command", "grants", "missing_grants"]

# The kinds of resource the spec grants on, each with a reader in Iam.roles.
_KINDS: dict[str, IamKind] = {"project": "project", "bucket": "bucket", "repository": "repository"}


@dataclass(frozen=True)
class Grant:
    role: str
    resource: IamResource


def grants(target: CloudTarget) -> list[Grant]:
    """Each (role, "KIND NAME") of the account's spec, its resource named as IAM names it."""
    from ..infra.build import build_account

    found = []
    for role, where in build_account(target.config, target.project).roles:
        kind, name = where.split(" ", 1)
        if kind == "repository":
            name = f"projects/{target.project}/locations/{target.region}/repositories/{name}"
        found.append(Grant(role, IamResource(_KINDS[kind], name)))
    return found


def missing_grants(iam: Iam, target: CloudTarget, member: str) -> list[Grant]:
    return [
        grant for grant in grants(target) if grant.role not in iam.roles(member, grant.resource)
    ]


def grant_command(grant: Grant, member: str, project: str) -> str:
    """The gcloud command that adds `grant` for `member`."""
    role = f"--member={member} --role={grant.role}"
    resource = grant.resource
    if resource.kind == "bucket":
        return f"gcloud storage buckets add-iam-policy-binding gs://{resource.name} {role}"
    if resource.kind == "repository":
        _, _, _, location, _, repository = resource.name.split("/")
        return (
            f"gcloud artifacts repositories add-iam-policy-binding {repository} "
            f"--location={location} --project={project} {role}"
        )
    return f"gcloud projects add-iam-policy-binding {resource.name} {role}"
