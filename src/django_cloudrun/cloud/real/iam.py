"""Iam over Google's REST APIs (discovery documents): service accounts and IAM policies.

An account: iam v1 projects.serviceAccounts.get. A policy, as each API's getIamPolicy:
cloudresourcemanager v1 for the project, storage v1 for a bucket, artifactregistry v1 for a
repository; asked for version 3, so conditional bindings come as such and are not counted.
"""

from __future__ import annotations

from typing import Any

from ..interfaces import IamResource
from .discovery import api
from .google_errors import discovery_errors

__all__ = ["GoogleIam", "roles_in"]

POLICY_VERSION = 3


def roles_in(policy: dict[str, Any], member: str) -> set[str]:
    """The roles of `member`'s unconditional bindings in `policy`."""
    return {
        binding["role"]
        for binding in policy.get("bindings", [])
        if member in binding.get("members", []) and "condition" not in binding
    }


class GoogleIam:
    def __init__(self, project: str) -> None:
        self.project = project

    def account_exists(self, project: str, account: str) -> bool:
        from googleapiclient.errors import HttpError

        name = f"projects/{project}/serviceAccounts/{account}@{project}.iam.gserviceaccount.com"
        with discovery_errors(project, on="IAM"):
            try:
                api("iam", "v1").projects().serviceAccounts().get(name=name).execute()
            except HttpError as error:
                if error.status_code == 404:
                    return False
                raise
        return True

    def roles(self, member: str, resource: IamResource) -> set[str]:
        from googleapiclient.errors import HttpError

        with discovery_errors(self.project, on=f"the IAM policy of {resource.name}"):
            try:
                policy = self._policy(resource).execute()
            except HttpError as error:
                if error.status_code == 404:
                    return set()
                raise
        return roles_in(policy, member)

    def _policy(self, resource: IamResource) -> Any:
        if resource.kind == "project":
            body = {"options": {"requestedPolicyVersion": POLICY_VERSION}}
            return (
                api("cloudresourcemanager", "v1")
                .projects()
                .getIamPolicy(resource=resource.name, body=body)
            )
        if resource.kind == "bucket":
            return (
                api("storage", "v1")
                .buckets()
                .getIamPolicy(bucket=resource.name, optionsRequestedPolicyVersion=POLICY_VERSION)
            )
        repositories = api("artifactregistry", "v1").projects().locations().repositories()
        return repositories.getIamPolicy(
            resource=resource.name, options_requestedPolicyVersion=POLICY_VERSION
        )
