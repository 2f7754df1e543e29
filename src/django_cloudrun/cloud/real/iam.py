"""Iam over Google's REST APIs (discovery documents): service accounts and IAM policies.

Accounts: iam v1 projects.serviceAccounts get and create (409 when it exists). Policies are
read and written whole, as each API's getIamPolicy/setIamPolicy pair: cloudresourcemanager v1
for the project, storage v1 for a bucket, artifactregistry v1 for a repository. A grant adds
one member to one role's binding and writes the policy back with the etag it was read with,
so a concurrent change makes Google refuse the write (409) rather than lose either
(https://cloud.google.com/iam/docs/policies#etag); the write is then done again on a fresh
read. Conditional bindings are left as they are and never count as a grant.
"""

from __future__ import annotations

from typing import Any

from ..interfaces import IamResource
from .google_errors import discovery_errors

__all__ = ["GoogleIam", "api", "grant_in", "roles_in"]

POLICY_VERSION = 3  # reads conditional bindings too, so a write keeps them
WRITE_ATTEMPTS = 3


def api(name: str, version: str) -> Any:
    """A client built from the discovery document that ships with googleapiclient."""
    from googleapiclient import discovery

    return discovery.build(name, version, cache_discovery=False, static_discovery=True)


def roles_in(policy: dict[str, Any], member: str) -> set[str]:
    return {
        binding["role"]
        for binding in policy.get("bindings", [])
        if member in binding.get("members", []) and "condition" not in binding
    }


def grant_in(policy: dict[str, Any], member: str, role: str) -> dict[str, Any]:
    """`policy` with `member` in `role`'s unconditional binding."""
    bindings = policy.setdefault("bindings", [])
    for binding in bindings:
        if binding["role"] == role and "condition" not in binding:
            if member not in binding.setdefault("members", []):
                binding["members"].append(member)
            return policy
    bindings.append({"role": role, "members": [member]})
    return policy


class GoogleIam:
    def __init__(self, project: str) -> None:
        self.project = project

    def account_exists(self, project: str, account: str) -> bool:
        from googleapiclient.errors import HttpError

        email = f"{account}@{project}.iam.gserviceaccount.com"
        accounts = api("iam", "v1").projects().serviceAccounts()
        with discovery_errors(project, on="IAM"):
            try:
                accounts.get(name=f"projects/{project}/serviceAccounts/{email}").execute()
            except HttpError as error:
                if error.status_code == 404:
                    return False
                raise
        return True

    def create_account(
        self, project: str, account: str, *, display_name: str, description: str
    ) -> None:
        from googleapiclient.errors import HttpError

        body = {
            "accountId": account,
            "serviceAccount": {"displayName": display_name, "description": description},
        }
        accounts = api("iam", "v1").projects().serviceAccounts()
        with discovery_errors(project, on="IAM"):
            try:
                accounts.create(name=f"projects/{project}", body=body).execute()
            except HttpError as error:
                if error.status_code != 409:  # 409: it exists already
                    raise

    def roles(self, member: str, resource: IamResource) -> set[str]:
        with discovery_errors(self.project, on=f"IAM policy of {resource.name}"):
            return roles_in(self._read(resource), member)

    def grant(self, member: str, role: str, resource: IamResource) -> None:
        from googleapiclient.errors import HttpError

        with discovery_errors(self.project, on=f"IAM policy of {resource.name}"):
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                policy = self._read(resource)
                if role in roles_in(policy, member):
                    return
                policy["version"] = POLICY_VERSION
                try:
                    self._write(resource, grant_in(policy, member, role))
                    return
                except HttpError as error:  # 409: changed since read; read it again
                    if error.status_code != 409 or attempt == WRITE_ATTEMPTS:
                        raise

    def _read(self, resource: IamResource) -> dict[str, Any]:
        """The resource's policy; empty when the resource does not exist yet."""
        from googleapiclient.errors import HttpError

        try:
            return dict(self._get(resource).execute())
        except HttpError as error:
            if error.status_code == 404:
                return {}
            raise

    def _get(self, resource: IamResource) -> Any:
        options = {"requestedPolicyVersion": POLICY_VERSION}
        if resource.kind == "project":
            projects = api("cloudresourcemanager", "v1").projects()
            return projects.getIamPolicy(resource=resource.name, body={"options": options})
        if resource.kind == "bucket":
            buckets = api("storage", "v1").buckets()
            return buckets.getIamPolicy(
                bucket=resource.name, optionsRequestedPolicyVersion=POLICY_VERSION
            )
        repositories = api("artifactregistry", "v1").projects().locations().repositories()
        return repositories.getIamPolicy(
            resource=resource.name, options_requestedPolicyVersion=POLICY_VERSION
        )

    def _write(self, resource: IamResource, policy: dict[str, Any]) -> None:
        if resource.kind == "project":
            projects = api("cloudresourcemanager", "v1").projects()
            projects.setIamPolicy(resource=resource.name, body={"policy": policy}).execute()
        elif resource.kind == "bucket":
            api("storage", "v1").buckets().setIamPolicy(bucket=resource.name, body=policy).execute()
        else:
            repositories = api("artifactregistry", "v1").projects().locations().repositories()
            repositories.setIamPolicy(resource=resource.name, body={"policy": policy}).execute()
