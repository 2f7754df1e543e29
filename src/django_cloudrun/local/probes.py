"""Cloud Run's probes, as the local supervisor applies them to the web process.

Startup: the instance gets no traffic (locally: `up` is not "ready") until GET /health/
answers 200; Cloud Run gives up after failure_threshold x period, at most 240 s. Locally the
probe is polled more often than Cloud Run's period so `up` is ready as soon as it can be.
Liveness: once started, GET /health/live every period; after failure_threshold consecutive
failures (no answer within the timeout, or a status other than 2xx/3xx) the container is
restarted: SIGTERM, a grace period, SIGKILL, a new instance.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

__all__ = ["LIVENESS_PATH", "STARTUP_PATH", "Probes", "probe"]

STARTUP_PATH = "/health/"
LIVENESS_PATH = "/health/live"


@dataclass(frozen=True)
class Probes:
    startup_timeout: float = 240.0  # Cloud Run's limit for a startup probe
    startup_interval: float = 0.1
    liveness_period: float = 10.0  # Cloud Run's defaults: 10 s, 1 s timeout, 3 failures
    liveness_timeout: float = 1.0
    liveness_failures: int = 3
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
