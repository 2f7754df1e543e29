"""Certificates over the Compute Engine API (discovery document compute v1):
sslCertificates.list, read page by page."""

from __future__ import annotations

from typing import Any

from ..interfaces import CertificateState
from .discovery import api
from .google_errors import discovery_errors

__all__ = ["ComputeCertificates", "certificate_state"]


def certificate_state(item: dict[str, Any]) -> CertificateState:
    """One SslCertificate resource of the API as our state."""
    managed = item.get("managed") or {}
    return CertificateState(
        name=str(item.get("name", "")),
        status=str(managed.get("status", "MANAGED_CERTIFICATE_STATUS_UNSPECIFIED")),
        domains=dict(managed.get("domainStatus") or {}),
    )


class ComputeCertificates:
    def __init__(self, project: str) -> None:
        self.project = project

    def managed(self, prefix: str) -> list[CertificateState]:
        found: list[CertificateState] = []
        certificates = api("compute", "v1").sslCertificates()
        request = certificates.list(project=self.project)
        with discovery_errors(self.project, on="the load balancer's certificates"):
            while request is not None:
                page = request.execute()
                found += [
                    certificate_state(item)
                    for item in page.get("items", [])
                    if item.get("type") == "MANAGED"
                    and str(item.get("name", "")).startswith(prefix)
                ]
                request = certificates.list_next(request, page)
        return found
