"""The set of external clients a cloud command uses, and the one place that builds them.

Commands call `clients_for(target)`; it calls `factory`, which builds the real clients
(Pulumi's Automation API and the google-cloud-* libraries, imported only when first used).
Tests assign a factory that returns fakes: that is the one injection point.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .interfaces import (
    Builder,
    Certificates,
    CloudRun,
    Engine,
    Iam,
    Logs,
    PrerequisiteProbe,
    StateStore,
)
from .stack import CloudTarget

__all__ = ["Clients", "clients_for", "factory", "real_clients"]


@dataclass
class Clients:
    probe: PrerequisiteProbe
    state: StateStore
    engine: Engine
    builder: Builder
    run: CloudRun
    logs: Logs
    iam: Iam
    certificates: Certificates
    sleep: Callable[[float], None] = time.sleep  # waits between polls of Cloud Run and Logging


def real_clients(project: str, region: str) -> Clients:
    from .real.build import CloudBuilder
    from .real.certificates import ComputeCertificates
    from .real.engine import AutomationEngine
    from .real.iam import GoogleIam
    from .real.logs import CloudLogs
    from .real.preflight import GoogleProbe
    from .real.run import CloudRunClient
    from .real.state import GcsStateStore

    return Clients(
        probe=GoogleProbe(),
        state=GcsStateStore(project),
        engine=AutomationEngine(),
        builder=CloudBuilder(project),
        run=CloudRunClient(project, region),
        logs=CloudLogs(project),
        iam=GoogleIam(project),
        certificates=ComputeCertificates(project),
    )


factory: Callable[[str, str], Clients] = real_clients


def clients_for(target: CloudTarget) -> Clients:
    return factory(target.project, target.region)
