"""The local target: the production topology on this machine, without Docker.

The same container runtime, environment contract, jobs (in the same order) and probes as on
Cloud Run: an embedded PostgreSQL whose socket plays /cloudsql/<connection>, generated
secrets, media in a directory (fuse) or a GCS emulator (api), and a supervisor with Cloud
Run's probe semantics. Deploy-side: it needs the `deploy` extra (pydantic), never Rich.

Modules: layout (where files live), account (who runs PostgreSQL), postgres (the cluster),
database (embedded or --database-url), secrets, media, environment (each process's
variables, from config.topology), processes, probes, listener (the web port `up` holds),
supervisor (`up`), cron ([[cron]] while `up` runs), state (lock, state file, detach, down),
oneoff (`run`), rotation and db_rotation (`rotate`), rollout (asking `up` to move its web
process to new secrets).
"""

from __future__ import annotations

from .errors import LocalError
from .layout import Layout, connection_name, layout_for
from .oneoff import cron_job_named, run_once
from .probes import Probes
from .secrets import ensure_secrets
from .state import detach, lock_holder, read_state, stop_running
from .supervisor import Options, Supervisor

__all__ = [
    "Layout",
    "LocalError",
    "Options",
    "Probes",
    "Supervisor",
    "connection_name",
    "cron_job_named",
    "detach",
    "ensure_secrets",
    "layout_for",
    "lock_holder",
    "read_state",
    "run_once",
    "stop_running",
]
