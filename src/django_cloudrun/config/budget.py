"""The connection budget: how many database connections each instance may hold.

Cloud SQL sets max_connections from the instance's memory. Every instance of the service
holds a pool; the deployment jobs, each [[cron]] job and the administrator need a few more.
The pool per instance is the largest size that keeps ``max_instance_count x pool + overhead``
within the limit.

Source of the limits: "Maximum concurrent connections" in Cloud SQL for PostgreSQL's flag
reference, https://cloud.google.com/sql/docs/postgres/flags#postgres-m (defaults of the
max_connections flag by instance memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ConfigError

__all__ = ["Budget", "BudgetError", "connection_budget", "max_connections", "overhead"]

# (memory of the tier in MiB at least, default max_connections)
LIMITS_BY_MEMORY = (
    (0, 25),
    (1_700, 50),
    (3_750, 100),
    (6_000, 200),
    (7_500, 400),
    (15_000, 500),
    (30_000, 600),
    (60_000, 800),
    (120_000, 1000),
)
SHARED_CORE_MEMORY = {"db-f1-micro": 614, "db-g1-small": 1_700}
# Valid shapes (memory a multiple of 256 MiB, at most 6.5 GiB per CPU), smallest first.
SUGGESTED_TIERS = (
    "db-g1-small",
    "db-custom-1-3840",
    "db-custom-1-6144",
    "db-custom-2-7680",
    "db-custom-4-15360",
    "db-custom-8-30720",
    "db-custom-16-61440",
    "db-custom-32-122880",
)
CUSTOM_TIER = re.compile(r"^db-custom-(\d+)-(\d+)$")
# One connection for each of the two deployment jobs, one for each cron job (a management
# command holds one connection; Cloud Scheduler may start every cron job at the same minute),
# and three that Cloud SQL reserves for its administrators (superuser_reserved_connections).
JOB_CONNECTIONS = 2
CRON_JOB_CONNECTIONS = 1
# A Celery process runs one task at a time and holds one connection: the worker's environment
# gives each instance DB_POOL_MAX_SIZE = WEB_CONCURRENCY = its process count.
WORKER_PROCESS_CONNECTIONS = 1
RESERVED_CONNECTIONS = 3
MIN_POOL = 2
MAX_POOL = 10  # beyond this an instance waits on its CPU, not on connections


class BudgetError(ConfigError):
    """The database tier cannot serve the connections the configuration asks for."""

    key = "max_instance_count"

    def __init__(self, text: str) -> None:
        self.text = text  # the problem, without the key
        super().__init__([f"{self.key}: {text}"])


def tier_memory_mib(tier: str) -> int:
    if tier in SHARED_CORE_MEMORY:
        return SHARED_CORE_MEMORY[tier]
    match = CUSTOM_TIER.match(tier)
    if not match:
        raise BudgetError(
            f"database.tier: unknown tier {tier!r}; use db-f1-micro, db-g1-small or "
            "db-custom-CPUS-MEMORY_MIB (such as db-custom-1-3840)"
        )
    return int(match.group(2))


def max_connections(tier: str) -> int:
    memory = tier_memory_mib(tier)
    return max(limit for floor, limit in LIMITS_BY_MEMORY if memory >= floor)


def _smallest_tier_for(connections: int) -> str:
    for tier in SUGGESTED_TIERS:
        if max_connections(tier) >= connections:
            return tier
    return "a larger tier"


@dataclass(frozen=True)
class Budget:
    tier: str
    max_connections: int
    max_instance_count: int
    pool_per_instance: int
    cron_jobs: int = 0
    worker_processes: int = 0  # Celery processes of every worker instance together

    @property
    def overhead(self) -> int:
        """Connections beside the service's pools: jobs, cron jobs, workers, administrators."""
        return overhead(self.cron_jobs, self.worker_processes)

    @property
    def used(self) -> int:
        return self.max_instance_count * self.pool_per_instance + self.overhead

    def as_dict(self) -> dict[str, int | str]:
        return {
            "tier": self.tier,
            "max_connections": self.max_connections,
            "max_instance_count": self.max_instance_count,
            "pool_per_instance": self.pool_per_instance,
            "deploy_jobs": JOB_CONNECTIONS,
            "cron_jobs": self.cron_jobs * CRON_JOB_CONNECTIONS,
            "worker_processes": self.worker_processes * WORKER_PROCESS_CONNECTIONS,
            "reserved": RESERVED_CONNECTIONS,
            "overhead": self.overhead,
            "used": self.used,
        }


def overhead(cron_jobs: int, worker_processes: int = 0) -> int:
    return (
        JOB_CONNECTIONS
        + cron_jobs * CRON_JOB_CONNECTIONS
        + worker_processes * WORKER_PROCESS_CONNECTIONS
        + RESERVED_CONNECTIONS
    )


def connection_budget(
    tier: str, max_instance_count: int, cron_jobs: int = 0, worker_processes: int = 0
) -> Budget:
    limit = max_connections(tier)
    extra = overhead(cron_jobs, worker_processes)
    pool = min(MAX_POOL, (limit - extra) // max(1, max_instance_count))
    if pool < MIN_POOL:
        needed = max_instance_count * MIN_POOL + extra
        fitting = max(1, (limit - extra) // MIN_POOL)
        jobs = f", {cron_jobs} cron jobs" if cron_jobs else ""
        jobs += f", {worker_processes} worker processes" if worker_processes else ""
        raise BudgetError(
            f"{max_instance_count} instances x pool {MIN_POOL} + {extra} (deploy jobs{jobs}, "
            f"reserved) > {limit} connections of tier {tier}: lower max_instance_count to "
            f"{fitting}{' or remove cron jobs' if cron_jobs else ''}"
            f"{' or lower worker.concurrency' if worker_processes else ''} or choose tier "
            f"{_smallest_tier_for(needed)}"
        )
    return Budget(tier, limit, max_instance_count, pool, cron_jobs, worker_processes)
