"""The monthly base cost of what the edge adds, before any traffic, from Google's list prices.

Only charges that accrue whether or not a request arrives are counted: forwarding rules, the
Cloud Armor policy and its rules (Cloud CDN and the static bucket cost by use only). Per-request and per-GiB charges (load balancer data
processing, Cloud Armor requests, data transfer out) depend on traffic and are left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..config import CloudRunConfig
from .armor import rule_count
from .edge import IP_VERSIONS

__all__ = ["HOURS_PER_MONTH", "PRICES", "PRICES_CHECKED", "CostLine", "edge_cost"]

HOURS_PER_MONTH = 730  # Google's pricing pages bill a month as 730 hours
PRICES_CHECKED = "2026-12-01"  # when the prices below were read from the pages cited
# USD list prices, Premium Tier, no discounts.
PRICES = {
    # https://cloud.google.com/load-balancing/pricing, global forwarding rules: the first 5
    # cost $0.025 per hour together, each additional one $0.01 per hour.
    "forwarding_rules_first_5_hourly": 0.025,
    "forwarding_rule_additional_hourly": 0.01,
    # https://cloud.google.com/armor/pricing, Cloud Armor Standard: $5 per policy and $1 per
    # rule each month (plus $0.75 per million requests, a traffic charge).
    "armor_policy_monthly": 5.0,
    "armor_rule_monthly": 1.0,
}
# Addresses reserved and in use by a forwarding rule are not charged on top of the rule
# (https://cloud.google.com/vpc/network-pricing#ipaddress); a serverless NEG, a backend
# service, URL maps, proxies and Google-managed certificates have no charge of their own;
# nor has Cloud CDN on a backend bucket, whose cache lookups, cache fill and egress are
# traffic charges (https://cloud.google.com/cdn/pricing).


@dataclass(frozen=True)
class CostLine:
    item: str
    quantity: int
    monthly_usd: float


def edge_cost(config: CloudRunConfig) -> dict[str, Any]:
    """What the edge of `config` costs a month before traffic: lines, total, sources."""
    lines = _lines(config)
    return {
        "lines": [asdict(line) for line in lines],
        "total_usd": round(sum(line.monthly_usd for line in lines), 2),
        "prices_checked": PRICES_CHECKED,
    }


def _lines(config: CloudRunConfig) -> list[CostLine]:
    if not config.load_balanced:
        return []
    rules = 2 * len(IP_VERSIONS)  # HTTPS and the HTTP redirect on each address
    extra = max(0, rules - 5)
    hourly = PRICES["forwarding_rules_first_5_hourly"]
    hourly += extra * PRICES["forwarding_rule_additional_hourly"]
    lines = [CostLine("forwarding rules", rules, round(hourly * HOURS_PER_MONTH, 2))]
    waf = config.edge.waf
    if waf.enabled:
        count = rule_count(waf)
        lines += [
            CostLine("Cloud Armor policy", 1, PRICES["armor_policy_monthly"]),
            CostLine("Cloud Armor rules", count, count * PRICES["armor_rule_monthly"]),
        ]
    return lines
