"""Probe over the local machine and Google's APIs: Pulumi CLI, ADC, project, billing, APIs."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from ..errors import one_line
from ..interfaces import ProjectInfo
from .google_errors import google_errors

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
            except (NotFound, PermissionDenied):  # Google answers 403 for unknown projects
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
