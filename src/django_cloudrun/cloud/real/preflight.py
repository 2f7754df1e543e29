"""Probe over the local machine and Google's APIs: Pulumi CLI, ADC, project, billing, APIs,
and what doctor reads of the live project: org policies, build triggers, private access."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

from ..errors import one_line
from ..interfaces import OrgPolicy, ProjectInfo
from .buckets import project_number
from .discovery import api
from .google_errors import discovery_errors, google_errors, service_disabled

__all__ = ["GoogleProbe"]


class GoogleProbe:
    def pulumi_cli(self) -> str | None:
        return shutil.which("pulumi")

    def credentials_problem(self) -> str | None:
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            google.auth.default()
        except DefaultCredentialsError as error:
            return one_line(str(error), 160)
        return None

    def project(self, project: str) -> ProjectInfo:
        from google.api_core.exceptions import NotFound, PermissionDenied
        from google.cloud import billing_v1, resourcemanager_v3

        name = f"projects/{project}"
        with google_errors(project):
            try:
                found = resourcemanager_v3.ProjectsClient().get_project(name=name)
            except (NotFound, PermissionDenied) as error:  # 403 for unknown projects too
                if error.reason == "SERVICE_DISABLED":
                    raise service_disabled("cloudresourcemanager.googleapis.com", project) from None
                return ProjectInfo(exists=False)
            if found.state != resourcemanager_v3.Project.State.ACTIVE:
                return ProjectInfo(exists=False)
            billing = billing_v1.CloudBillingClient().get_project_billing_info(name=name)
        return ProjectInfo(exists=True, billing_enabled=billing.billing_enabled)

    def enabled_apis(self, project: str, apis: Sequence[str]) -> set[str]:
        from google.cloud import service_usage_v1

        request = service_usage_v1.BatchGetServicesRequest(
            parent=f"projects/{project}",
            names=[f"projects/{project}/services/{api}" for api in apis],
        )
        with google_errors(project, on="Service Usage"):
            found = service_usage_v1.ServiceUsageClient().batch_get_services(request=request)
        enabled = service_usage_v1.State.ENABLED
        return {
            service.name.rsplit("/", 1)[-1]
            for service in found.services
            if service.state == enabled
        }

    def org_policy(self, project: str, constraint: str) -> OrgPolicy:
        # orgpolicy v2 projects.policies.getEffectivePolicy: the policy in force on the
        # project, inheritance merged; it reads managed constraints such as
        # run.managed.requireInvokerIam as well as list constraints.
        name = f"projects/{project}/policies/{constraint}"
        with discovery_errors(project, on="Organization Policy"):
            policies = api("orgpolicy", "v2").projects().policies()
            found = policies.getEffectivePolicy(name=name).execute()
        return fold_policy(found)

    def github_triggers(self, project: str) -> list[str]:
        # cloudbuild v1 projects.locations.triggers.list; BuildTrigger.github names the
        # repository of a trigger made through the Cloud Build GitHub App.
        found: list[str] = []
        with discovery_errors(project, on="Cloud Build"):
            triggers = api("cloudbuild", "v1").projects().locations().triggers()
            request = triggers.list(parent=f"projects/{project}/locations/global")
            while request is not None:
                page = request.execute()
                for trigger in page.get("triggers", []):
                    github = trigger.get("github") or {}
                    if github.get("owner") and github.get("name"):
                        found.append(f"{github['owner']}/{github['name']}")
                request = triggers.list_next(request, page)
        return found

    def private_connections(self, network: str) -> list[str]:
        # servicenetworking v1 services.connections.list wants the network's project by number.
        _, project, _, _, name = network.split("/")
        with discovery_errors(project, on="Service Networking"):
            connections = api("servicenetworking", "v1").services().connections()
            number = project if project.isdigit() else project_number(project)
            found = connections.list(
                parent="services/servicenetworking.googleapis.com",
                network=f"projects/{number}/global/networks/{name}",
            ).execute()
        return [
            str(peering_range)
            for connection in found.get("connections", [])
            for peering_range in connection.get("reservedPeeringRanges", [])
        ]


def fold_policy(policy: dict[str, Any]) -> OrgPolicy:
    """An orgpolicy v2 Policy's unconditional rules, as what they enforce and allow."""
    rules = [
        rule for rule in (policy.get("spec") or {}).get("rules", []) if "condition" not in rule
    ]
    allowed = tuple(
        value for rule in rules for value in (rule.get("values") or {}).get("allowedValues", [])
    )
    restricted = any(rule.get("denyAll") or rule.get("values") for rule in rules)
    return OrgPolicy(
        enforced=any(rule.get("enforce") for rule in rules),
        allow_all=not restricted or any(rule.get("allowAll") for rule in rules),
        allowed_values=allowed,
    )
