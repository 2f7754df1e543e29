"""Cloud Run's probes, as the local supervisor applies them to the web process.

The probes are the deployed ones (contract.STARTUP_PROBE and LIVENESS_PROBE): same paths,
timeouts, periods and failure thresholds. Startup: the instance gets no traffic (locally:
`up` is not "ready") until GET /health/ answers 200; Cloud Run gives up after
failure_threshold x period. Locally the probe is polled more often than its period so `up`
is ready as soon as it can be. Liveness: once started, GET /health/live every period; after
failure_threshold consecutive failures (no answer within the timeout, or a status other
than 2xx/3xx) the container is restarted: SIGTERM, a grace period, SIGKILL, a new instance.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from ..contract import LIVENESS_PROBE, STARTUP_PROBE

__all__ = ["Probes", "probe"]


@dataclass(frozen=True)
class Probes:
    """The deployed probes' timings; tests and `up`'s options may shorten them."""

    startup_timeout: float = STARTUP_PROBE.window_seconds
    startup_interval: float = 0.1
    startup_probe_timeout: float = STARTUP_PROBE.timeout_seconds
    liveness_period: float = LIVENESS_PROBE.period_seconds
    liveness_timeout: float = LIVENESS_PROBE.timeout_seconds
    liveness_failures: int = LIVENESS_PROBE.failure_threshold
    grace: float = 10.0  # Cloud Run's SIGTERM-to-SIGKILL delay


def probe(port: int, path: str, timeout: float) -> bool:
    """Whether GET ``path`` succeeds as Cloud Run counts it: a 2xx or 3xx within ``timeout``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "django-cloudrun-probe"})
        return 200 <= connection.getresponse().status < 400
    except OSError:
        return False
    finally:
        connection.close()
