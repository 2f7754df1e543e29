"""The environment of every local process, built from config.topology like the cloud's.

Only values differ from Cloud Run (the socket directory, http://localhost URLs, the media
directory); the names a process receives are the ones topology gives the same process on
Cloud Run, plus what the platform sets (K_SERVICE, PORT, CLOUD_RUN_JOB, ...) and a few
basics of this machine (PATH, HOME, locale). Nothing else leaks in from the shell: a stray
DB_HOST exported in a terminal cannot make the local stack differ from the deployed one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import contract
from ..config import CloudRunConfig, names
from ..config.topology import (
    BROKER_URL_SECRET,
    DATABASE_URL_SECRET,
    SERVICE_SCOPES,
    WORKER_SCOPES,
    Job,
    Placement,
    plain_environment,
    secret_environment,
    worker_pool_sizes,
)
from ..contract import Scope
from .database import DatabaseServer
from .errors import LocalError
from .media import Media
from .rotation import rotated_values, rotation_environment

__all__ = [
    "PASSTHROUGH",
    "RUNNER",
    "LocalTarget",
    "job_platform",
    "local_database_url",
    "local_placement",
    "passthrough",
    "service_platform",
    "target_for",
]

# The machine's basics, which a container image also defines.
PASSTHROUGH = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV",
     "PYTHONPATH", "TERM"}
)  # fmt: skip
RUNNER = {contract.PYTHONUNBUFFERED.name: "1"}  # logs reach the files as they are written
REVISION_SUFFIX = "local"


def passthrough(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k in PASSTHROUGH or k.startswith("LC_")}


def local_placement(
    config: CloudRunConfig,
    *,
    db_host: str,
    db_port: str = "",
    port: int,
    bucket: str = "",
    static_bucket: str = "",
) -> Placement:
    return Placement(
        db_host=db_host,
        db_port=db_port,
        service_urls=(f"http://localhost:{port}", f"http://127.0.0.1:{port}"),
        bucket=bucket,
        static_bucket=static_bucket,
        project_id=config.project_id or "",
    )


def service_platform(config: CloudRunConfig, port: int) -> dict[str, str]:
    """What Cloud Run sets in a service's container: K_SERVICE makes settings production."""
    name = config.service_name
    return {
        contract.K_SERVICE.name: name,
        contract.K_REVISION.name: f"{name}-{REVISION_SUFFIX}",
        contract.K_CONFIGURATION.name: name,
        contract.PORT.name: str(port),
    }


def job_platform(config: CloudRunConfig, job: str) -> dict[str, str]:
    """What Cloud Run sets in a job's container."""
    name = names.job_name(config.service_name, job)
    return {
        contract.CLOUD_RUN_JOB.name: name,
        contract.CLOUD_RUN_EXECUTION.name: f"{name}-{REVISION_SUFFIX}",
        contract.CLOUD_RUN_TASK_INDEX.name: "0",
        contract.CLOUD_RUN_TASK_ATTEMPT.name: "0",
        contract.CLOUD_RUN_TASK_COUNT.name: "1",
    }


@dataclass(frozen=True)
class LocalTarget:
    """This machine's side of the topology: where things are and the secrets' values."""

    config: CloudRunConfig
    placement: Placement
    secrets: Mapping[str, str] = field(repr=False)
    values: Mapping[str, str] = field(default_factory=dict)  # local values of contract names
    extra: Mapping[str, str] = field(default_factory=dict)  # emulator settings

    def environment(self, scopes: frozenset[Scope], platform: Mapping[str, str]) -> dict[str, str]:
        env = plain_environment(self.config, self.placement, scopes)
        composed = []
        for name, secret_id in secret_environment(self.config, scopes).items():
            if secret_id == DATABASE_URL_SECRET:
                composed.append(name)
                continue
            if secret_id not in self.secrets:
                raise LocalError(f"secret {secret_id!r} has no local value: run `up` once")
            env[name] = self.secrets[secret_id]
        env.update({name: value for name, value in self.values.items() if name in env})
        for name in composed:  # as infra composes it, from this machine's DB_* values
            env[name] = local_database_url(env)
        return {**passthrough(), **env, **self.extra, **RUNNER, **platform}

    def service(self, port: int) -> dict[str, str]:
        return self.environment(SERVICE_SCOPES, service_platform(self.config, port))

    def job(self, job: Job) -> dict[str, str]:
        return self.environment(job.scopes, job_platform(self.config, job.name))

    def worker(self) -> dict[str, str]:
        """The Celery worker's: what the worker pool's container gets."""
        return {**self.environment(WORKER_SCOPES, {}), **worker_pool_sizes(self.config)}


def local_database_url(env: Mapping[str, str]) -> str:
    """DATABASE_URL for the database the DB_* variables of ``env`` name."""
    return contract.database_url(
        user=env.get(contract.DB_USER.name, ""),
        password=env.get(contract.DB_PASSWORD.name, ""),
        host=env.get(contract.DB_HOST.name, ""),
        port=env.get(contract.DB_PORT.name, ""),
        name=env.get(contract.DB_NAME.name, ""),
    )


def target_for(
    config: CloudRunConfig,
    port: int,
    database: DatabaseServer,
    media: Media,
    secrets: dict[str, str],
    broker_url: str = "",
) -> LocalTarget:
    placement = local_placement(
        config,
        db_host=database.db_host,
        db_port=database.db_port,
        port=port,
        bucket=media.bucket,
        static_bucket=media.static_bucket,
    )
    return LocalTarget(
        config,
        placement,
        {
            **secrets,
            **database.secrets,
            **({BROKER_URL_SECRET: broker_url} if broker_url else {}),
        },
        {**database.values, **media.values, **rotated_values(secrets, config)},
        {**media.extra, **rotation_environment(secrets, config)},
    )
