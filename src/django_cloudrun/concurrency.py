"""How one instance divides Cloud Run's concurrency between processes, threads and connections.

Cloud Run sends an instance up to max_concurrency requests at once. The server runs one
process per CPU (Django is mostly CPU-bound Python, and the GIL lets one process use one
CPU) with enough threads that every admitted request has a thread: a request never waits
behind a slow one in the same worker. The database connections the instance may hold
(DB_POOL_MAX_SIZE, computed at deploy time from the Cloud SQL tier) are split evenly
between the processes, since each process has its own pool.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from . import contract

__all__ = [
    "cpu_count",
    "positive_int",
    "web_workers",
    "threads_per_worker",
    "pool_size_per_process",
]


def cpu_count() -> int:
    """CPUs this process may run on (the container's limit, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def positive_int(environ: Mapping[str, str], var: contract.EnvVar) -> int:
    raw = environ.get(var.name, "").strip() or var.default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{var.name} must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{var.name} must be a positive integer, got {raw!r}")
    return value


def web_workers(environ: Mapping[str, str] = os.environ) -> int:
    """One process per CPU, but never more processes than the instance has connections:
    each process's pool holds at least one, and the budget counts them all."""
    if environ.get(contract.WEB_CONCURRENCY.name, "").strip():
        return positive_int(environ, contract.WEB_CONCURRENCY)
    budget = positive_int(environ, contract.DB_POOL_MAX_SIZE)
    return min(cpu_count(), budget)


def threads_per_worker(environ: Mapping[str, str] = os.environ) -> int:
    concurrency = positive_int(environ, contract.CLOUDRUN_MAX_CONCURRENCY)
    return max(1, math.ceil(concurrency / web_workers(environ)))


def pool_size_per_process(environ: Mapping[str, str] = os.environ) -> int:
    budget = positive_int(environ, contract.DB_POOL_MAX_SIZE)
    return max(1, budget // web_workers(environ))
