"""Private Services Access: what a Cloud SQL private IP needs on the network it lives on.

Cloud SQL places private IPs in a range reserved on the network for Google's services,
reached through one VPC peering connection to servicenetworking.googleapis.com
(https://cloud.google.com/sql/docs/postgres/configure-private-ip). The network has at most
one such connection, shared by every Google service on it: with
database.private_services_access = "existing" the program leaves it alone.

Destroy abandons the connection rather than deleting it: Google keeps the peering busy for
days after the instance is gone, and other services of the network may use it
(servicenetworking.ConnectionArgs.deletion_policy).
"""

from __future__ import annotations

import re

import pulumi
from pulumi_gcp import compute, servicenetworking

from ..config import CloudRunConfig, names

__all__ = ["PEERING_SERVICE", "RANGE_PREFIX_LENGTH", "private_services_access"]

PEERING_SERVICE = "servicenetworking.googleapis.com"
# "The minimum size is a single /24 block (256 addresses), but the recommended size is a
# /16 block" (https://cloud.google.com/sql/docs/postgres/private-ip#allocated_ip_address_ranges).
RANGE_PREFIX_LENGTH = 16
_NETWORK = re.compile(r"^projects/(?P<project>[^/]+)/global/networks/[^/]+$")


def private_services_access(
    name: str, config: CloudRunConfig, *, project: str, parent: pulumi.Resource
) -> servicenetworking.Connection | None:
    """The reserved range and the connection, when private_ip asks the program to make them."""
    db, network_path = config.database, config.vpc_paths(project).network
    if not db.private_ip or db.private_services_access != "create" or network_path is None:
        return None
    match = _NETWORK.match(network_path)
    # A Shared VPC network's range belongs to its host project.
    owner = match.group("project") if match else project
    address = compute.GlobalAddress(
        f"{name}-sql-range",
        compute.GlobalAddressArgs(
            project=owner,
            name=names.fit(f"{config.service_name}-sql-range", 63),  # RFC 1035, at most 63
            description=f"Private IPs of Google services on the network, for "
            f"{config.service_name}'s Cloud SQL instance",
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            prefix_length=RANGE_PREFIX_LENGTH,
            network=network_path,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return servicenetworking.Connection(
        f"{name}-private-services",
        servicenetworking.ConnectionArgs(
            network=network_path,
            service=PEERING_SERVICE,
            reserved_peering_ranges=[address.name],
            deletion_policy="ABANDON",
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
