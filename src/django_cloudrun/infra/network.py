"""VPC access of the service and jobs, and the network Cloud SQL's private IP lives on.

The network, subnet and connector already exist (as in the seed): they are named in
cloudrun.toml and referenced here, never created.
"""

from __future__ import annotations

from ..config import CloudRunConfig
from .args import VpcAccess

__all__ = ["vpc_access"]


def vpc_access(config: CloudRunConfig, project: str) -> VpcAccess | None:
    """How the service's outbound traffic reaches the VPC, from [vpc]; None for mode none.

    The config model gives every name as a full resource path, so a Shared VPC's network,
    subnet or connector (a path into its host project) is used as written.
    """
    vpc, paths = config.vpc, config.vpc_paths(project)
    if vpc.mode == "connector" and paths.connector is not None:
        return VpcAccess(egress=vpc.vpc_egress_setting, connector=paths.connector)
    if vpc.mode == "direct" and paths.network is not None and paths.subnet is not None:
        return VpcAccess(egress=vpc.vpc_egress_setting, network=paths.network, subnet=paths.subnet)
    return None
