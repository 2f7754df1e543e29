"""The worker's entry point: ``python manage.py cloudrun_worker`` (manage.py names the settings
module), or ``python -m django_cloudrun.worker [celery worker options]``.

Runs ``celery -A APP worker`` in place of this process (exec: the signals Cloud Run sends reach
Celery itself). APP is CLOUDRUN_CELERY_APP, else the package of DJANGO_SETTINGS_MODULE, where
Django projects define their Celery app. REMAP_SIGTERM=SIGQUIT is set before Celery starts,
since Celery reads it once, at import: SIGTERM then means a shutdown bounded by
WORKER_SOFT_SHUTDOWN_SECONDS instead of a wait for every running task.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from . import contract

__all__ = ["celery_app_name", "worker_command", "main"]


def celery_app_name(environ: Mapping[str, str] = os.environ) -> str:
    name = contract.CLOUDRUN_CELERY_APP.get(environ)
    if name:
        return name
    settings_module = contract.DJANGO_SETTINGS_MODULE.get(environ)
    if not settings_module:
        raise SystemExit(
            f"django-cloudrun worker: set {contract.CLOUDRUN_CELERY_APP.name} (the Celery app, "
            f"as `celery -A` takes it) or {contract.DJANGO_SETTINGS_MODULE.name}"
        )
    return settings_module.partition(".")[0]


def worker_command(options: Sequence[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The celery command line, with ``options`` appended to `celery worker`."""
    return [sys.executable, "-m", "celery", "-A", celery_app_name(environ), "worker", *options]


def main(argv: Sequence[str] | None = None) -> None:
    command = worker_command(sys.argv[1:] if argv is None else argv)
    os.environ[contract.REMAP_SIGTERM.name] = contract.REMAP_SIGTERM_VALUE
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
