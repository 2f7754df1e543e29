"""VPC access of the service and jobs, and the network Cloud SQL's private IP lives on.

The network, subnet and connector already exist (as in the seed): they are named in
cloudrun.toml and referenced here, never created.
"""

from __future__ import annotations

from ..config import CloudRunConfig
from .args import VpcAccess

__all__ = ["network_id", "vpc_access"]


def network_id(project: str, network: str) -> str:
    return f"projects/{project}/global/networks/{network}"


def vpc_access(config: CloudRunConfig, project: str) -> VpcAccess | None:
    """How the service's outbound traffic reaches the VPC, from [vpc]; None for mode none."""
    vpc = config.vpc
    if vpc.mode == "connector" and vpc.connector is not None:
        connector = f"projects/{project}/locations/{config.region}/connectors/{vpc.connector}"
        return VpcAccess(egress=vpc.vpc_egress_setting, connector=connector)
    if vpc.mode == "direct" and vpc.network is not None and vpc.subnet is not None:
        return VpcAccess(egress=vpc.vpc_egress_setting, network=vpc.network, subnet=vpc.subnet)
    return None
